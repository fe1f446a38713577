"""Numbers for one session's details page: its calls, tools and latency, and how the user's
average session compares. Percentiles are nearest-rank, computed in SQL on both backends.
A tool call is a `tools/call` row; other MCP requests (initialize, tools/list...) are not
counted, as the session's totals and the Admin analytics do not count them.

Every function returns a bounded number of rows whatever the session's size: a session of
more than MAX_BARS calls comes as time buckets and a latency histogram counted in SQL.
Measured (issue 15) on PostgreSQL 18, one session of 1,000,000 calls made with
generate_series, Session details opened cold in AppTest under `/usr/bin/time -v`, 2 shared
cores: with every call loaded into pandas the page run took 12.0 s, the process peaked at
960 MB RSS and the latency chart carried 10.7 MB; counted in SQL, 2.4 s, 196 MB (a 3-call
session: 191 MB) and 61 KB for all three charts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa

from queries.page import frame
from queries.sessions import visible
from queries.sql import epoch_us
from sessionscope.db import is_postgres
from sessionscope.schema import TOOL_CALL_METHOD, sessions, support_tickets, tool_calls

MAX_BARS = 2_000  # calls drawn one bar each; past this, the waterfall is time buckets
BUCKETS = 200  # time buckets of a longer session's waterfall
LATENCY_BINS = 40  # equal-width bins of the latency histogram
# The histogram's axis stops at the p99 when the slowest call took over OUTLIER_FACTOR times
# as long: a few outliers would otherwise squeeze every other call into the first bar.
OUTLIER_PCT, OUTLIER_FACTOR = 0.99, 4
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


def _calls_of(org_id: str, session_id: str) -> list[sa.ColumnElement[bool]]:
    """The session's tool calls, if the session is visible."""
    t = tool_calls.c
    return [
        t.session_id == session_id,
        t.org_id == org_id,
        t.method == TOOL_CALL_METHOD,
        visible(org_id, session_id),
    ]


@dataclass(frozen=True, eq=False)
class Waterfall:
    """The waterfall's data: every call (seq, tool_name, at, duration_ms, is_error) when there
    are at most MAX_BARS, else none and `buckets` (left, right: naive UTC; width_ms, calls,
    errors, median_ms: nearest rank)."""

    calls: pd.DataFrame
    buckets: pd.DataFrame | None = None


def waterfall(
    conn: sa.Connection,
    *,
    org_id: str,
    session_id: str,
    max_bars: int = MAX_BARS,
    buckets: int = BUCKETS,
) -> Waterfall:
    """The session's calls (no payloads) in time order, or past max_bars their time buckets."""
    t = tool_calls.c
    stmt = (
        sa.select(t.id, t.seq, t.tool_name, t.started_at.label("at"), t.duration_ms, t.is_error)
        .where(*_calls_of(org_id, session_id))
        .order_by(t.started_at, t.seq)
        .limit(max_bars + 1)  # one more says there are too many to draw one by one
    )
    calls = frame(conn.execute(stmt))
    if len(calls) <= max_bars:
        return Waterfall(calls)
    return Waterfall(
        calls.iloc[:0], time_buckets(conn, org_id=org_id, session_id=session_id, n=buckets)
    )


def time_buckets(conn: sa.Connection, *, org_id: str, session_id: str, n: int) -> pd.DataFrame:
    """The session's calls counted into n equal time buckets by start (at least 1 ms wide).

    Bucket i holds the calls with lo + i*width <= start < lo + (i+1)*width, in microseconds
    from the first start, as charts.waterfall.buckets() counts a frame of calls.
    """
    t = tool_calls.c
    first, last = conn.execute(
        sa.select(sa.func.min(t.started_at), sa.func.max(t.started_at)).where(
            *_calls_of(org_id, session_id)
        )
    ).one()
    lo, hi = _micros(first), _micros(last)
    width = max(-(-(hi - lo + 1) // n), 1_000)  # ceil, and at least 1 ms
    at = epoch_us(conn, t.started_at)
    bucket = (at - sa.literal(lo, sa.BigInteger)) // sa.literal(width, sa.BigInteger)
    src = (
        sa.select(bucket.label("bucket"), t.duration_ms, t.is_error)
        .where(*_calls_of(org_id, session_id))
        .subquery()
    )
    per = frame(conn.execute(_per_bucket(conn, src))).set_index("bucket").reindex(range(n))
    left = pd.Series(pd.to_datetime(lo + np.arange(n) * width, unit="us"))
    return pd.DataFrame(
        {
            "left": left,
            "right": left + pd.Timedelta(width, unit="us"),
            "width_ms": width / 1_000,
            "calls": per["calls"].fillna(0).astype("int64").to_numpy(),
            "errors": per["errors"].fillna(0).astype("int64").to_numpy(),
            "median_ms": pd.to_numeric(per["median_ms"]).astype(float).to_numpy(),
        }
    )


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1)


def _per_bucket(conn: sa.Connection, src: sa.Subquery) -> sa.Select:
    """bucket, calls, errors and the nearest-rank median duration of each bucket of src."""
    errors = sa.func.sum(sa.case((src.c.is_error, 1), else_=0))
    if is_postgres(conn):
        median = sa.func.percentile_disc(0.5).within_group(src.c.duration_ms)
        return sa.select(
            src.c.bucket, sa.func.count().label("calls"), errors.label("errors"),
            median.label("median_ms"),
        ).group_by(src.c.bucket)  # fmt: skip
    # SQLite has no percentile: rank each bucket's timed calls (NULLs last) and take the
    # ceil(n/2)-th, which is (n + 1) / 2 in integers.
    d = src.c.duration_ms
    ranked = sa.select(
        src.c.bucket, d, src.c.is_error,
        sa.func.row_number().over(partition_by=src.c.bucket, order_by=(d.is_(None), d)).label("rn"),
        sa.func.count(d).over(partition_by=src.c.bucket).label("n"),
    ).subquery()  # fmt: skip
    r = ranked.c
    median = sa.func.min(sa.case((r.rn == (r.n + 1) // 2, r.duration_ms)))
    return sa.select(
        r.bucket, sa.func.count().label("calls"),
        sa.func.sum(sa.case((r.is_error, 1), else_=0)).label("errors"), median.label("median_ms"),
    ).group_by(r.bucket)  # fmt: skip


def latency_axis(lo: int, hi: int, p99: float, bins: int) -> tuple[int, int, int]:
    """The latency histogram's axis for calls of `lo` to `hi` ms: (top, width, n), n bins of
    `width` ms from `lo` to `top`. `top` is the slowest call, or the p99 when the slowest
    took over OUTLIER_FACTOR times as long; the calls past it (top < hi) are counted apart."""
    top = int(p99) if hi > OUTLIER_FACTOR * p99 else hi
    width = max(-(-(top - lo + 1) // bins), 1)
    return top, width, (top - lo) // width + 1


LATENCY_COLUMNS = ["left_ms", "right_ms", "calls", "beyond"]


def latency_histogram(
    conn: sa.Connection, *, org_id: str, session_id: str, bins: int = LATENCY_BINS
) -> pd.DataFrame:
    """The session's timed calls counted into equal-width duration bins, in SQL, on
    latency_axis: left_ms, right_ms, calls, beyond (every bin, empty ones too; then, when
    the axis stops short of the slowest call, one row with beyond=True counting the calls
    past it, from the first ms past it to one past the slowest); no rows when no call has a
    duration."""
    d = tool_calls.c.duration_ms
    timed = [*_calls_of(org_id, session_id), d.is_not(None)]
    lo, hi = conn.execute(sa.select(sa.func.min(d), sa.func.max(d)).where(*timed)).one()
    if lo is None:
        return pd.DataFrame(columns=LATENCY_COLUMNS)
    (p99,) = _percentiles(conn, sa.select(d).where(*timed), OUTLIER_PCT)
    top, width, n = latency_axis(lo, hi, p99 or 0.0, bins)
    in_axis = (d - sa.literal(lo, sa.BigInteger)) // sa.literal(width, sa.BigInteger)
    b = sa.case((d > top, n), else_=in_axis).label("bin")
    src = sa.select(b).where(*timed).subquery()
    counts = conn.execute(sa.select(src.c.bin, sa.func.count()).group_by(src.c.bin)).all()
    calls = np.zeros(n + 1, dtype="int64")
    for i, c in counts:
        calls[int(i)] = c
    beyond = (top + 1, hi + 1, int(calls[n])) if top < hi else None
    return latency_frame(lo, width, calls[:n], beyond)


def latency_frame(
    lo: int, width: int, calls: np.ndarray, beyond: tuple[int, int, int] | None
) -> pd.DataFrame:
    """Bins of `width` ms from `lo` with their call counts, and the row past the axis."""
    left = lo + np.arange(len(calls)) * width
    df = pd.DataFrame({"left_ms": left, "right_ms": left + width, "calls": calls, "beyond": False})
    if beyond is not None:
        df.loc[len(df)] = [*beyond, True]
    return df.astype({"left_ms": "int64", "right_ms": "int64", "calls": "int64", "beyond": bool})


def tickets(conn: sa.Connection, *, org_id: str, session_id: str) -> pd.DataFrame:
    """The session's tickets as timeline markers: at, label, priority, status."""
    k = support_tickets.c
    stmt = (
        sa.select(k.created_at.label("at"), k.title.label("label"), k.priority, k.status)
        .where(k.session_id == session_id, k.org_id == org_id, visible(org_id, session_id))
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


def _percentiles(conn: sa.Connection, durations: sa.Select, *ps: float) -> tuple[float | None, ...]:
    """Nearest-rank percentiles of a one-column select: the ceil(p*n)-th smallest value each.

    PostgreSQL's percentile_disc is that definition, all ps in one sort (0.25 s for p50 and
    p95 of 1,000,000 calls, against 1.0 s for a count and an OFFSET per p); SQLite has none.
    """
    sub = durations.subquery()
    col = sub.c[0]
    if is_postgres(conn):
        row = conn.execute(sa.select(*(sa.func.percentile_disc(p).within_group(col) for p in ps)))
        return tuple(None if v is None else float(v) for v in row.one())
    n = conn.execute(sa.select(sa.func.count(col))).scalar_one()
    if not n:
        return tuple(None for _ in ps)
    return tuple(_nth(conn, col, max(math.ceil(p * n), 1)) for p in ps)


def _nth(conn: sa.Connection, col: sa.ColumnElement, rank: int) -> float:
    value = conn.execute(
        sa.select(col).where(col.is_not(None)).order_by(col).limit(1).offset(rank - 1)
    ).scalar_one()
    return float(value)


def latency(conn: sa.Connection, *, org_id: str, session_id: str) -> tuple[float | None, ...]:
    """(p50, p95) of the session's call durations in ms; None when it has no timed calls."""
    t = tool_calls.c
    durations = sa.select(t.duration_ms).where(*_calls_of(org_id, session_id))
    return _percentiles(conn, durations, 0.5, 0.95)


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
    p50, p95 = _percentiles(conn, durations, 0.5, 0.95)
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
        p50_ms=p50,
        p95_ms=p95,
    )
