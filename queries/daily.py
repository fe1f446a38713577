"""Per-day aggregates of an org's sessions: what the Admin analytics add up.

Five shapes, each keyed by (day, server_id, status, archived), the dimensions the Admin
filters select:

- sessions: counts and sums of the per-session totals;
- durations: ended sessions per duration bucket (10% wide, see bucket_of), with sums;
- tools: calls and errors per method (tools/call, resources/read, prompts/get), target and
  duration bucket (NULL when untimed); the Admin tool chart reads `tools/call` only;
- clients: sessions, calls and errors per client name and version and transport;
- paths: the Tool paths panels' sequences, loops, calls before an error and before a
  ticket, per kind and steps (live_paths; the sessions' conditions go inside its windows,
  so it takes a WHERE).

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

from queries.admin import AdminFilter, session_filters, transport_of
from queries.sql import day_bucket, epoch_us, sum_int
from queries.tool_path import raised_after, windowed_calls
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
    sums = [sum_int(s.c[column]).label(name) for name, column in SUMS.items()]
    return _grouped(conn, sa.func.count().label("sessions"), *sums)


def live_durations(conn: sa.Connection) -> sa.Select:
    """Ended sessions grouped by bucketed duration (add the WHERE)."""
    ms = session_ms(conn)
    key = bucket(ms).label("bucket")
    query = _grouped(
        conn, key, sa.func.count().label("sessions"), sum_int(ms).label("ms_sum")
    ).group_by(key)
    return query.where(schema.sessions.c.completed_at.is_not(None))


def live_tools(
    conn: sa.Connection, *, org_id: str, methods: tuple[str, ...] = (schema.TOOL_CALL_METHOD,)
) -> sa.Select:
    """The org's calls of `methods` (among schema.TARGET_METHODS) grouped by their session's
    dimensions, method, target (tool_name) and bucketed duration (add the WHERE on sessions).
    By default only `tools/call` rows: initialize, tools/list, resources/read ... are
    protocol requests, not tools (on PostgreSQL the covering index holds `method`)."""
    if not methods or not set(methods) <= set(schema.TARGET_METHODS):
        raise ValueError(f"methods must be among {schema.TARGET_METHODS}, got {methods!r}")
    s, tc = schema.sessions, schema.tool_calls
    ms = sa.cast(tc.c.duration_ms, sa.BigInteger)
    key = bucket(ms).label("bucket")
    query = _grouped(
        conn,
        tc.c.tool_name,
        key,
        sa.func.count().label("calls"),
        sa.func.count().filter(tc.c.is_error).label("errors"),
        sum_int(ms).label("ms_sum"),
        tc.c.method,
    ).group_by(tc.c.tool_name, key, tc.c.method)
    query = query.select_from(tc.join(s, s.c.id == tc.c.session_id))
    return query.where(tc.c.org_id == org_id, tc.c.method.in_(methods))


def live_clients(conn: sa.Connection) -> sa.Select:
    """Sessions grouped by client name and version and transport: sessions, and the calls
    and errors they recorded (add the WHERE)."""
    s = schema.sessions.c
    keys = [s.client_name, s.client_version, transport_of().label("transport")]
    return _grouped(
        conn,
        *keys,
        sa.func.count().label("sessions"),
        sum_int(s.total_tool_calls).label("calls"),
        sum_int(s.total_errors).label("errors"),
    ).group_by(*keys)


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
    conn: sa.Connection,
    org_id: str,
    flt: AdminFilter,
    table: sa.Table,
    live: sa.Select,
    *stored_where: sa.ColumnElement[bool],
) -> sa.Subquery:
    """`live` (grouped base rows) for the filter's sessions, or `table`'s rows matching
    `stored_where` for the settled days plus `live` for the days after."""
    where = session_filters(org_id=org_id, flt=flt)
    mark = settled_before(conn, org_id=org_id) if _rollup_usable(flt) else None
    if mark is None:
        return live.where(*where).subquery()
    stored = sa.select(*[table.c[c.name] for c in live.selected_columns])
    stored = stored.where(*_rollup_where(table, org_id, flt, mark), *stored_where)
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


def tools_source(
    conn: sa.Connection,
    *,
    org_id: str,
    flt: AdminFilter,
    methods: tuple[str, ...] = (schema.TOOL_CALL_METHOD,),
) -> sa.Subquery:
    """Rows (day, server_id, status, archived, tool_name, bucket, calls, errors, ms_sum,
    method) of the calls of `methods` of the filter's sessions (tool calls by default)."""
    live = live_tools(conn, org_id=org_id, methods=methods)
    t = schema.rollup_tools
    return _source(conn, org_id, flt, t, live, t.c.method.in_(methods))


def clients_source(conn: sa.Connection, *, org_id: str, flt: AdminFilter) -> sa.Subquery:
    """Rows (day, server_id, status, archived, client_name, client_version, transport,
    sessions, calls, errors) of the filter's sessions."""
    return _source(conn, org_id, flt, schema.rollup_clients, live_clients(conn))


# --- tool paths ----------------------------------------------------------------------------------
# rollup_paths' rows: per day dims, kind and steps (see schema.rollup_paths). Every count adds
# up across days and dims (a session belongs to its start day), except longest (the max).

SEQ_KINDS = ("seq2", "seq3", "seq4")
TICKET_KINDS = ("before_ticket", "ticket_tool")
LOOP_MIN = 3  # calls in a row that make a loop
_STEPS = [f"step{i}" for i in range(1, schema.PATH_STEPS + 1)]
_DIM_NAMES = ("day", "server_id", "status", "archived")
_PATH_COLUMNS = (*_DIM_NAMES, "kind", *_STEPS, "sessions", "occurrences", "longest", "calls")


def _kind(kind: str) -> sa.ColumnElement[str]:
    return sa.literal_column(f"'{kind}'", sa.String).label("kind")  # one of PATH_KINDS


def _steps(values: list[sa.ColumnElement]) -> list[sa.ColumnElement]:
    """step1..step4: the values, NULL past them (typed: the parts are UNIONed)."""
    padded = values + [sa.null()] * (schema.PATH_STEPS - len(values))
    return [sa.cast(v, sa.String).label(n) for v, n in zip(padded, _STEPS, strict=True)]


def _zero(name: str) -> sa.ColumnElement[int]:
    return sa.cast(sa.literal_column("0"), sa.BigInteger).label(name)


def _per_session(
    c: sa.ColumnCollection, kind: str, steps: list[sa.ColumnElement], where: sa.ColumnElement
) -> sa.Select:
    """One row per session and key of the calls matching `where`: times (positions)."""
    dims = [c[n] for n in _DIM_NAMES]
    keyed = sa.select(*dims, c.session_id, *_steps(steps)).where(where).subquery()
    k = keyed.c
    keys = [k[n] for n in (*_DIM_NAMES, "session_id", *_STEPS)]
    return sa.select(
        *keys, _kind(kind), sa.func.count().label("times"), _zero("longest"), _zero("calls")
    ).group_by(*keys)


def _loops_per_session(c: sa.ColumnCollection) -> sa.Select:
    """One row per session and tool with LOOP_MIN+ calls in a row: times (loops), the
    longest run, calls in its loops. Gaps and islands: within a run of one tool, rank in
    the session minus rank among the session's calls of that tool is constant."""
    dims = [c[n] for n in _DIM_NAMES]
    island = c.rn - sa.func.row_number().over(
        partition_by=[c.session_id, c.tool_name], order_by=c.seq
    )
    ranked = sa.select(*dims, c.session_id, c.tool_name, island.label("island")).subquery()
    r = ranked.c
    run_keys = [r[n] for n in (*_DIM_NAMES, "session_id", "tool_name")]
    runs = (
        sa.select(*run_keys, sa.func.count().label("run"))
        .group_by(*run_keys, r.island)
        .having(sa.func.count() >= LOOP_MIN)
        .subquery()
    )
    u = runs.c
    keys = [u[n] for n in (*_DIM_NAMES, "session_id")]
    return sa.select(
        *keys,
        *_steps([u.tool_name]),
        _kind("loop"),
        sa.func.count().label("times"),
        sa.cast(sa.func.max(u.run), sa.BigInteger).label("longest"),
        sum_int(u.run).label("calls"),
    ).group_by(*keys, u.tool_name)


def _ticketed(org_id: str) -> sa.Select:
    t = schema.support_tickets.c
    return sa.select(t.session_id).where(t.org_id == org_id, t.session_id.is_not(None))


def _ticket_calls(
    conn: sa.Connection,
    org_id: str,
    where: list[sa.ColumnElement[bool]],
    calls: sa.CTE,
) -> sa.ColumnCollection:
    """Each ticket of the org's sessions matching `where`, with its session's dims, the last
    of the windowed `calls` that started at or before it was raised (the call whose next
    call started after it, or that has none: last_tool) and the call before that one
    (before_1); both NULL when the ticket came before any call."""
    s, t = schema.sessions, schema.support_tickets
    tickets = (
        sa.select(*_dims(conn), t.c.session_id, t.c.created_at)
        .select_from(t.join(s, s.c.id == t.c.session_id))
        .where(t.c.org_id == org_id, *where)
        .subquery("tickets")
    )
    k, c = tickets.c, calls.c
    last = sa.and_(c.session_id == k.session_id, raised_after(c, k.created_at))
    dims = [k[n] for n in _DIM_NAMES]
    joined = sa.select(
        *dims, k.session_id, c.lag1.label("before_1"), c.tool_name.label("last_tool")
    ).select_from(tickets.outerjoin(calls, last))
    return joined.subquery("ticket_calls").c


def live_paths(
    conn: sa.Connection,
    *,
    org_id: str,
    where: list[sa.ColumnElement[bool]],
    kinds: tuple[str, ...] = schema.PATH_KINDS,
) -> sa.Select:
    """The tool paths of `kinds` of the org's sessions matching `where` (conditions on
    `sessions`), grouped: rows (day, server_id, status, archived, kind, step1..step4,
    sessions, occurrences, longest, calls), rollup_paths' columns but org_id."""
    if not kinds or not set(kinds) <= set(schema.PATH_KINDS):
        raise ValueError(f"kinds must be among {schema.PATH_KINDS}, got {kinds!r}")
    s, tc = schema.sessions, schema.tool_calls
    if set(kinds) <= set(TICKET_KINDS):  # only the sessions with a ticket need their calls
        where = [*where, s.c.id.in_(_ticketed(org_id))]
    # The sessions' conditions go inside, before the windows: whole sessions are in or out.
    calls = windowed_calls(tc.c.org_id == org_id, *where).add_columns(*_dims(conn))
    cte = calls.select_from(tc.join(s, s.c.id == tc.c.session_id)).cte("calls")
    c = cte.c
    parts = []
    for n in (2, 3, 4):
        if f"seq{n}" in kinds:
            steps = [c[f"lag{k}"] for k in range(n - 1, 0, -1)] + [c.tool_name]
            parts.append(_per_session(c, f"seq{n}", steps, c[f"lag{n - 1}"].is_not(None)))
    if "before_error" in kinds:
        steps = [c.lag2, c.lag1, c.tool_name]
        parts.append(_per_session(c, "before_error", steps, c.is_error.is_(True)))
    if "loop" in kinds:
        parts.append(_loops_per_session(c))
    if set(kinds) & set(TICKET_KINDS):
        k = _ticket_calls(conn, org_id, where, cte)
        if "before_ticket" in kinds:
            parts.append(_per_session(k, "before_ticket", [k.before_1, k.last_tool], sa.true()))
        if "ticket_tool" in kinds:
            parts.append(_per_session(k, "ticket_tool", [k.last_tool], sa.true()))
    per_session = sa.union_all(*parts).subquery("per_session")
    p = per_session.c
    keys = [p[n] for n in (*_DIM_NAMES, "kind", *_STEPS)]
    return sa.select(
        *keys,
        sa.cast(sa.func.count(), sa.BigInteger).label("sessions"),
        sum_int(p.times).label("occurrences"),
        sa.cast(sa.func.max(p.longest), sa.BigInteger).label("longest"),
        sum_int(p.calls).label("calls"),
    ).group_by(*keys)


def paths_source(
    conn: sa.Connection, *, org_id: str, flt: AdminFilter, kinds: tuple[str, ...]
) -> sa.Subquery:
    """live_paths' rows of `kinds` covering exactly the filter's sessions: rollup_paths for
    settled days plus the live grouping from the mark on, or live throughout (no mark, or a
    filter the rollup cannot answer: user or title text, a click-through narrowing)."""
    where = session_filters(org_id=org_id, flt=flt)
    usable = _rollup_usable(flt) and not flt.narrowed
    mark = settled_before(conn, org_id=org_id) if usable else None
    if mark is None:
        return live_paths(conn, org_id=org_id, where=where, kinds=kinds).subquery()
    t = schema.rollup_paths
    stored = sa.select(*[t.c[name] for name in _PATH_COLUMNS])
    stored = stored.where(t.c.kind.in_(kinds), *_rollup_where(t, org_id, flt, mark))
    recent = live_paths(
        conn,
        org_id=org_id,
        where=[*where, schema.sessions.c.started_at >= midnight(mark)],
        kinds=kinds,
    )
    return sa.union_all(stored, recent).subquery()
