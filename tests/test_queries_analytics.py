"""queries.analytics on both backends; every expected number is worked out by hand below.

The world is tests.admin_world.build_world: acme has sessions a01..a10 over 1-3 Nov
2026 (a10 archived), beta has two sessions, tool calls and tickets that must never leak.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from queries.admin import AdminFilter
from queries.analytics import (
    Kpis,
    duration_percentiles_per_day,
    kpis,
    previous_period,
    sessions_per_day,
    success_rate_per_day,
    tool_stats,
    top_users,
    workflow_funnel,
)
from tests import factories
from tests.admin_world import World, build_world

NOV1, NOV2, NOV3 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)
ALL = AdminFilter()


@pytest.fixture()
def world(conn: sa.Connection) -> World:
    return build_world(conn)


def records(frame) -> list[tuple]:
    return [tuple(r) for r in frame.itertuples(index=False)]


def test_sessions_per_day(conn, world):
    rows = sessions_per_day(conn, org_id=world.acme, flt=ALL)
    assert list(rows.columns) == ["day", "status", "sessions"]
    assert records(rows) == [
        (NOV1, "completed", 2),  # a01, a03 (23:30 UTC is still 1 Nov)
        (NOV1, "failed", 1),  # a02
        (NOV2, "active", 1),  # a05
        (NOV2, "completed", 1),  # a04 (00:00 UTC belongs to 2 Nov)
        (NOV2, "failed", 2),  # a06, a07
        (NOV3, "completed", 1),  # a09; a10 is archived
        (NOV3, "paused", 1),  # a08
    ]
    assert all(type(d) is date for d in rows["day"])
    assert rows["sessions"].dtype == "int64"


def test_day_buckets_are_utc_whatever_the_session_time_zone(conn, world, backend):
    if backend == "postgresql":
        conn.execute(sa.text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))  # UTC+14
    rows = sessions_per_day(conn, org_id=world.acme, flt=AdminFilter(statuses=("completed",)))
    assert records(rows) == [(NOV1, "completed", 2), (NOV2, "completed", 1), (NOV3, "completed", 1)]
    flt = AdminFilter(date_from=NOV1, date_to=NOV1)  # the bounds are UTC days too
    assert sum(sessions_per_day(conn, org_id=world.acme, flt=flt)["sessions"]) == 3


def test_success_rate_per_day(conn, world):
    rows = success_rate_per_day(conn, org_id=world.acme, flt=ALL)
    assert list(rows.columns) == ["day", "completed", "failed", "success_rate"]
    assert records(rows) == [(NOV1, 2, 1, 2 / 3), (NOV2, 1, 2, 1 / 3), (NOV3, 1, 0, 1.0)]
    assert rows["success_rate"].dtype == float
    active = success_rate_per_day(conn, org_id=world.acme, flt=AdminFilter(statuses=("active",)))
    assert active.empty and active["success_rate"].dtype == float


def test_duration_percentiles_per_day(conn, world):
    rows = duration_percentiles_per_day(conn, org_id=world.acme, flt=ALL)
    assert list(rows.columns) == ["day", "p50_s", "p95_s"]
    assert records(rows) == [
        (NOV1, 120.0, 1800.0),  # 60, 120, 1800: ranks ceil(1.5)=2 and ceil(2.85)=3
        (NOV2, 60.0, 600.0),  # 30.25, 60, 600
        (NOV3, 90.0, 90.0),  # only a09 has ended
    ]


@pytest.fixture()
def twenty(conn: sa.Connection) -> str:
    """Org gamma: 20 sessions of 1..20 s on 10 Nov (and one running), 5 s and 7 s on 11 Nov."""
    gamma = factories.org(conn, id="org_gamma")
    user, srv = factories.end_user(conn, gamma), factories.server(conn, gamma)
    start = datetime(2026, 11, 10, 8, tzinfo=UTC)
    seconds = list(range(1, 21))
    random.Random(7).shuffle(seconds)
    for i, s in enumerate(seconds):
        begin = start + timedelta(minutes=i)
        factories.session(
            conn, gamma, user, srv, started_at=begin, completed_at=begin + timedelta(seconds=s)
        )
    factories.session(conn, gamma, user, srv, status="active", started_at=start, completed_at=None)
    for s in (7, 5):
        begin = start + timedelta(days=1)
        factories.session(
            conn, gamma, user, srv, started_at=begin, completed_at=begin + timedelta(seconds=s)
        )
    return gamma["id"]


def test_percentiles_are_nearest_rank(conn, twenty):
    rows = duration_percentiles_per_day(conn, org_id=twenty, flt=ALL)
    # n=20: p50 is rank 10 (not 10.5 as interpolation gives), p95 is rank 19 (not the max),
    # 19 s, which shares its 10% bucket with 20 s: their mean (queries.daily keeps buckets).
    assert records(rows) == [(date(2026, 11, 10), 10.0, 19.5), (date(2026, 11, 11), 5.0, 7.0)]
    day = AdminFilter(date_from=date(2026, 11, 10), date_to=date(2026, 11, 10))
    k = kpis(conn, org_id=twenty, flt=day)
    assert (k.total_sessions, k.median_duration_s, k.p95_duration_s) == (21, 10.0, 19.5)
    # both days, n=22: 1,2,...,5,5,...,7,7,...20: rank 11 is 9, rank ceil(20.9)=21 is 19 (19.5)
    k = kpis(conn, org_id=twenty, flt=ALL)
    assert (k.median_duration_s, k.p95_duration_s) == (9.0, 19.5)


def test_kpis_all(conn, world):
    assert kpis(conn, org_id=world.acme, flt=ALL) == Kpis(
        total_sessions=9,
        active_now=1,
        success_rate=4 / 7,  # completed a01 a03 a04 a09; failed a02 a06 a07
        median_duration_s=90.0,  # 30.25 60 60 90 120 600 1800: rank 4
        p95_duration_s=1800.0,  # rank ceil(6.65) = 7
        tool_calls=21,
        tool_errors=8,
        tool_error_rate=8 / 21,
        tickets_opened=5,  # every acme ticket: no date range, no narrowing filter
    )


def test_kpis_one_day(conn, world):
    assert kpis(conn, org_id=world.acme, flt=AdminFilter(date_from=NOV2, date_to=NOV2)) == Kpis(
        total_sessions=4,  # a04 a05 a06 a07
        active_now=1,
        success_rate=1 / 3,
        median_duration_s=60.0,
        p95_duration_s=600.0,
        tool_calls=9,
        tool_errors=2,
        tool_error_rate=2 / 9,
        tickets_opened=1,  # the session-less ticket of 2 Nov; beta's ticket that day not
    )


def test_kpis_failed_only(conn, world):
    flt = AdminFilter(statuses=("failed",), date_from=NOV1, date_to=NOV3)
    assert kpis(conn, org_id=world.acme, flt=flt) == Kpis(
        total_sessions=3,  # a02 a06 a07
        active_now=0,
        success_rate=0.0,
        median_duration_s=120.0,  # 60 120 600
        p95_duration_s=600.0,
        tool_calls=3,
        tool_errors=3,
        tool_error_rate=1.0,
        tickets_opened=1,  # only a02's: a status filter narrows tickets to those sessions
    )


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (AdminFilter(), 5),  # all acme tickets
        (AdminFilter(date_from=NOV1, date_to=NOV3), 4),  # not the 5 Nov one
        # Date range alone keeps the org-wide rule: the ticket on archived a10 counts.
        (AdminFilter(date_from=NOV3, date_to=NOV3), 2),
        (AdminFilter(user_q="alice"), 2),  # a02's and a01's (5 Nov); not session-less/archived
        (AdminFilter(user_q="alice", include_archived=True), 3),  # + a10's
        (AdminFilter(user_q="alice", date_from=NOV1, date_to=NOV3), 1),  # a02's
        (AdminFilter(user_q="bob"), 1),  # a09's
        (AdminFilter(server_ids=("srv_a_wf",)), 0),
        (AdminFilter(title_q="100%"), 1),  # a09's
        (AdminFilter(user_q="carol"), 0),  # beta's user
    ],
)
def test_tickets_opened_rule(conn, world, flt, expected):
    assert kpis(conn, org_id=world.acme, flt=flt).tickets_opened == expected


def test_kpis_empty(conn, world):
    assert kpis(conn, org_id=world.acme, flt=AdminFilter(user_q="nobody")) == Kpis(
        total_sessions=0,
        active_now=0,
        success_rate=None,
        median_duration_s=None,
        p95_duration_s=None,
        tool_calls=0,
        tool_errors=0,
        tool_error_rate=None,
        tickets_opened=0,
    )


def test_kpis_types(conn, world):
    k = kpis(conn, org_id=world.acme, flt=ALL)
    assert all(type(getattr(k, f)) is int for f in ("total_sessions", "tool_calls", "tool_errors"))
    assert all(type(getattr(k, f)) is float for f in ("success_rate", "median_duration_s"))


def test_org_isolation(conn, world):
    assert kpis(conn, org_id=world.beta, flt=ALL) == Kpis(
        total_sessions=2,
        active_now=0,
        success_rate=0.5,
        median_duration_s=3600.0,
        p95_duration_s=7200.0,
        tool_calls=10,
        tool_errors=10,
        tool_error_rate=1.0,
        tickets_opened=1,
    )
    assert records(tool_stats(conn, org_id=world.beta, flt=ALL)) == [
        ("search", 3, 3, 1.0, 1.0, 1.0)
    ]
    assert records(workflow_funnel(conn, org_id=world.beta, flt=ALL)) == [
        ("jobs", 100),
        ("companies", 100),
        ("contacts", 100),
        ("campaigns", 100),
    ]
    assert list(top_users(conn, org_id=world.beta, flt=ALL)["end_user_id"]) == ["usr_carol"]
    assert kpis(conn, org_id="org_nobody", flt=ALL).total_sessions == 0


def test_tool_stats(conn, world):
    rows = tool_stats(conn, org_id=world.acme, flt=ALL)
    assert list(rows.columns) == ["tool_name", "calls", "errors", "error_rate", "p50_ms", "p95_ms"]
    # No "rogue": that row has org_id beta though it points at acme's a01.
    assert records(rows) == [
        ("search", 9, 5, 5 / 9, 500.0, 900.0),  # 100..900: ranks 5 and 9
        ("fetch", 8, 2, 2 / 8, 80.0, 110.0),  # one NULL duration: n=7, ranks 4 and 7
        ("write", 4, 1, 1 / 4, 2000.0, 4000.0),  # ranks 2 and 4
    ]
    assert rows["calls"].dtype == "int64" and rows["p50_ms"].dtype == float
    assert list(tool_stats(conn, org_id=world.acme, flt=ALL, limit=2)["tool_name"]) == [
        "search",
        "fetch",
    ]


def test_tool_stats_follow_the_filter(conn, world):
    done = tool_stats(conn, org_id=world.acme, flt=AdminFilter(statuses=("completed",)))
    assert records(done) == [
        ("search", 6, 3, 0.5, 400.0, 900.0),  # a01 a04 a09
        ("fetch", 5, 1, 0.2, 70.0, 110.0),
        ("write", 2, 0, 0.0, 3000.0, 4000.0),
    ]
    archived = tool_stats(conn, org_id=world.acme, flt=AdminFilter(include_archived=True))
    assert records(archived)[0] == ("search", 11, 6, 6 / 11, 600.0, 5000.0)


def test_top_users(conn, world):
    rows = top_users(conn, org_id=world.acme, flt=ALL)
    assert list(rows.columns) == ["end_user_id", "user_email", "sessions", "failed"]
    assert records(rows) == [
        ("usr_alice", "alice@acme.test", 5, 2),
        ("usr_bob", "bob@acme.test", 4, 1),
    ]
    assert records(top_users(conn, org_id=world.acme, flt=ALL, limit=1)) == [
        ("usr_alice", "alice@acme.test", 5, 2)
    ]
    tie = top_users(conn, org_id=world.acme, flt=AdminFilter(date_from=NOV3, date_to=NOV3))
    assert list(tie["end_user_id"]) == ["usr_alice", "usr_bob"]  # 1 each: by id


def test_workflow_funnel(conn, world):
    rows = workflow_funnel(conn, org_id=world.acme, flt=ALL)
    assert list(rows.columns) == ["step", "value"]
    # a03 + a06 + a08; a01's total_jobs=99 is on an MCP server, a10 is not a workflow
    assert records(rows) == [("jobs", 6), ("companies", 35), ("contacts", 57), ("campaigns", 2)]
    later = workflow_funnel(conn, org_id=world.acme, flt=AdminFilter(date_from=NOV2))
    assert list(later["value"]) == [3, 15, 7, 0]  # a06 + a08
    none = workflow_funnel(conn, org_id=world.acme, flt=AdminFilter(user_q="nobody"))
    assert list(none["value"]) == [0, 0, 0, 0]


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ((NOV1, NOV3), (date(2026, 10, 29), date(2026, 10, 31))),
        ((NOV2, NOV2), (NOV1, NOV1)),
        ((date(2026, 1, 1), date(2026, 1, 31)), (date(2025, 12, 1), date(2025, 12, 31))),
        ((date(2024, 3, 1), date(2024, 3, 1)), (date(2024, 2, 29), date(2024, 2, 29))),
    ],
)
def test_previous_period(period, expected):
    flt = AdminFilter(date_from=period[0], date_to=period[1], statuses=("failed",), user_q="x")
    prev = previous_period(flt)
    assert (prev.date_from, prev.date_to) == expected
    assert (prev.statuses, prev.user_q) == (("failed",), "x")


@pytest.mark.parametrize("period", [(None, None), (NOV1, None), (None, NOV3), (NOV3, NOV1)])
def test_previous_period_needs_both_bounds(period):
    assert previous_period(AdminFilter(date_from=period[0], date_to=period[1])) is None


def test_previous_period_feeds_the_queries(conn, world):
    prev = previous_period(AdminFilter(date_from=NOV2, date_to=NOV3))  # 31 Oct - 1 Nov
    assert kpis(conn, org_id=world.acme, flt=prev).total_sessions == 3  # a01 a02 a03


def test_tool_percentiles_with_ties_and_missing_durations(conn):
    gamma = factories.org(conn, id="org_gamma")
    user, srv = factories.end_user(conn, gamma), factories.server(conn, gamma)
    ses = factories.session(conn, gamma, user, srv)
    calls = [("tied", ms) for ms in (5, 9, 5, None, 5)]  # timed: 5 5 5 9 -> ranks 2 and 4
    calls += [("twenty", ms) for ms in range(20, 0, -1)]  # ranks 10 and 19, not the max
    calls += [("untimed", None), ("untimed", None)]
    for seq, (tool, ms) in enumerate(calls):
        factories.tool_call(conn, ses, seq=seq, tool_name=tool, duration_ms=ms)
    rows = tool_stats(conn, org_id=gamma["id"], flt=ALL)
    got = {r.tool_name: (r.calls, r.p50_ms, r.p95_ms) for r in rows.itertuples()}
    assert got["tied"] == (5, 5.0, 9.0)
    assert got["twenty"] == (20, 10.0, 19.0)
    assert got["untimed"][0] == 2 and pd.isna(got["untimed"][1]) and pd.isna(got["untimed"][2])
    assert list(rows["tool_name"]) == ["twenty", "tied", "untimed"]
