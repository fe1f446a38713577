"""Refused Admin visits in the audit log: at most one `admin.denied` per identity and
organization in any ten minutes, however often the page is reloaded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from sessionscope import audit
from sessionscope.auth import normalise_email
from sessionscope.schema import audit_log

DENIED = "admin.denied"
# One entry says "this person tried"; a reload loop (or a script) must not fill the log.
EVERY = timedelta(minutes=10)


def record_denied(
    conn: sa.Connection,
    *,
    org_id: str | None,
    actor_email: str,
    role: str | None,
    now: datetime | None = None,
) -> str | None:
    """Append `admin.denied` unless this identity has one for this organization (None: no
    organization) within EVERY; the new entry's id, or None when none was written.

    Per organization as well as per identity: each organization's admins read their own
    log, so an attempt on Globex must show there even right after one on Acme.
    """
    email = normalise_email(actor_email)
    now = now or datetime.now(UTC)
    last = last_denied(conn, org_id=org_id, actor_email=email)
    if last is not None and now - last < EVERY:
        return None
    return audit.record(
        conn,
        org_id=org_id,
        actor_email=email,
        action=DENIED,
        target_type="page",
        detail={"page": "admin", "role": role},
    )


def last_denied(conn: sa.Connection, *, org_id: str | None, actor_email: str) -> datetime | None:
    """When this identity was last refused the Admin page of this organization, if ever."""
    a = audit_log.c
    same_org = a.org_id.is_(None) if org_id is None else a.org_id == org_id
    return conn.execute(
        sa.select(sa.func.max(a.created_at)).where(
            same_org, a.action == DENIED, a.actor_email == actor_email
        )
    ).scalar()
