"""Tool paths of an AdminFilter's sessions: sequences, loops, what precedes errors and tickets.

Every figure is computed in SQL over the `tools/call` rows of the filter's sessions, ordered
by `seq` within each session (other methods, initialize or resources/read, are not steps of
a path). The window functions (LAG, LEAD, ROW_NUMBER) run on SQLite >= 3.25 and PostgreSQL.

- sequences: runs of 2, 3 and 4 consecutive calls; `occurrences` counts every position,
  `sessions` the sessions holding the sequence at least once.
- loops: the same tool called 3 or more times in a row; one loop per maximal run.
- before_error: each failed call with the one or two calls just before it in its session
  (NULL where the session had no earlier call).
- before_ticket / tickets_per_tool: each ticket of the filter's sessions with the last call
  that started at or before the ticket was raised (the call whose next call started after
  it, or that has none) and the call before that one; NULL when the ticket came first.

Sequences, loops and before_error add up per-day rows (queries.daily.paths_source): the
daily rollup's for settled days, the same grouping done live for the days after, so the
numbers never depend on where they came from. The ticket panels are live: a ticket may be
raised days after its session's day was rolled up, and only a few thousand sessions have one.

Each row opens the sessions that hold it: queries.tool_path, the Admin table's filter.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from queries import daily
from queries.admin import AdminFilter, session_filters
from queries.page import frame
from queries.tool_path import MAX_STEPS, windowed_calls
from sessionscope import schema

LOOP_MIN = daily.LOOP_MIN  # calls in a row that make a loop
STEP_COLUMNS = tuple(f"step{i}" for i in range(1, MAX_STEPS + 1))


def _calls(org_id: str, session_where: list[sa.ColumnElement[bool]]) -> sa.CTE:
    """The windowed calls of the org's sessions matching `session_where` (a CTE)."""
    s, tc = schema.sessions, schema.tool_calls
    query = windowed_calls(tc.c.org_id == org_id, *session_where)
    return query.select_from(tc.join(s, s.c.id == tc.c.session_id)).cte("calls")


def _session_where(org_id: str, flt: AdminFilter) -> list[sa.ColumnElement[bool]]:
    return session_filters(org_id=org_id, flt=flt)


def _total(col: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    return sa.cast(sa.func.sum(col), sa.BigInteger)


def _sessions(col: sa.ColumnElement) -> sa.ColumnElement[int]:
    return sa.func.count(sa.distinct(col))


def sequences(
    conn: sa.Connection, *, org_id: str, flt: AdminFilter, limit: int = 10
) -> pd.DataFrame:
    """The `limit` most common sequences of each length (2, 3, 4): length, step1..step4
    (None past the length), sessions, occurrences; by length, then most sessions first."""
    src = daily.paths_source(conn, org_id=org_id, flt=flt, kinds=daily.SEQ_KINDS)
    steps = [src.c[name] for name in STEP_COLUMNS]
    sessions, occurrences = _total(src.c.sessions), _total(src.c.occurrences)
    length = sa.case({k: int(k[-1]) for k in daily.SEQ_KINDS}, value=src.c.kind)
    grouped = (
        sa.select(
            length.label("length"),
            *steps,
            sessions.label("sessions"),
            occurrences.label("occurrences"),
            sa.func.row_number()
            .over(
                partition_by=src.c.kind,
                order_by=[sessions.desc(), occurrences.desc(), *steps],
            )
            .label("rank"),
        )
        .group_by(src.c.kind, *steps)
        .subquery("grouped")
    )
    g = grouped.c
    query = (
        sa.select(g.length, *[g[name] for name in STEP_COLUMNS], g.sessions, g.occurrences)
        .where(g.rank <= limit)
        .order_by(g.length, g.rank)
    )
    return _ints(frame(conn.execute(query)), "length", "sessions", "occurrences")


def loops(
    conn: sa.Connection, *, org_id: str, flt: AdminFilter, limit: int | None = 10
) -> pd.DataFrame:
    """Tools called LOOP_MIN+ times in a row (a failed call does not break the run):
    tool_name, sessions, loops (maximal runs), longest (calls in the longest run), calls
    (in all its loops); most sessions first."""
    src = daily.paths_source(conn, org_id=org_id, flt=flt, kinds=("loop",))
    c = src.c
    sessions, longest = _total(c.sessions), sa.func.max(c.longest)
    query = (
        sa.select(
            c.step1.label("tool_name"),
            sessions.label("sessions"),
            _total(c.occurrences).label("loops"),
            sa.cast(longest, sa.BigInteger).label("longest"),
            _total(c.calls).label("calls"),
        )
        .group_by(c.step1)
        .order_by(sessions.desc(), longest.desc(), c.step1)
        .limit(limit)  # None: all
    )
    return _ints(frame(conn.execute(query)), "sessions", "loops", "longest", "calls")


def before_error(
    conn: sa.Connection, *, org_id: str, flt: AdminFilter, limit: int = 10
) -> pd.DataFrame:
    """What precedes a failed call: before_2, before_1 (None at the session's start),
    failed_tool, errors (failed calls), sessions; most errors first."""
    src = daily.paths_source(conn, org_id=org_id, flt=flt, kinds=("before_error",))
    c = src.c
    keys = [c.step1, c.step2, c.step3]
    errors, sessions = _total(c.occurrences), _total(c.sessions)
    query = (
        sa.select(
            c.step1.label("before_2"),
            c.step2.label("before_1"),
            c.step3.label("failed_tool"),
            errors.label("errors"),
            sessions.label("sessions"),
        )
        .group_by(*keys)
        .order_by(errors.desc(), sessions.desc(), *[k.asc().nulls_first() for k in keys])
        .limit(limit)
    )
    return _ints(frame(conn.execute(query)), "errors", "sessions")


def _ticket_calls(org_id: str, flt: AdminFilter) -> sa.Subquery:
    """Each ticket of the filter's sessions with its session, its last call (last_tool) and
    the call before that (before_1); both None when the ticket came before any call."""
    s, t = schema.sessions, schema.support_tickets
    where = _session_where(org_id, flt)
    # Only the calls of sessions with a ticket are windowed: a few thousand, not millions.
    ticketed = sa.select(t.c.session_id).where(t.c.org_id == org_id, t.c.session_id.is_not(None))
    calls = _calls(org_id, [*where, s.c.id.in_(ticketed)])
    c = calls.c
    tickets = (
        sa.select(t.c.id, t.c.session_id, t.c.created_at)
        .where(t.c.org_id == org_id, t.c.session_id.in_(sa.select(s.c.id).where(*where)))
        .subquery("tickets")
    )
    k = tickets.c
    last = sa.and_(
        c.session_id == k.session_id,
        c.started_at <= k.created_at,
        sa.or_(c.next_at.is_(None), c.next_at > k.created_at),
    )
    return (
        sa.select(
            k.id.label("ticket_id"),
            k.session_id,
            c.lag1.label("before_1"),
            c.tool_name.label("last_tool"),
        )
        .select_from(tickets.outerjoin(calls, last))
        .subquery("ticket_calls")
    )


def before_ticket(
    conn: sa.Connection, *, org_id: str, flt: AdminFilter, limit: int = 10
) -> pd.DataFrame:
    """The last two calls before each ticket: before_1, last_tool, tickets, sessions."""
    tc = _ticket_calls(org_id, flt).c
    tickets = sa.func.count()
    query = (
        sa.select(
            tc.before_1,
            tc.last_tool,
            tickets.label("tickets"),
            _sessions(tc.session_id).label("sessions"),
        )
        .group_by(tc.before_1, tc.last_tool)
        .order_by(tickets.desc(), tc.last_tool.asc().nulls_last(), tc.before_1.asc().nulls_first())
        .limit(limit)
    )
    return _ints(frame(conn.execute(query)), "tickets", "sessions")


def tickets_per_tool(
    conn: sa.Connection, *, org_id: str, flt: AdminFilter, limit: int | None = 10
) -> pd.DataFrame:
    """Tickets attributed to the last tool called before them: last_tool (None: no call
    before the ticket), tickets, sessions; most tickets first."""
    tc = _ticket_calls(org_id, flt).c
    tickets = sa.func.count()
    query = (
        sa.select(
            tc.last_tool, tickets.label("tickets"), _sessions(tc.session_id).label("sessions")
        )
        .group_by(tc.last_tool)
        .order_by(tickets.desc(), tc.last_tool.asc().nulls_last())
    )
    if limit is not None:
        query = query.limit(limit)
    return _ints(frame(conn.execute(query)), "tickets", "sessions")


def _ints(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Counts as int64 on both backends (an empty frame's columns are object otherwise)."""
    return df.astype(dict.fromkeys(columns, "int64"))
