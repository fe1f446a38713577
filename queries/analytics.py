"""Admin analytics over the sessions an AdminFilter selects (its date range is the period).

Every number is aggregated in SQL over the per-day rows of queries/daily.py (the rollup
for settled days, the sessions themselves for the rest). Percentiles are nearest-rank
(rank ceil(p * n) in ascending order) over histograms of durations (queries.daily): the
mean of the 10%-wide bucket the rank falls in, so within 10% of the exact value and exact
when the bucket holds one distinct value; identical on SQLite and PostgreSQL, and the same
whether read from the rollup or live.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

import pandas as pd
import sqlalchemy as sa

from queries import daily
from queries.admin import AdminFilter, date_range, session_filters
from queries.page import frame
from queries.sql import rate, sum_int
from sessionscope import schema

FUNNEL_STEPS = ("jobs", "companies", "contacts", "campaigns")  # rollup_sessions columns


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


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def histogram(
    src: sa.Subquery, weight: str, keys: list[str], also: tuple[str, ...] = ()
) -> sa.Subquery:
    """`src` summed per (keys, bucket): `w` (its `weight`), the `also` columns, `mean_ms` (of
    the bucket's durations), `cum` (the weight of timed buckets up to this one) and `n` (of
    all timed buckets)."""
    group = [src.c[k] for k in keys]
    sums = [sum_int(src.c[name]).label(name) for name in (weight, "ms_sum", *also)]
    per = sa.select(*group, src.c.bucket, *sums).group_by(*group, src.c.bucket).subquery()
    within, w = [per.c[k] for k in keys], per.c[weight]
    timed = sa.case((per.c.bucket.is_not(None), w), else_=0)
    order = per.c.bucket.asc().nulls_last()
    return sa.select(
        *per.c,
        w.label("w"),
        sa.case(
            (per.c.bucket.is_not(None), sa.cast(per.c.ms_sum, sa.Float) / sa.func.nullif(w, 0))
        ).label("mean_ms"),
        sa.func.sum(timed).over(partition_by=within, order_by=order, rows=(None, 0)).label("cum"),
        sa.func.sum(timed).over(partition_by=within).label("n"),
    ).subquery()


def first_reaching(h: sa.ColumnCollection, pct: int) -> sa.ColumnElement:
    """Nearest rank over a histogram: the mean of the first bucket whose running count
    reaches pct% of n (bucket means rise with the buckets, so min() finds it)."""
    return sa.func.min(sa.case((h.cum * 100 >= h.n * pct, h.mean_ms)))


def _seconds(ms: sa.ColumnElement) -> sa.ColumnElement[float]:
    return ms / 1000.0


def _durations(conn: sa.Connection, *, org_id: str, flt: AdminFilter, by_day: bool) -> sa.Subquery:
    """Ended sessions per duration bucket (and day), ranked."""
    src = daily.durations_source(conn, org_id=org_id, flt=flt)
    return histogram(src, "sessions", ["day"] if by_day else [])


def kpis(conn: sa.Connection, *, org_id: str, flt: AdminFilter) -> Kpis:
    """Headline numbers: one pass over the day rows for counts, one for percentiles."""
    src = daily.sessions_source(conn, org_id=org_id, flt=flt).c
    totals = conn.execute(
        sa.select(
            sum_int(src.sessions).label("total"),
            sum_int(src.sessions, src.status == "active").label("active"),
            sum_int(src.sessions, src.status == "completed").label("completed"),
            sum_int(src.sessions, src.status == "failed").label("failed"),
            sum_int(src.tool_calls).label("calls"),
            sum_int(src.tool_errors).label("errors"),
        )
    ).one()
    h = _durations(conn, org_id=org_id, flt=flt, by_day=False).c
    p50, p95 = conn.execute(sa.select(first_reaching(h, 50), first_reaching(h, 95))).one()
    completed, failed = int(totals.completed), int(totals.failed)
    calls, errors = int(totals.calls), int(totals.errors)
    return Kpis(
        total_sessions=int(totals.total),
        active_now=int(totals.active),
        success_rate=_ratio(completed, completed + failed),
        median_duration_s=None if p50 is None else p50 / 1000,
        p95_duration_s=None if p95 is None else p95 / 1000,
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
    src = daily.sessions_source(conn, org_id=org_id, flt=flt).c
    query = (
        sa.select(src.day, src.status, sum_int(src.sessions).label("sessions"))
        .group_by(src.day, src.status)
        .order_by(src.day, src.status)
    )
    return frame(conn.execute(query))


def success_rate_per_day(conn: sa.Connection, *, org_id: str, flt: AdminFilter) -> pd.DataFrame:
    """Per UTC day with ended sessions: day, completed, failed, success_rate."""
    src = daily.sessions_source(conn, org_id=org_id, flt=flt).c
    completed = sum_int(src.sessions, src.status == "completed")
    failed = sum_int(src.sessions, src.status == "failed")
    query = (
        sa.select(
            src.day,
            completed.label("completed"),
            failed.label("failed"),
            rate(completed, sum_int(src.sessions)).label("success_rate"),
        )
        .where(src.status.in_(("completed", "failed")))
        .group_by(src.day)
        .order_by(src.day)
    )
    return frame(conn.execute(query)).astype({"success_rate": float})


def duration_percentiles_per_day(
    conn: sa.Connection, *, org_id: str, flt: AdminFilter
) -> pd.DataFrame:
    """Nearest-rank p50 and p95 of session duration per UTC day (days with durations only)."""
    h = _durations(conn, org_id=org_id, flt=flt, by_day=True).c
    query = (
        sa.select(
            h.day,
            _seconds(first_reaching(h, 50)).label("p50_s"),
            _seconds(first_reaching(h, 95)).label("p95_s"),
        )
        .group_by(h.day)
        .order_by(h.day)
    )
    return frame(conn.execute(query)).astype({"p50_s": float, "p95_s": float})


def tool_stats(
    conn: sa.Connection, *, org_id: str, flt: AdminFilter, limit: int = 15
) -> pd.DataFrame:
    """Most-called tools in the filtered sessions: calls, errors, error_rate, p50/p95 ms."""
    src = daily.tools_source(conn, org_id=org_id, flt=flt)
    h = histogram(src, "calls", ["tool_name"], also=("errors",)).c
    calls, errors = sum_int(h.w), sum_int(h.errors)
    query = (
        sa.select(
            h.tool_name,
            calls.label("calls"),
            errors.label("errors"),
            rate(errors, calls).label("error_rate"),
            first_reaching(h, 50).label("p50_ms"),
            first_reaching(h, 95).label("p95_ms"),
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
    src, v = daily.sessions_source(conn, org_id=org_id, flt=flt).c, schema.servers
    workflows = sa.select(v.c.id).where(v.c.org_id == org_id, v.c.kind == "workflow")
    query = sa.select(*[sum_int(src[step]) for step in FUNNEL_STEPS])
    row = conn.execute(query.where(src.server_id.in_(workflows))).one()
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
