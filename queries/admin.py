"""Admin queries: every session of an organization, filtered, sorted and paged by keyset."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import sqlalchemy as sa

from queries.page import Page, contains, frame, page_of
from queries.sql import epoch_us
from queries.tool_path import Path, session_path
from sessionscope import schema
from sessionscope.db import is_postgres

SORTS = ("started_at", "duration", "errors")
_CURSOR_COLUMN = {"started_at": "started_at", "duration": "duration_s", "errors": "total_errors"}
EXPORT_CHUNK = 500  # ids per IN list: well under SQLite's bound-parameter limit


@dataclass(frozen=True)
class AdminFilter:
    """What the admin table and analytics show; hashable so it can key st.cache_data."""

    user_q: str | None = None
    date_from: date | None = None
    date_to: date | None = None  # inclusive: the whole day (UTC)
    statuses: tuple[str, ...] = ()
    server_ids: tuple[str, ...] = ()
    title_q: str | None = None
    include_archived: bool = False
    # The analytics' click-throughs (the Sessions tab only; see narrowing): sessions holding
    # a tool path, of a client (name, version), over a transport, or with a call of a method
    # to a target (a tool, resource or prompt name), failed when call_failed.
    path: Path | None = None
    client_name: str | None = None
    client_version: str | None = None
    transport: str | None = None
    call_method: str | None = None
    call_target: str | None = None
    call_failed: bool = False

    @property
    def narrowed(self) -> bool:
        """Is a click-through filter set (one the analytics do not apply)?"""
        return self != broad(self)


def broad(flt: AdminFilter) -> AdminFilter:
    """The filter without its click-through narrowing (what the analytics cover)."""
    return replace(
        flt,
        path=None,
        client_name=None,
        client_version=None,
        transport=None,
        call_method=None,
        call_target=None,
        call_failed=False,
    )


def transport_of() -> sa.ColumnElement[str]:
    """The transport the OpenTelemetry ingest recorded in sessions.attributes (stdio, tcp,
    pipe...); NULL where none was."""
    return schema.sessions.c.attributes["transport"].as_string()


def duration_s(conn: sa.Connection) -> sa.ColumnElement[float]:
    """Seconds from started_at to completed_at (NULL while running), exact to the microsecond.

    Both backends compute the exact number of microseconds and divide once, so the floats
    are identical (julianday() would round each timestamp to the millisecond on SQLite).
    """
    s = schema.sessions
    if is_postgres(conn):
        return sa.cast(sa.extract("epoch", s.c.completed_at - s.c.started_at), sa.Float)
    micros = epoch_us(conn, s.c.completed_at) - epoch_us(conn, s.c.started_at)
    return sa.type_coerce(micros / 1_000_000.0, sa.Float)


def date_range(col: sa.ColumnElement, flt: AdminFilter) -> list[sa.ColumnElement[bool]]:
    """Conditions keeping `col` within [date_from, date_to] (whole UTC days)."""
    conds = []
    if flt.date_from is not None:
        conds.append(col >= datetime.combine(flt.date_from, time.min, UTC))
    if flt.date_to is not None:
        conds.append(col < datetime.combine(flt.date_to + timedelta(days=1), time.min, UTC))
    return conds


def matching_users(*, org_id: str, text: str) -> sa.Select:
    """Ids of the org's end users whose email, distinct_id or display_name contain `text`."""
    u = schema.end_users
    if "\x00" in text:  # no stored text holds a NUL, and PostgreSQL refuses one as a parameter
        return sa.select(u.c.id).where(sa.false())
    match = [contains(c, text) for c in (u.c.email, u.c.distinct_id, u.c.display_name)]
    return sa.select(u.c.id).where(u.c.org_id == org_id, sa.or_(u.c.id == text, *match))


def session_filters(*, org_id: str, flt: AdminFilter) -> list[sa.ColumnElement[bool]]:
    """WHERE conditions on `sessions` for the org and the filter."""
    s = schema.sessions
    conds = [s.c.org_id == org_id, *date_range(s.c.started_at, flt)]
    if not flt.include_archived:
        conds.append(s.c.archived_at.is_(None))
    if flt.statuses:
        conds.append(s.c.status.in_(flt.statuses))
    if flt.server_ids:
        conds.append(s.c.server_id.in_(flt.server_ids))
    if flt.title_q and flt.title_q.strip():
        conds.append(contains(s.c.title, flt.title_q.strip()))
    if flt.user_q and flt.user_q.strip():
        conds.append(s.c.end_user_id.in_(matching_users(org_id=org_id, text=flt.user_q.strip())))
    return conds + _narrowing(org_id=org_id, flt=flt)


def _narrowing(*, org_id: str, flt: AdminFilter) -> list[sa.ColumnElement[bool]]:
    """The click-through conditions (none unless one is set)."""
    s, tc = schema.sessions, schema.tool_calls
    conds: list[sa.ColumnElement[bool]] = []
    if flt.path is not None:
        conds.append(session_path(org_id, flt.path))
    if flt.client_name is not None:
        conds.append(s.c.client_name == flt.client_name)
    if flt.client_version is not None:
        conds.append(s.c.client_version == flt.client_version)
    if flt.transport is not None:
        conds.append(transport_of() == flt.transport)
    if flt.call_method is not None and flt.call_target is not None:
        call = [tc.c.session_id == s.c.id, tc.c.org_id == org_id]
        call += [tc.c.method == flt.call_method, tc.c.tool_name == flt.call_target]
        if flt.call_failed:
            call.append(tc.c.is_error.is_(True))
        conds.append(sa.exists(sa.select(sa.literal(1)).select_from(tc).where(*call)))
    return conds


def _session_rows(conn: sa.Connection) -> sa.Select:
    s, u, v = schema.sessions, schema.end_users, schema.servers
    return sa.select(
        s.c.id, s.c.title, s.c.status, s.c.end_user_id,
        u.c.email.label("user_email"), u.c.distinct_id.label("user_distinct_id"),
        v.c.name.label("server_name"), v.c.kind.label("server_kind"),
        s.c.started_at, s.c.completed_at, duration_s(conn).label("duration_s"),
        s.c.total_tool_calls, s.c.total_errors, s.c.total_jobs, s.c.total_companies,
        s.c.total_contacts, s.c.total_campaigns, s.c.archived_at,
    ).select_from(
        s.join(u, u.c.id == s.c.end_user_id).join(v, v.c.id == s.c.server_id)
    )  # fmt: skip


def _sort_key(conn: sa.Connection, sort: str) -> sa.ColumnElement:
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}; expected one of {SORTS}")
    if sort == "duration":
        return duration_s(conn)
    s = schema.sessions
    return s.c.started_at if sort == "started_at" else s.c.total_errors


def _seek(key: sa.ColumnElement, after: tuple, *, nullable: bool) -> sa.ColumnElement[bool]:
    """Rows after (value, id) in `key DESC NULLS LAST, id DESC` order."""
    value, last_id = after
    ids = schema.sessions.c.id
    if value is None:  # already among the NULL keys, which come last
        return sa.and_(key.is_(None), ids < last_id)
    # `key <= value` on its own so PostgreSQL can use it as an index bound.
    seek = sa.and_(key <= value, sa.or_(key < value, ids < last_id))
    return sa.or_(seek, key.is_(None)) if nullable else seek


def list_sessions(
    conn: sa.Connection,
    *,
    org_id: str,
    flt: AdminFilter,
    sort: str = "started_at",
    after: tuple | None = None,
    limit: int = 50,
) -> Page:
    """One page of the org's sessions, newest / longest / most errors first, then id DESC."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    key = _sort_key(conn, sort)
    query = _session_rows(conn).where(*session_filters(org_id=org_id, flt=flt))
    if after is not None:
        query = query.where(_seek(key, after, nullable=sort == "duration"))
    # NULLS LAST only where NULLs exist: on started_at it would stop PostgreSQL using the index.
    order = key.desc().nulls_last() if sort == "duration" else key.desc()
    query = query.order_by(order, schema.sessions.c.id.desc()).limit(limit + 1)
    result = conn.execute(query)
    column = _CURSOR_COLUMN[sort]
    return page_of(
        result.mappings().all(), list(result.keys()), limit, lambda r: (r[column], r["id"])
    )


def count_sessions(conn: sa.Connection, *, org_id: str, flt: AdminFilter) -> int:
    """How many of the org's sessions match the filter."""
    query = sa.select(sa.func.count()).select_from(schema.sessions)
    return int(conn.execute(query.where(*session_filters(org_id=org_id, flt=flt))).scalar_one())


def sessions_by_ids(conn: sa.Connection, *, org_id: str, ids: Sequence[str]) -> pd.DataFrame:
    """The org's sessions among `ids` (others silently dropped), newest first, for export."""
    s, wanted = schema.sessions, list(dict.fromkeys(ids))
    parts = [
        frame(conn.execute(_session_rows(conn).where(s.c.org_id == org_id, s.c.id.in_(chunk))))
        for chunk in (wanted[i : i + EXPORT_CHUNK] for i in range(0, len(wanted), EXPORT_CHUNK))
    ]
    if not parts:
        return frame(conn.execute(_session_rows(conn).where(sa.false())))
    rows = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return rows.sort_values(["started_at", "id"], ascending=False, ignore_index=True)


def servers(conn: sa.Connection, *, org_id: str) -> pd.DataFrame:
    """The org's servers and workflows (id, slug, name, kind), for the filter widget."""
    v = schema.servers
    query = sa.select(v.c.id, v.c.slug, v.c.name, v.c.kind).where(v.c.org_id == org_id)
    return frame(conn.execute(query.order_by(v.c.name, v.c.id)))
