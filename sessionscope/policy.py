"""An organization's data policy (retention days, redaction rules): read it, change it, audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from sessionscope import audit, redaction
from sessionscope.errors import SessionscopeError
from sessionscope.schema import org_policies

MAX_RETENTION_DAYS = 36_500  # a hundred years: beyond it, "keep everything" says it better


class InvalidPolicy(SessionscopeError):
    """A policy value that cannot be stored; the message says which and why."""


@dataclass(frozen=True)
class Policy:
    """What an organization keeps: `retention_days` None keeps every session."""

    retention_days: int | None
    redaction: dict[str, Any]
    updated_by: str | None = None
    updated_at: datetime | None = None


def get(conn: sa.Connection, org_id: str) -> Policy:
    """The organization's policy, the defaults where it has set nothing."""
    p = org_policies.c
    row = conn.execute(
        sa.select(p.retention_days, p.redaction, p.updated_by, p.updated_at).where(
            p.org_id == org_id
        )
    ).one_or_none()
    if row is None:
        return Policy(None, dict(redaction.DEFAULT_RULES))
    rules = dict(row.redaction) if row.redaction is not None else dict(redaction.DEFAULT_RULES)
    return Policy(row.retention_days, rules, row.updated_by, row.updated_at)


def _check_days(days: int | None) -> None:
    if days is not None and not 1 <= days <= MAX_RETENTION_DAYS:
        raise InvalidPolicy(
            f"keep sessions for 1 to {MAX_RETENTION_DAYS} days, or keep everything; not {days}"
        )


def _upsert(conn: sa.Connection, org_id: str, values: dict[str, Any]) -> None:
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[conn.dialect.name]
    statement = insert(org_policies).values(org_id=org_id, **values)
    conn.execute(statement.on_conflict_do_update(index_elements=["org_id"], set_=values))


def set_retention(conn: sa.Connection, *, org_id: str, days: int | None, actor: str) -> Policy:
    """Keep the org's sessions `days` days (None: for good); audited as `policy.update`."""
    _check_days(days)
    before = get(conn, org_id)
    _upsert(conn, org_id, _stamp(actor, retention_days=days, redaction=before.redaction))
    _audit(conn, org_id, actor, {"retention_days": before.retention_days},
           {"retention_days": days})  # fmt: skip
    return get(conn, org_id)


def set_redaction(conn: sa.Connection, *, org_id: str, rules: dict[str, Any], actor: str) -> Policy:
    """Store validated redaction rules (InvalidRules if not); audited with before and after."""
    clean = redaction.validate(rules)
    before = get(conn, org_id)
    _upsert(conn, org_id, _stamp(actor, retention_days=before.retention_days, redaction=clean))
    _audit(conn, org_id, actor, {"redaction": before.redaction}, {"redaction": clean})
    return get(conn, org_id)


def _stamp(actor: str, **values: Any) -> dict[str, Any]:
    return {**values, "updated_by": actor, "updated_at": datetime.now(UTC)}


def _audit(
    conn: sa.Connection, org_id: str, actor: str, before: dict[str, Any], after: dict[str, Any]
) -> None:
    audit.record(
        conn,
        org_id=org_id,
        actor_email=actor,
        action="policy.update",
        target_type="organization",
        detail={"before": before, "after": after},
    )
