"""Admin analytics over the sessions an AdminFilter selects (its date range is the period).

Every number is aggregated in SQL. Percentiles are nearest-rank: the value at rank
ceil(p * n) in ascending order, so SQLite and PostgreSQL give identical numbers. Session
durations are ranked with row_number() and count() windows; tool-call durations (integer
ms) are grouped into a histogram first and ranked by running counts, which picks the same
value from far fewer rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

import pandas as pd
import sqlalchemy as sa

from queries.admin import AdminFilter, date_range, day_bucket, duration_s, session_filters
from queries.page import frame
from sessionscope import schema

FUNNEL_STEPS = ("jobs", "companies", "contacts", "campaigns")


@dataclass(frozen=True)
class Kpis:
    """Headline numbers of the filtered sessions (rates and durations None when undefined)."""

    total_sessions: int
    active_now: int
    success_rate: float | None
    median_duration_s: float | None
    p95_duration_s: float | None
    tool_calls: int
    tool_errors: int
    tool_error_rate: float | None
    tickets_opened: int


def _nearest_rank(
    value: sa.ColumnElement, rn: sa.ColumnElement, n: sa.ColumnElement, pct: int
) -> sa.ColumnElement:
    """Aggregate picking `value` at rank ceil(pct/100 * n); integer maths, no ceil() needed."""
    hit = sa.and_(rn * 100 >= n * pct, (rn - 1) * 100 < n * pct)
    return sa.func.max(sa.case((hit, value)))


def _rate(part: sa.ColumnElement, whole: sa.ColumnElement) -> sa.ColumnElement[float]:
    return sa.cast(part, sa.Float) / sa.func.nullif(whole, 0)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _ranked_durations(
    conn: sa.Connection, *, org_id: str, flt: AdminFilter, by_day: bool
) -> sa.Subquery:
    """Durations of the filtered ended sessions with rn and n, per UTC day or overall."""
    s, dur = schema.sessions, duration_s(conn)
    day = day_bucket(conn, s.c.started_at)
    within = {"partition_by": day} if by_day else {}
    columns = [day.label("day")] if by_day else []
    return (
        sa.select(
            *columns,
            dur.label("dur"),
            sa.func.row_number().over(order_by=dur, **within).label("rn"),
            sa.func.count().over(**within).label("n"),
        )
        .where(*session_filters(org_id=org_id, flt=flt), s.c.completed_at.is_not(None))
        .subquery()
    )


def kpis(conn: sa.Connection, *, org_id: str, flt: AdminFilter) -> Kpis:
    """Headline numbers: one pass for counts, one sort for percentiles; see tickets_opened."""
    s = schema.sessions
    totals = conn.execute(
        sa.select(
            sa.func.count().label("total"),
            sa.func.count().filter(s.c.status == "active").label("active"),
            sa.func.count().filter(s.c.status == "completed").label("completed"),
            sa.func.count().filter(s.c.status == "failed").label("failed"),
            sa.func.coalesce(sa.func.sum(s.c.total_tool_calls), 0).label("calls"),
            sa.func.coalesce(sa.func.sum(s.c.total_errors), 0).label("errors"),
        ).where(*session_filters(org_id=org_id, flt=flt))
    ).one()
    d = _ranked_durations(conn, org_id=org_id, flt=flt, by_day=False).c
    p50, p95 = conn.execute(
        sa.select(_nearest_rank(d.dur, d.rn, d.n, 50), _nearest_rank(d.dur, d.rn, d.n, 95))
    ).one()
    calls, errors = int(totals.calls), int(totals.errors)
    return Kpis(
        total_sessions=int(totals.total),
        active_now=int(totals.active),
        success_rate=_ratio(totals.completed, totals.completed + totals.failed),
        median_duration_s=p50,
        p95_duration_s=p95,
        tool_calls=calls,
        tool_errors=errors,
        tool_error_rate=_ratio(errors, calls),
        tickets_opened=tickets_opened(conn, org_id=org_id, flt=flt),
    )


def tickets_opened(conn: sa.Connection, *, org_id: str, flt: AdminFilter) -> int:
    """Tickets created in the date range (all of the org's, session-less ones included);
    with a user/status/server/title filter set, only those on sessions matching it."""
    t, s = schema.support_tickets, schema.sessions
    query = sa.select(sa.func.count()).select_from(t)
    query = query.where(t.c.org_id == org_id, *date_range(t.c.created_at, flt))
    if _narrows(flt):
        undated = replace(flt, date_from=None, date_to=None)
        matching = sa.select(s.c.id).where(*session_filters(org_id=org_id, flt=undated))
        query = query.where(t.c.session_id.in_(matching))
    return int(conn.execute(query).scalar_one())


def _narrows(flt: AdminFilter) -> bool:
    text = [q for q in (flt.user_q, flt.title_q) if q and q.strip()]
    return bool(text or flt.statuses or flt.server_ids)


def sessions_per_day(conn: sa.Connection, *, org_id: str, flt: AdminFilter) -> pd.DataFrame:
    """Sessions started per UTC day and status: day, status, sessions."""
    s, day = schema.sessions, day_bucket(conn, schema.sessions.c.started_at)
    query = (
        sa.select(day.label("day"), s.c.status, sa.func.count().label("sessions"))
        .where(*session_filters(org_id=org_id, flt=flt))
        .group_by(day, s.c.status)
        .order_by(day, s.c.status)
    )
    return frame(conn.execute(query))


def success_rate_per_day(conn: sa.Connection, *, org_id: str, flt: AdminFilter) -> pd.DataFrame:
    """Per UTC day with ended sessions: day, completed, failed, success_rate."""
    s, day = schema.sessions, day_bucket(conn, schema.sessions.c.started_at)
    completed = sa.func.count().filter(s.c.status == "completed")
    failed = sa.func.count().filter(s.c.status == "failed")
    query = (
        sa.select(
            day.label("day"),
            completed.label("completed"),
            failed.label("failed"),
            _rate(completed, sa.func.count()).label("success_rate"),
        )
        .where(*session_filters(org_id=org_id, flt=flt), s.c.status.in_(("completed", "failed")))
        .group_by(day)
        .order_by(day)
    )
    return frame(conn.execute(query)).astype({"success_rate": float})


def duration_percentiles_per_day(
    conn: sa.Connection, *, org_id: str, flt: AdminFilter
) -> pd.DataFrame:
    """Nearest-rank p50 and p95 of session duration per UTC day (days with durations only)."""
    d = _ranked_durations(conn, org_id=org_id, flt=flt, by_day=True).c
    query = (
        sa.select(
            d.day,
            _nearest_rank(d.dur, d.rn, d.n, 50).label("p50_s"),
            _nearest_rank(d.dur, d.rn, d.n, 95).label("p95_s"),
        )
        .group_by(d.day)
        .order_by(d.day)
    )
    return frame(conn.execute(query)).astype({"p50_s": float, "p95_s": float})


def _tool_histogram(conn: sa.Connection, *, org_id: str, flt: AdminFilter) -> sa.Subquery:
    """Calls and errors per (tool, duration_ms) of the filtered sessions, with running counts.

    Grouping by the integer duration first turns millions of calls into a few thousand rows,
    so the window that ranks them sorts little; `cum` counts timed calls up to this duration.
    """
    tc, s = schema.tool_calls, schema.sessions
    hist = (
        sa.select(
            tc.c.tool_name,
            tc.c.duration_ms.label("ms"),
            sa.func.count().label("calls"),
            sa.func.count().filter(tc.c.is_error).label("errors"),
        )
        .select_from(tc.join(s, s.c.id == tc.c.session_id))
        .where(tc.c.org_id == org_id, *session_filters(org_id=org_id, flt=flt))
        .group_by(tc.c.tool_name, tc.c.duration_ms)
        .subquery()
    )
    h = hist.c
    timed = sa.case((h.ms.is_not(None), h.calls), else_=0)
    return sa.select(
        h.tool_name,
        h.ms,
        h.calls,
        h.errors,
        sa.func.sum(timed)
        .over(partition_by=h.tool_name, order_by=h.ms.asc().nulls_last(), rows=(None, 0))
        .label("cum"),
        sa.func.sum(timed).over(partition_by=h.tool_name).label("n"),
    ).subquery()


def _first_reaching(
    ms: sa.ColumnElement, cum: sa.ColumnElement, n: sa.ColumnElement, pct: int
) -> sa.ColumnElement:
    """Nearest rank over a histogram: the least value whose running count reaches pct% of n."""
    return sa.func.min(sa.case((cum * 100 >= n * pct, ms)))


def tool_stats(
    conn: sa.Connection, *, org_id: str, flt: AdminFilter, limit: int = 15
) -> pd.DataFrame:
    """Most-called tools in the filtered sessions: calls, errors, error_rate, p50/p95 ms."""
    h = _tool_histogram(conn, org_id=org_id, flt=flt).c
    calls = sa.cast(sa.func.sum(h.calls), sa.BigInteger)  # sum(bigint) is numeric on PostgreSQL
    errors = sa.cast(sa.func.sum(h.errors), sa.BigInteger)
    query = (
        sa.select(
            h.tool_name,
            calls.label("calls"),
            errors.label("errors"),
            _rate(errors, calls).label("error_rate"),
            _first_reaching(h.ms, h.cum, h.n, 50).label("p50_ms"),
            _first_reaching(h.ms, h.cum, h.n, 95).label("p95_ms"),
        )
        .group_by(h.tool_name)
        .order_by(calls.desc(), h.tool_name)
        .limit(limit)
    )
    floats = {"error_rate": float, "p50_ms": float, "p95_ms": float}
    return frame(conn.execute(query)).astype(floats)


def top_users(
    conn: sa.Connection, *, org_id: str, flt: AdminFilter, limit: int = 10
) -> pd.DataFrame:
    """End users with the most filtered sessions: end_user_id, user_email, sessions, failed."""
    s, u = schema.sessions, schema.end_users
    sessions, failed = sa.func.count(), sa.func.count().filter(s.c.status == "failed")
    top = (
        sa.select(s.c.end_user_id, sessions.label("sessions"), failed.label("failed"))
        .where(*session_filters(org_id=org_id, flt=flt))
        .group_by(s.c.end_user_id)
        .order_by(sessions.desc(), s.c.end_user_id)
        .limit(limit)
        .subquery()
    )
    query = (
        sa.select(top.c.end_user_id, u.c.email.label("user_email"), top.c.sessions, top.c.failed)
        .join(u, sa.and_(u.c.id == top.c.end_user_id, u.c.org_id == org_id))
        .order_by(top.c.sessions.desc(), top.c.end_user_id)
    )
    return frame(conn.execute(query))


def workflow_funnel(conn: sa.Connection, *, org_id: str, flt: AdminFilter) -> pd.DataFrame:
    """Jobs, companies, contacts, campaigns summed over the filtered workflow sessions."""
    s, v = schema.sessions, schema.servers
    workflows = sa.select(v.c.id).where(v.c.org_id == org_id, v.c.kind == "workflow")
    totals = [s.c[f"total_{step}"] for step in FUNNEL_STEPS]
    query = sa.select(*[sa.func.coalesce(sa.func.sum(t), 0) for t in totals]).where(
        *session_filters(org_id=org_id, flt=flt), s.c.server_id.in_(workflows)
    )
    row = conn.execute(query).one()
    return pd.DataFrame({"step": list(FUNNEL_STEPS), "value": [int(x) for x in row]})


def previous_period(flt: AdminFilter) -> AdminFilter | None:
    """The same filter over the equally long period just before [date_from, date_to]."""
    if flt.date_from is None or flt.date_to is None or flt.date_to < flt.date_from:
        return None
    days = (flt.date_to - flt.date_from).days + 1
    return replace(
        flt,
        date_from=flt.date_from - timedelta(days=days),
        date_to=flt.date_from - timedelta(days=1),
    )
