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

Every panel adds up per-day rows (queries.daily.paths_source): the daily rollup's for
settled days, the same grouping done live for the days after, so the numbers never depend
on where they came from. A ticket counts on its session's day; the writers that add one
(import, the MCPlatform sync) rebuild that day when it is settled.

Each row opens the sessions that hold it: queries.tool_path, the Admin table's filter.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from queries import daily
from queries.admin import AdminFilter
from queries.page import frame
from queries.sql import sum_int
from queries.tool_path import MAX_STEPS

LOOP_MIN = daily.LOOP_MIN  # calls in a row that make a loop
STEP_COLUMNS = tuple(f"step{i}" for i in range(1, MAX_STEPS + 1))


def sequences(
    conn: sa.Connection, *, org_id: str, flt: AdminFilter, limit: int = 10
) -> pd.DataFrame:
    """The `limit` most common sequences of each length (2, 3, 4): length, step1..step4
    (None past the length), sessions, occurrences; by length, then most sessions first."""
    src = daily.paths_source(conn, org_id=org_id, flt=flt, kinds=daily.SEQ_KINDS)
    steps = [src.c[name] for name in STEP_COLUMNS]
    sessions, occurrences = sum_int(src.c.sessions), sum_int(src.c.occurrences)
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
    sessions, longest = sum_int(c.sessions), sa.func.max(c.longest)
    query = (
        sa.select(
            c.step1.label("tool_name"),
            sessions.label("sessions"),
            sum_int(c.occurrences).label("loops"),
            sa.cast(longest, sa.BigInteger).label("longest"),
            sum_int(c.calls).label("calls"),
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
    errors, sessions = sum_int(c.occurrences), sum_int(c.sessions)
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


def before_ticket(
    conn: sa.Connection, *, org_id: str, flt: AdminFilter, limit: int = 10
) -> pd.DataFrame:
    """The last two calls before each ticket: before_1, last_tool, tickets, sessions."""
    c = daily.paths_source(conn, org_id=org_id, flt=flt, kinds=("before_ticket",)).c
    tickets = sum_int(c.occurrences)
    query = (
        sa.select(
            c.step1.label("before_1"),
            c.step2.label("last_tool"),
            tickets.label("tickets"),
            sum_int(c.sessions).label("sessions"),
        )
        .group_by(c.step1, c.step2)
        .order_by(tickets.desc(), c.step2.asc().nulls_last(), c.step1.asc().nulls_first())
        .limit(limit)
    )
    return _ints(frame(conn.execute(query)), "tickets", "sessions")


def tickets_per_tool(
    conn: sa.Connection, *, org_id: str, flt: AdminFilter, limit: int | None = 10
) -> pd.DataFrame:
    """Tickets attributed to the last tool called before them: last_tool (None: no call
    before the ticket), tickets, sessions; most tickets first."""
    c = daily.paths_source(conn, org_id=org_id, flt=flt, kinds=("ticket_tool",)).c
    tickets = sum_int(c.occurrences)
    query = (
        sa.select(
            c.step1.label("last_tool"),
            tickets.label("tickets"),
            sum_int(c.sessions).label("sessions"),
        )
        .group_by(c.step1)
        .order_by(tickets.desc(), c.step1.asc().nulls_last())
        .limit(limit)  # None: all
    )
    return _ints(frame(conn.execute(query)), "tickets", "sessions")


def _ints(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Counts as int64 on both backends (an empty frame's columns are object otherwise)."""
    return df.astype(dict.fromkeys(columns, "int64"))
