"""Delete sessions older than their organization keeps them (`sessionscope retention apply`).

A session expires when its last activity (its start, if it has none) is older than the
organization's `retention_days`. Expired sessions go with their tool calls, tickets, stages
and states, BATCH sessions per transaction, in start order so a batch touches few days; each
transaction also rebuilds the settled rollup days of the sessions it deleted, so the Admin
analytics stay true at every commit. Tickets without a session expire by their own creation
time. One `retention.apply` audit entry per organization and run, with the counts (written
even when the run stops part-way, saying so); the audit log itself is never touched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sessionscope import audit, rollup
from sessionscope.db import begin_write
from sessionscope.ingest.writer import lock_org
from sessionscope.schema import (
    org_policies,
    session_stages,
    session_states,
    sessions,
    support_tickets,
    tool_calls,
)

BATCH = 1_000  # sessions per transaction: ~5,000 calls, well inside the statement timeout
# Children first: each refers to sessions.
CHILDREN = (tool_calls, support_tickets, session_stages, session_states)


@dataclass
class OrgRun:
    """What one run did (or, dry, would do) to one organization."""

    org_id: str
    retention_days: int
    cutoff: datetime
    dry_run: bool
    deleted: Counter[str] = field(default_factory=Counter)
    batches: int = 0

    def summary(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        counts = ", ".join(f"{self.deleted[t]:,} {t}" for t in _NAMES) or "nothing"
        cutoff = self.cutoff.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        kept = f"keeps {self.retention_days} days (before {cutoff} UTC)"
        return f"{self.org_id}: {kept}: {verb} {counts}"


_NAMES = ("sessions", *(t.name for t in CHILDREN))


def expiring_orgs(conn: sa.Connection, org_id: str | None = None) -> list[tuple[str, int]]:
    """(org id, retention days) of the organizations that keep sessions for a limited time."""
    p = org_policies.c
    query = sa.select(p.org_id, p.retention_days).where(p.retention_days.is_not(None))
    if org_id is not None:
        query = query.where(p.org_id == org_id)
    return [(r.org_id, r.retention_days) for r in conn.execute(query.order_by(p.org_id))]


def apply(
    engine: Engine,
    *,
    actor: str,
    dry_run: bool = False,
    org_id: str | None = None,
    now: datetime | None = None,
    batch: int = BATCH,
    progress: Callable[[OrgRun], None] | None = None,
) -> list[OrgRun]:
    """Apply every organization's retention (or only `org_id`'s); one audit entry each."""
    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        orgs = expiring_orgs(conn, org_id)
    runs = []
    for org, days in orgs:
        run = OrgRun(org, days, now - timedelta(days=days), dry_run)
        outcome = "interrupted"
        try:
            _run_org(engine, run, batch, progress)
            outcome = "dry_run" if dry_run else "completed"
        finally:
            _audit(engine, run, actor, outcome)
        runs.append(run)
    return runs


def _run_org(
    engine: Engine, run: OrgRun, batch: int, progress: Callable[[OrgRun], None] | None
) -> None:
    after: tuple[datetime, str] | None = None
    while True:
        with begin_write(engine) as conn:
            ids, last = _next_batch(conn, run, after, batch)
            if ids:
                _count_or_delete(conn, run, ids)
            if len(ids) < batch:
                _orphan_tickets(conn, run)
        if not ids:
            return
        run.batches += 1
        after = last
        if progress is not None:
            progress(run)
        if len(ids) < batch:
            return


def _next_batch(
    conn: sa.Connection, run: OrgRun, after: tuple[datetime, str] | None, size: int
) -> tuple[list[str], tuple[datetime, str] | None]:
    """The next expired sessions in (started_at, id) order. A session's last activity is never
    before its start, so `started_at < cutoff` bounds the scan on ix_sessions_org_started."""
    s = sessions.c
    query = (
        sa.select(s.id, s.started_at)
        .where(
            s.org_id == run.org_id,
            s.started_at < run.cutoff,
            sa.func.coalesce(s.last_activity_at, s.started_at) < run.cutoff,
        )
        .order_by(s.started_at, s.id)
        .limit(size)
    )
    if after is not None:
        # Typed parameters: UTCDateTime stores SQLite's naive UTC text, so compare like with like.
        start = sa.bindparam("after_start", after[0], type_=s.started_at.type)
        query = query.where(sa.tuple_(s.started_at, s.id) > sa.tuple_(start, after[1]))
    rows = conn.execute(query).all()
    return [r.id for r in rows], ((rows[-1].started_at, rows[-1].id) if rows else None)


def _count_or_delete(conn: sa.Connection, run: OrgRun, ids: list[str]) -> None:
    if run.dry_run:
        for table in CHILDREN:
            count = sa.select(sa.func.count()).where(table.c.session_id.in_(ids))
            run.deleted[table.name] += conn.execute(count).scalar_one()
        run.deleted["sessions"] += len(ids)
        return
    lock_org(conn, run.org_id)  # an ingest writing into these sessions waits, then sees them gone
    days = rollup.session_days(conn, org_id=run.org_id, session_ids=ids)
    for table in CHILDREN:
        result = conn.execute(sa.delete(table).where(table.c.session_id.in_(ids)))
        run.deleted[table.name] += result.rowcount or 0
    done = conn.execute(
        sa.delete(sessions).where(sessions.c.org_id == run.org_id, sessions.c.id.in_(ids))
    )
    run.deleted["sessions"] += done.rowcount or 0
    rollup.refresh_days(conn, org_id=run.org_id, days=days)


def _orphan_tickets(conn: sa.Connection, run: OrgRun) -> None:
    """Tickets filed without a session expire by their creation time."""
    t = support_tickets.c
    where = (t.org_id == run.org_id, t.session_id.is_(None), t.created_at < run.cutoff)
    if run.dry_run:
        count = conn.execute(sa.select(sa.func.count()).where(*where)).scalar_one()
    else:
        count = conn.execute(sa.delete(support_tickets).where(*where)).rowcount or 0
    run.deleted[support_tickets.name] += count


def _audit(engine: Engine, run: OrgRun, actor: str, outcome: str) -> None:
    with begin_write(engine) as conn:
        audit.record(
            conn,
            org_id=run.org_id,
            actor_email=actor,
            action="retention.apply",
            target_type="organization",
            detail={
                "retention_days": run.retention_days,
                "cutoff": run.cutoff.isoformat(),
                "dry_run": run.dry_run,
                "outcome": outcome,
                "batches": run.batches,
                "deleted": {name: run.deleted[name] for name in _NAMES},
            },
        )
