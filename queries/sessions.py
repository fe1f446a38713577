"""Sessions of one end user (newest first, keyset paging) and one session's details."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from queries.page import Page, contains, iso, page_of, row_compare, to_datetime
from sessionscope.schema import end_users, servers, sessions, support_tickets

_COUNTS = (
    "total_tool_calls",
    "total_errors",
    "ticket_count",
    "total_jobs",
    "total_companies",
    "total_contacts",
    "total_campaigns",
)
LIST_COLUMNS = (
    "id",
    "title",
    "status",
    "server_name",
    "server_kind",
    "started_at",
    "last_activity_at",
    "completed_at",
    "duration_s",
    *_COUNTS,
    "current_stage",
)


@dataclass(frozen=True)
class SessionDetail:
    """Every column of a session, with its server, its end user and its ticket count."""

    id: str
    org_id: str
    end_user_id: str
    server_id: str
    title: str | None
    status: str
    current_stage: str | None
    started_at: datetime
    last_activity_at: datetime | None
    completed_at: datetime | None
    client_name: str | None
    client_version: str | None
    total_tool_calls: int
    total_errors: int
    total_jobs: int
    total_companies: int
    total_contacts: int
    total_campaigns: int
    workflow_state: Any
    state_version: int
    archived_at: datetime | None
    source: str  # contract v2: seed, import, otlp, ...
    external_id: str | None
    attributes: Any
    server_name: str
    server_kind: str
    user_distinct_id: str
    user_email: str | None
    user_display_name: str | None
    ticket_count: int
    duration_s: float | None


def visible(org_id: str, session_id: str) -> sa.Exists:
    """The session is this organization's and not archived, as a condition: every statement
    about one session's rows carries it, so deciding visibility costs no statement of its own."""
    s = sessions.c
    return sa.exists().where(s.id == session_id, s.org_id == org_id, s.archived_at.is_(None))


def duration_s(row: Mapping[str, Any]) -> float | None:
    """Seconds from start to completion, else to the last activity, else None."""
    end = row["completed_at"] or row["last_activity_at"]
    return (end - row["started_at"]).total_seconds() if end else None


def _ticket_count(org_id: str) -> sa.ScalarSelect[int]:
    t = support_tickets.c
    return (
        sa.select(sa.func.count())
        .where(t.org_id == org_id, t.session_id == sessions.c.id)
        .scalar_subquery()
        .label("ticket_count")
    )


# Sources that record a session for every connection, so most of theirs hold nothing:
# MCPlatform creates one per request that arrives without an Mcp-Session-Id.
EMPTY_HIDDEN_SOURCES = ("mcplatform",)


def _empty(org_id: str) -> sa.ColumnElement[bool]:
    """A session of such a source with no tool call and no ticket."""
    s, t = sessions.c, support_tickets.c
    ticket = sa.exists().where(t.org_id == org_id, t.session_id == s.id)
    return sa.and_(s.source.in_(EMPTY_HIDDEN_SOURCES), s.total_tool_calls == 0, ~ticket)


def empty_count(conn: sa.Connection, *, org_id: str, end_user_id: str) -> int:
    """How many of the user's sessions for_user hides unless asked (see EMPTY_HIDDEN_SOURCES)."""
    s = sessions.c
    stmt = sa.select(sa.func.count()).where(
        s.org_id == org_id, s.end_user_id == end_user_id, s.archived_at.is_(None), _empty(org_id)
    )
    return conn.execute(stmt).scalar_one()


@dataclass(frozen=True)
class ListFilter:
    """Which of a user's sessions the list shows: statuses, a title search, empty synced ones."""

    statuses: tuple[str, ...] = ()
    title_q: str | None = None
    include_empty: bool = False


def _listed(org_id: str, end_user_id: str, flt: ListFilter) -> list[sa.ColumnElement[bool]]:
    """The user's non-archived sessions that the filter keeps."""
    s = sessions.c
    conds = [s.org_id == org_id, s.end_user_id == end_user_id, s.archived_at.is_(None)]
    if flt.statuses:
        conds.append(s.status.in_(list(flt.statuses)))
    if not flt.include_empty:
        conds.append(~_empty(org_id))
    if flt.title_q and flt.title_q.strip():
        conds.append(contains(s.title, flt.title_q.strip()))
    return conds


def for_user(
    conn: sa.Connection,
    *,
    org_id: str,
    end_user_id: str,
    before: tuple | None = None,
    limit: int = 50,
    statuses: tuple[str, ...] = (),
    title_q: str | None = None,
    include_empty: bool = False,
) -> Page:
    """One page of an end user's non-archived sessions, newest first (started_at, id DESC);
    empty synced sessions only with include_empty."""
    s, v = sessions.c, servers.c
    flt = ListFilter(statuses, title_q, include_empty)
    stmt = (
        sa.select(
            *(s[n] for n in ("id", "title", "status")),
            v.name.label("server_name"),
            v.kind.label("server_kind"),
            *(s[n] for n in ("started_at", "last_activity_at", "completed_at")),
            *(s[n] if n != "ticket_count" else _ticket_count(org_id) for n in _COUNTS),
            s.current_stage,
        )
        .join_from(sessions, servers, v.id == s.server_id)
        .where(*_listed(org_id, end_user_id, flt))
        .order_by(s.started_at.desc(), s.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        stmt = stmt.where(_newest_first_after(before))
    rows = [{**row, "duration_s": duration_s(row)} for row in conn.execute(stmt).mappings()]
    return page_of(rows, LIST_COLUMNS, limit, _list_key)


def _list_key(row: Mapping[str, Any]) -> tuple:
    return (iso(row["started_at"]), row["id"])


def _newest_first_after(key: tuple) -> sa.ColumnElement[bool]:
    s = sessions.c
    return row_compare((s.started_at, s.id), (to_datetime(key[0]), key[1]), "<")


def before_newer(
    conn: sa.Connection,
    *,
    org_id: str,
    end_user_id: str,
    flt: ListFilter,
    key: tuple,
    newer: int,
) -> tuple | None:
    """The `before` cursor of the page that starts `newer` sessions above `key` (fewer at the
    top of the list: None), so that page shows those sessions and then the one at `key`."""
    s = sessions.c
    above = row_compare((s.started_at, s.id), (to_datetime(key[0]), key[1]), ">")
    stmt = (
        sa.select(s.started_at, s.id)
        .where(*_listed(org_id, end_user_id, flt), above)
        .order_by(s.started_at, s.id)
        .limit(newer + 1)
    )
    rows = conn.execute(stmt).all()
    return (iso(rows[newer][0]), rows[newer][1]) if len(rows) > newer else None


def get(
    conn: sa.Connection, *, org_id: str, session_id: str, include_archived: bool = False
) -> SessionDetail | None:
    """One session of this org with its server and end user; None if not visible."""
    s, v, u = sessions.c, servers.c, end_users.c
    stmt = (
        sa.select(
            sessions,
            v.name.label("server_name"),
            v.kind.label("server_kind"),
            u.distinct_id.label("user_distinct_id"),
            u.email.label("user_email"),
            u.display_name.label("user_display_name"),
            _ticket_count(org_id),
        )
        .join_from(sessions, servers, v.id == s.server_id)
        .join(end_users, u.id == s.end_user_id)
        .where(s.id == session_id, s.org_id == org_id)
    )
    if not include_archived:
        stmt = stmt.where(s.archived_at.is_(None))
    row = conn.execute(stmt).mappings().first()
    return SessionDetail(**row, duration_s=duration_s(row)) if row else None
