"""Per-day aggregates of an org's sessions: what the Admin analytics add up.

Three shapes, each keyed by (day, server_id, status, archived), the dimensions the Admin
filters select:

- sessions: counts and sums of the per-session totals;
- durations: ended sessions per duration bucket (10% wide, see bucket_of), with sums;
- tools: tool calls (`tools/call` requests only) and errors per tool and duration bucket
  (NULL when untimed).

`live_*` group the base tables (one statement each, used live and to build the rollup).
`*_source` is what the analytics read: for an org with a rollup mark and a filter the
rollup can answer (no user or title text), the rollup tables for the days before
`settled_before` plus the live grouping from that day on; otherwise live throughout. Both
arms produce the same rows for the same sessions, so the numbers never depend on where
they came from.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time

import sqlalchemy as sa

from queries.admin import AdminFilter, session_filters
from queries.sql import day_bucket, epoch_us
from sessionscope import schema
from sessionscope.db import is_postgres

# Durations are kept as histograms: per bucket the count and the sum of the durations in it.
# Buckets are exact below EXACT_BELOW_MS, then 10% wide: key LOG_KEYS + floor(ln(ms) / ln 1.1),
# about 24 per power of ten, so a day of a tool's calls fits in ~100 rows. A percentile is
# the mean of the bucket its rank falls in: within 10% of the exact value, and exact when
# the bucket holds one distinct value.
BUCKET_RATIO = 1.1
EXACT_BELOW_MS = 20
LOG_KEYS = 1000  # log buckets' keys start here, above every exact key
_LN_RATIO = math.log(BUCKET_RATIO)


def bucket_of(ms: int) -> int:
    """The bucket key of a duration (the reference for `bucket`, which runs in SQL)."""
    if ms < EXACT_BELOW_MS:
        return ms
    return LOG_KEYS + math.floor(math.log(ms) / _LN_RATIO)


def bucket(ms: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    """bucket_of in SQL (ln: a PostgreSQL built-in and one of SQLite's math functions).

    Keys are ordered as the durations are, so ranking buckets by key ranks durations.
    """

    def const(value: float | int) -> sa.ColumnElement:
        return sa.literal_column(repr(value))  # our constants, inlined so GROUP BY matches

    k = sa.func.floor(sa.func.ln(ms) / const(_LN_RATIO))
    log_key = sa.cast(const(LOG_KEYS) + k, sa.BigInteger)
    # NULL first: SQLAlchemy's SQLite floor() is a Python function that rejects NULL.
    return sa.case((ms.is_(None), None), (ms < const(EXACT_BELOW_MS), ms), else_=log_key)


def session_ms(conn: sa.Connection) -> sa.ColumnElement[int]:
    """Whole milliseconds from started_at to completed_at (NULL while running)."""
    s = schema.sessions
    if is_postgres(conn):
        epoch = sa.extract("epoch", s.c.completed_at - s.c.started_at) * 1000
        return sa.cast(sa.func.round(epoch), sa.BigInteger)
    micros = epoch_us(conn, s.c.completed_at) - epoch_us(conn, s.c.started_at)
    return sa.type_coerce((micros + 500) // 1000, sa.BigInteger)


def _dims(conn: sa.Connection) -> list[sa.ColumnElement]:
    s = schema.sessions
    return [
        day_bucket(conn, s.c.started_at).label("day"),
        s.c.server_id,
        s.c.status,
        s.c.archived_at.is_not(None).label("archived"),
    ]


def _total(col: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    return sa.cast(sa.func.coalesce(sa.func.sum(col), 0), sa.BigInteger)


def _grouped(conn: sa.Connection, *columns: sa.ColumnElement) -> sa.Select:
    dims = _dims(conn)
    return sa.select(*dims, *columns).group_by(*dims)


# rollup_sessions column -> the sessions column it sums
SUMS = {
    "tool_calls": "total_tool_calls",
    "tool_errors": "total_errors",
    "jobs": "total_jobs",
    "companies": "total_companies",
    "contacts": "total_contacts",
    "campaigns": "total_campaigns",
}


def live_sessions(conn: sa.Connection) -> sa.Select:
    """Sessions grouped: counts and sums of their totals (add the WHERE)."""
    s = schema.sessions
    sums = [_total(s.c[column]).label(name) for name, column in SUMS.items()]
    return _grouped(conn, sa.func.count().label("sessions"), *sums)


def live_durations(conn: sa.Connection) -> sa.Select:
    """Ended sessions grouped by bucketed duration (add the WHERE)."""
    ms = session_ms(conn)
    key = bucket(ms).label("bucket")
    query = _grouped(
        conn, key, sa.func.count().label("sessions"), _total(ms).label("ms_sum")
    ).group_by(key)
    return query.where(schema.sessions.c.completed_at.is_not(None))


def live_tools(conn: sa.Connection, *, org_id: str) -> sa.Select:
    """The org's tool calls grouped by their session's dimensions, tool and bucketed duration
    (add the WHERE on sessions). Only `tools/call` rows: initialize, tools/list, resources/read
    ... are protocol requests, not tools (on PostgreSQL the covering index holds `method`)."""
    s, tc = schema.sessions, schema.tool_calls
    ms = sa.cast(tc.c.duration_ms, sa.BigInteger)
    key = bucket(ms).label("bucket")
    query = _grouped(
        conn,
        tc.c.tool_name,
        key,
        sa.func.count().label("calls"),
        sa.func.count().filter(tc.c.is_error).label("errors"),
        _total(ms).label("ms_sum"),
    ).group_by(tc.c.tool_name, key)
    query = query.select_from(tc.join(s, s.c.id == tc.c.session_id))
    return query.where(tc.c.org_id == org_id, tc.c.method == schema.TOOL_CALL_METHOD)


def settled_before(conn: sa.Connection, *, org_id: str) -> date | None:
    """The first day the rollup does not hold for the org (None: no rollup, all live)."""
    m = schema.rollup_marks
    query = sa.select(m.c.settled_before).where(m.c.org_id == org_id)
    return conn.execute(query).scalar_one_or_none()


def _rollup_usable(flt: AdminFilter) -> bool:
    return not any(q and q.strip() for q in (flt.user_q, flt.title_q))


def _rollup_where(table: sa.Table, org_id: str, flt: AdminFilter, mark: date) -> list:
    c = table.c
    conds = [c.org_id == org_id, c.day < mark]
    if flt.date_from is not None:
        conds.append(c.day >= flt.date_from)
    if flt.date_to is not None:
        conds.append(c.day <= flt.date_to)
    if not flt.include_archived:
        conds.append(c.archived.is_(False))
    if flt.statuses:
        conds.append(c.status.in_(flt.statuses))
    if flt.server_ids:
        conds.append(c.server_id.in_(flt.server_ids))
    return conds


def _source(
    conn: sa.Connection, org_id: str, flt: AdminFilter, table: sa.Table, live: sa.Select
) -> sa.Subquery:
    where = session_filters(org_id=org_id, flt=flt)
    mark = settled_before(conn, org_id=org_id) if _rollup_usable(flt) else None
    if mark is None:
        return live.where(*where).subquery()
    stored = sa.select(*[table.c[c.name] for c in live.selected_columns])
    stored = stored.where(*_rollup_where(table, org_id, flt, mark))
    recent = live.where(*where, schema.sessions.c.started_at >= midnight(mark))
    return sa.union_all(stored, recent).subquery()


def midnight(day: date) -> datetime:
    """The UTC instant a day starts."""
    return datetime.combine(day, time.min, UTC)


def sessions_source(conn: sa.Connection, *, org_id: str, flt: AdminFilter) -> sa.Subquery:
    """Rows (day, server_id, status, archived, sessions, tool_calls, tool_errors, jobs,
    companies, contacts, campaigns) covering exactly the sessions the filter selects."""
    return _source(conn, org_id, flt, schema.rollup_sessions, live_sessions(conn))


def durations_source(conn: sa.Connection, *, org_id: str, flt: AdminFilter) -> sa.Subquery:
    """Rows (day, server_id, status, archived, bucket, sessions, ms_sum) of the filter's
    ended sessions."""
    return _source(conn, org_id, flt, schema.rollup_durations, live_durations(conn))


def tools_source(conn: sa.Connection, *, org_id: str, flt: AdminFilter) -> sa.Subquery:
    """Rows (day, server_id, status, archived, tool_name, bucket, calls, errors, ms_sum) of the tool
    calls of the filter's sessions."""
    return _source(conn, org_id, flt, schema.rollup_tools, live_tools(conn, org_id=org_id))
