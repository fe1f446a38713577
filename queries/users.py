"""End users of an organization: search with keyset paging, and resolve one by id or distinct_id."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from queries.page import Page, contains, iso, page_of, to_datetime
from sessionscope.schema import end_users, sessions, support_tickets

_USER = ("id", "distinct_id", "email", "display_name", "first_seen_at", "last_seen_at")
SEARCH_COLUMNS = (*_USER, "session_count", "ticket_count")


@dataclass(frozen=True)
class EndUser:
    """One end user with totals over their non-archived sessions and all their tickets."""

    id: str
    distinct_id: str
    email: str | None
    display_name: str | None
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    session_count: int
    tool_calls: int
    errors: int
    ticket_count: int


def _sessions_of_user(org_id: str, *cols: sa.ColumnElement[Any]) -> sa.ScalarSelect[Any]:
    """A scalar subquery over the enclosing end user's non-archived sessions (index seek)."""
    s = sessions.c
    return (
        sa.select(*cols)
        .where(s.org_id == org_id, s.end_user_id == end_users.c.id, s.archived_at.is_(None))
        .scalar_subquery()
    )


def _ticket_count(org_id: str) -> sa.ScalarSelect[int]:
    t = support_tickets.c
    return (
        sa.select(sa.func.count())
        .where(t.org_id == org_id, t.end_user_id == end_users.c.id)
        .scalar_subquery()
    )


def _search_stmt(org_id: str, q: str | None) -> sa.Select[Any]:
    u = end_users.c
    stmt = sa.select(
        *(u[name] for name in _USER),
        _sessions_of_user(org_id, sa.func.count()).label("session_count"),
        _ticket_count(org_id).label("ticket_count"),
    ).where(u.org_id == org_id)
    if q and q.strip():
        text = q.strip()
        stmt = stmt.where(
            sa.or_(
                contains(u.email, text),
                contains(u.display_name, text),
                contains(u.distinct_id, text),
            )
        )
    return stmt


def _seen_after(after: tuple | None) -> list[sa.ColumnElement[bool]]:
    """Users after the cursor in (last_seen_at DESC, id ASC): mixed directions, so no row value."""
    if after is None:
        return []
    seen, uid = to_datetime(after[0]), after[1]
    u = end_users.c
    # The first term bounds the index range; the second only sorts out equal timestamps.
    return [u.last_seen_at <= seen, sa.or_(u.last_seen_at < seen, u.id > uid)]


def search(
    conn: sa.Connection,
    *,
    org_id: str,
    q: str | None = None,
    after: tuple | None = None,
    limit: int = 50,
) -> Page:
    """End users matching q, most recently seen first (never seen last), then by id."""
    u, base, rows = end_users.c, _search_stmt(org_id, q), []
    # Two seeks instead of NULLS LAST, which would not follow the index on PostgreSQL.
    if after is None or after[0] is not None:
        seen = base.where(u.last_seen_at.is_not(None), *_seen_after(after))
        seen = seen.order_by(u.last_seen_at.desc(), u.id).limit(limit + 1)
        rows = list(conn.execute(seen).mappings())
    if len(rows) <= limit:
        never = base.where(u.last_seen_at.is_(None))
        if after is not None and after[0] is None:
            never = never.where(u.id > after[1])
        never = never.order_by(u.id).limit(limit + 1 - len(rows))
        rows += list(conn.execute(never).mappings())
    return page_of(rows, SEARCH_COLUMNS, limit, _cursor)


def _cursor(row: Mapping[str, Any]) -> tuple:
    return (iso(row["last_seen_at"]), row["id"])


def resolve(conn: sa.Connection, *, org_id: str, ref: str) -> EndUser | None:
    """The end user whose id (preferred) or distinct_id is ref, in this org; None if none."""
    u, s = end_users.c, sessions.c
    total = sa.func.coalesce(sa.func.sum(s.total_tool_calls), 0)
    errors = sa.func.coalesce(sa.func.sum(s.total_errors), 0)
    stmt = (
        sa.select(
            *(u[name] for name in _USER),
            _sessions_of_user(org_id, sa.func.count()).label("session_count"),
            _sessions_of_user(org_id, total).label("tool_calls"),
            _sessions_of_user(org_id, errors).label("errors"),
            _ticket_count(org_id).label("ticket_count"),
        )
        .where(u.org_id == org_id, sa.or_(u.id == ref, u.distinct_id == ref))
        .order_by(sa.case((u.id == ref, 0), else_=1))
        .limit(1)
    )
    row = conn.execute(stmt).mappings().first()
    return EndUser(**row) if row else None
