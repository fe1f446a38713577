"""Numbers for one session's details page: its calls, tools and latency, and how the user's
average session compares. Percentiles are nearest-rank, computed in SQL on both backends.
A tool call is a `tools/call` row; other MCP requests (initialize, tools/list...) are not
counted, as the session's totals and the Admin analytics do not count them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from queries.page import frame
from sessionscope.schema import TOOL_CALL_METHOD, sessions, support_tickets, tool_calls


@dataclass(frozen=True)
class UserAverages:
    """The mean over a user's sessions (not archived), and their calls' latency percentiles."""

    sessions: int
    tool_calls: float
    errors: float
    error_rate: float | None
    tickets: float
    jobs: float
    companies: float
    contacts: float
    campaigns: float
    p50_ms: float | None
    p95_ms: float | None


def _visible(org_id: str, session_id: str) -> sa.ColumnElement[bool]:
    s = sessions.c
    return sa.exists().where(s.id == session_id, s.org_id == org_id, s.archived_at.is_(None))


def _calls_of(org_id: str, session_id: str) -> list[sa.ColumnElement[bool]]:
    """The session's tool calls, if the session is visible."""
    t = tool_calls.c
    return [
        t.session_id == session_id,
        t.org_id == org_id,
        t.method == TOOL_CALL_METHOD,
        _visible(org_id, session_id),
    ]


def calls(conn: sa.Connection, *, org_id: str, session_id: str) -> pd.DataFrame:
    """Every tool call of the session, no payloads: seq, tool_name, at, duration_ms, is_error."""
    t = tool_calls.c
    stmt = (
        sa.select(t.seq, t.tool_name, t.started_at.label("at"), t.duration_ms, t.is_error)
        .where(*_calls_of(org_id, session_id))
        .order_by(t.started_at, t.seq)
    )
    return frame(conn.execute(stmt))


def tickets(conn: sa.Connection, *, org_id: str, session_id: str) -> pd.DataFrame:
    """The session's tickets as timeline markers: at, label, priority, status."""
    k = support_tickets.c
    stmt = (
        sa.select(k.created_at.label("at"), k.title.label("label"), k.priority, k.status)
        .where(k.session_id == session_id, k.org_id == org_id, _visible(org_id, session_id))
        .order_by(k.created_at, k.id)
    )
    return frame(conn.execute(stmt))


def per_tool(conn: sa.Connection, *, org_id: str, session_id: str) -> pd.DataFrame:
    """Calls and errors per tool in the session, most used first."""
    t = tool_calls.c
    errors = sa.func.sum(sa.case((t.is_error, 1), else_=0))
    stmt = (
        sa.select(t.tool_name, sa.func.count().label("calls"), errors.label("errors"))
        .where(*_calls_of(org_id, session_id))
        .group_by(t.tool_name)
        .order_by(sa.func.count().desc(), t.tool_name)
    )
    return frame(conn.execute(stmt)).astype({"calls": "int64", "errors": "int64"})


def _percentile(conn: sa.Connection, durations: sa.Select, p: float) -> float | None:
    """Nearest-rank percentile of a one-column select: the ceil(p*n)-th smallest value."""
    sub = durations.subquery()
    col = sub.c[0]
    n = conn.execute(sa.select(sa.func.count(col))).scalar_one()
    if not n:
        return None
    rank = max(math.ceil(p * n), 1)
    value = conn.execute(
        sa.select(col).where(col.is_not(None)).order_by(col).limit(1).offset(rank - 1)
    ).scalar_one()
    return float(value)


def latency(conn: sa.Connection, *, org_id: str, session_id: str) -> tuple[float | None, ...]:
    """(p50, p95) of the session's call durations in ms; None when it has no timed calls."""
    t = tool_calls.c
    durations = sa.select(t.duration_ms).where(*_calls_of(org_id, session_id))
    return tuple(_percentile(conn, durations, p) for p in (0.5, 0.95))


def user_averages(conn: sa.Connection, *, org_id: str, end_user_id: str) -> UserAverages:
    """The user's average session, for 'difference from this user's average' on each metric."""
    s = sessions.c
    mine = sa.and_(s.org_id == org_id, s.end_user_id == end_user_id, s.archived_at.is_(None))
    avg = sa.func.avg
    row = conn.execute(
        sa.select(
            sa.func.count().label("n"),
            sa.func.sum(s.total_tool_calls).label("calls"),
            sa.func.sum(s.total_errors).label("errors"),
            *(avg(getattr(s, c)).label(c) for c in
              ("total_jobs", "total_companies", "total_contacts", "total_campaigns")),
        ).where(mine)
    ).one()  # fmt: skip
    n = row.n or 0
    ids = sa.select(s.id).where(mine)
    k = support_tickets.c
    ticket_n = conn.execute(
        sa.select(sa.func.count()).where(k.org_id == org_id, k.session_id.in_(ids))
    ).scalar_one()
    t = tool_calls.c
    durations = sa.select(t.duration_ms).where(
        t.org_id == org_id, t.session_id.in_(ids), t.method == TOOL_CALL_METHOD
    )
    calls_n, errors_n = row.calls or 0, row.errors or 0
    return UserAverages(
        sessions=n,
        tool_calls=calls_n / n if n else 0.0,
        errors=errors_n / n if n else 0.0,
        error_rate=errors_n / calls_n if calls_n else None,
        tickets=ticket_n / n if n else 0.0,
        jobs=float(row.total_jobs or 0),
        companies=float(row.total_companies or 0),
        contacts=float(row.total_contacts or 0),
        campaigns=float(row.total_campaigns or 0),
        p50_ms=_percentile(conn, durations, 0.5),
        p95_ms=_percentile(conn, durations, 0.95),
    )
