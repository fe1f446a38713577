"""Re-apply an organization's redaction rules to what is already stored (`sessionscope redact
apply`): tool calls, ticket texts and session titles, in batches keyed by id.

Each batch is one transaction that rewrites only the rows the rules change; one
`redact.apply` audit entry per run gives the counts (written even when the run stops
part-way, saying so). Redaction never changes a count, so the daily rollup is not touched.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sessionscope import audit, redaction
from sessionscope.db import begin_write
from sessionscope.schema import sessions, support_tickets, tool_calls, writable

BATCH = 1_000  # rows read per transaction
TABLES = (tool_calls, support_tickets, sessions)


@dataclass
class RedactRun:
    """Rows read and rows the rules changed (or, dry, would change), per table."""

    org_id: str
    dry_run: bool
    scanned: Counter[str] = field(default_factory=Counter)
    changed: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        verb = "would rewrite" if self.dry_run else "rewrote"
        parts = [f"{self.changed[t.name]:,} of {self.scanned[t.name]:,} {t.name}" for t in TABLES]
        return f"{self.org_id}: {verb} " + ", ".join(parts)


def apply(
    engine: Engine, *, org_id: str, actor: str, dry_run: bool = False, batch: int = BATCH
) -> RedactRun:
    """Rewrite the org's stored rows that its current rules change; one audit entry."""
    run, outcome = RedactRun(org_id, dry_run), "interrupted"
    with engine.connect() as conn:
        rules = redaction.rules_of(conn, org_id)
    redactor = redaction.compile_rules(rules)
    try:
        if redactor.active:
            for table in TABLES:
                _table(engine, run, redactor, table, batch)
        outcome = "dry_run" if dry_run else "completed"
    finally:
        with begin_write(engine) as conn:
            audit.record(
                conn,
                org_id=org_id,
                actor_email=actor,
                action="redact.apply",
                target_type="organization",
                detail={
                    "rules": rules,
                    "dry_run": dry_run,
                    "outcome": outcome,
                    "scanned": {t.name: run.scanned[t.name] for t in TABLES},
                    "changed": {t.name: run.changed[t.name] for t in TABLES},
                },
            )
    return run


def _columns(table: sa.Table) -> list[str]:
    payloads, texts = redaction.FIELDS[table.name]
    extra = ["attributes"] if table is tool_calls else []
    return ["id", *payloads, *texts, *extra]


def _table(
    engine: Engine, run: RedactRun, redactor: redaction.Redactor, table: sa.Table, size: int
) -> None:
    names, after = _columns(table), ""
    while True:
        with begin_write(engine) as conn:
            query = (
                sa.select(*(table.c[n] for n in names))
                .where(table.c.org_id == run.org_id, table.c.id > after)
                .order_by(table.c.id)
                .limit(size)
            )
            rows = [dict(r._mapping) for r in conn.execute(query)]
            changes = [new for new, hit in _redacted(redactor, table, rows) if hit]
            if changes and not run.dry_run:
                _write(conn, table, changes)
        run.scanned[table.name] += len(rows)
        run.changed[table.name] += len(changes)
        if len(rows) < size:
            return
        after = rows[-1]["id"]


def _redacted(
    redactor: redaction.Redactor, table: sa.Table, rows: list[dict]
) -> list[tuple[dict, bool]]:
    return [redaction.redact_row(redactor, table.name, row) for row in rows]


def _write(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    # writable(): a dropped payload is SQL NULL, as the writers store "no payload".
    target = writable(table.name)
    names = [n for n in rows[0] if n != "id"]
    update = (
        target.update()
        .where(target.c.id == sa.bindparam("b_id"))
        .values({n: sa.bindparam(f"b_{n}") for n in names})
    )
    conn.execute(update, [{f"b_{k}": v for k, v in row.items()} for row in rows])
