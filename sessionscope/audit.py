"""The audit log: append-only. Nothing in this project updates or deletes its rows."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from sessionscope.schema import audit_log


def new_audit_id() -> str:
    return f"aud_{secrets.token_hex(10)}"


def record(
    conn: sa.Connection,
    *,
    org_id: str | None,
    actor_email: str,
    action: str,
    target_type: str | None = None,
    target_ids: Sequence[str] = (),
    detail: dict[str, Any] | None = None,
) -> str:
    """Append one entry naming the action and every target id; return its id."""
    entry_id = new_audit_id()
    conn.execute(
        audit_log.insert().values(
            id=entry_id,
            org_id=org_id,
            actor_email=actor_email,
            action=action,
            target_type=target_type,
            target_id=",".join(target_ids) or None,
            detail={**(detail or {}), "ids": list(target_ids)} if target_ids else detail,
            created_at=datetime.now(UTC),
        )
    )
    return entry_id
