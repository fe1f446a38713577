from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from charts import waterfall
from queries import session_stats
from sessionscope.schema import tool_calls
from tests import factories as f
from tests import latency as oracle


@pytest.fixture()
def world(conn: sa.Connection) -> dict:
    acme, other = f.org(conn), f.org(conn)
    ann = f.end_user(conn, acme)
    srv = f.server(conn, acme)
    s1 = f.session(conn, acme, ann, srv, total_tool_calls=5, total_errors=1, total_jobs=10)
    s2 = f.session(
        conn,
        acme,
        ann,
        srv,
        total_tool_calls=1,
        total_errors=0,
        total_jobs=20,
        started_at=f.T0 + timedelta(hours=1),
    )
    f.session(conn, acme, ann, srv, total_tool_calls=100, archived_at=f.T0)  # not counted
    for seq, (tool, ms, err) in enumerate(
        [("a", 10, False), ("b", 20, True), ("a", 30, False), ("a", 40, False), ("c", 50, False)],
        start=1,
    ):
        f.tool_call(
            conn,
            s1,
            seq=seq,
            tool_name=tool,
            duration_ms=ms,
            is_error=err,
            started_at=f.T0 + timedelta(seconds=seq),
        )
    f.tool_call(conn, s2, seq=1, tool_name="a", duration_ms=1000, started_at=s2["started_at"])
    f.ticket(conn, s1, ann, title="Help", created_at=f.T0 + timedelta(seconds=2.5))
    f.ticket(conn, s2, ann)
    f.ticket(conn, s2, ann)
    b_user, b_srv = f.end_user(conn, other), f.server(conn, other)
    b_ses = f.session(conn, other, b_user, b_srv)
    f.tool_call(conn, b_ses, duration_ms=1)
    return {"org": acme, "s1": s1, "s2": s2, "ann": ann, "other": other, "b_ses": b_ses}


def _waterfall(conn: sa.Connection, org: str, ses: str, **kw: int) -> session_stats.Waterfall:
    return session_stats.waterfall(conn, org_id=org, session_id=ses, **kw)


def test_calls_and_tickets_of_a_session(conn: sa.Connection, world: dict) -> None:
    flow = _waterfall(conn, world["org"]["id"], world["s1"]["id"])
    calls = flow.calls
    assert list(calls["seq"]) == [1, 2, 3, 4, 5] and calls["is_error"].sum() == 1
    assert flow.buckets is None
    tickets = session_stats.tickets(conn, org_id=world["org"]["id"], session_id=world["s1"]["id"])
    assert list(tickets["label"]) == ["Help"]


def test_per_tool_most_used_first(conn: sa.Connection, world: dict) -> None:
    df = session_stats.per_tool(conn, org_id=world["org"]["id"], session_id=world["s1"]["id"])
    assert df.to_dict("records") == [
        {"tool_name": "a", "calls": 3, "errors": 0},
        {"tool_name": "b", "calls": 1, "errors": 1},
        {"tool_name": "c", "calls": 1, "errors": 0},
    ]


def test_latency_is_nearest_rank(conn: sa.Connection, world: dict) -> None:
    # 10 20 30 40 50: p50 = 3rd value (ceil 2.5), p95 = 5th (ceil 4.75)
    got = session_stats.latency(conn, org_id=world["org"]["id"], session_id=world["s1"]["id"])
    assert got == (30.0, 50.0)


def test_user_averages_by_hand(conn: sa.Connection, world: dict) -> None:
    avg = session_stats.user_averages(
        conn, org_id=world["org"]["id"], end_user_id=world["ann"]["id"]
    )
    assert avg.sessions == 2
    assert avg.tool_calls == 3.0 and avg.errors == 0.5 and avg.error_rate == pytest.approx(1 / 6)
    assert avg.tickets == 1.5 and avg.jobs == 15.0
    # six calls 10 20 30 40 50 1000: p50 = 3rd, p95 = 6th
    assert (avg.p50_ms, avg.p95_ms) == (30.0, 1000.0)


def test_another_orgs_session_shows_nothing(conn: sa.Connection, world: dict) -> None:
    org, b_ses = world["org"]["id"], world["b_ses"]["id"]
    assert _waterfall(conn, org, b_ses).calls.empty
    assert session_stats.latency_histogram(conn, org_id=org, session_id=b_ses).empty
    assert session_stats.per_tool(conn, org_id=org, session_id=b_ses).empty
    assert session_stats.latency(conn, org_id=org, session_id=b_ses) == (None, None)
    assert session_stats.user_averages(conn, org_id=org, end_user_id="usr_nobody").sessions == 0


def _add_protocol_requests(conn: sa.Connection, ses: dict, first_seq: int) -> None:
    """initialize, tools/list and resources/read around the calls: slow, one failed."""
    for i, (method, target) in enumerate(
        [("initialize", None), ("tools/list", None), ("resources/read", "docs://index")]
    ):
        f.request(
            conn,
            ses,
            method,
            target,
            seq=first_seq + i,
            duration_ms=9000 + i,
            is_error=i == 2,
            started_at=ses["started_at"] + timedelta(seconds=i),
        )


def test_protocol_requests_are_not_tool_calls(conn: sa.Connection, world: dict) -> None:
    """Every number above stays the same with initialize, tools/list and resources/read rows
    (slower than any call, one failed) in both of Ann's sessions."""
    _add_protocol_requests(conn, world["s1"], 10)
    _add_protocol_requests(conn, world["s2"], 10)
    org, s1 = world["org"]["id"], world["s1"]["id"]
    calls = _waterfall(conn, org, s1).calls
    assert list(calls["seq"]) == [1, 2, 3, 4, 5] and calls["is_error"].sum() == 1
    bins = session_stats.latency_histogram(conn, org_id=org, session_id=s1)
    assert bins["calls"].sum() == 5 and bins["right_ms"].max() < 9000  # no 9 s requests
    tools = session_stats.per_tool(conn, org_id=org, session_id=s1)
    assert list(tools["tool_name"]) == ["a", "b", "c"] and list(tools["calls"]) == [3, 1, 1]
    assert session_stats.latency(conn, org_id=org, session_id=s1) == (30.0, 50.0)
    avg = session_stats.user_averages(conn, org_id=org, end_user_id=world["ann"]["id"])
    assert (avg.p50_ms, avg.p95_ms) == (30.0, 1000.0)


# --- a session of any size: counted in SQL, as the charts count a frame -----------------------


def _long_session(conn: sa.Connection, world: dict, n: int) -> dict:
    """n calls at uneven times (to the microsecond), some untimed, every 7th failed."""
    ses = f.session(conn, world["org"], world["ann"], f.server(conn, world["org"]))
    rng = np.random.default_rng(15)
    offsets = np.sort(rng.integers(0, 3_600_000_000, n))  # microseconds within an hour
    conn.execute(
        tool_calls.insert(),
        [
            {
                "id": f"tc_long{i}",
                "org_id": ses["org_id"],
                "session_id": ses["id"],
                "seq": i,
                "tool_name": "t",
                "started_at": f.T0 + timedelta(microseconds=int(us)),
                "duration_ms": None if i % 11 == 0 else int(rng.integers(1, 5000)),
                "is_error": i % 7 == 0,
            }
            for i, us in enumerate(offsets, start=1)
        ],
    )
    return ses


def test_a_long_session_is_time_buckets_counted_in_sql_as_the_chart_counts(
    conn: sa.Connection, world: dict
) -> None:
    ses = _long_session(conn, world, 500)
    flow = _waterfall(conn, world["org"]["id"], ses["id"], max_bars=100, buckets=37)
    assert flow.calls.empty and len(flow.buckets) == 37
    every = _waterfall(conn, world["org"]["id"], ses["id"], max_bars=500).calls
    reference = waterfall.buckets(waterfall._calls(every), 37)
    pd.testing.assert_frame_equal(flow.buckets, reference, check_dtype=False)
    assert flow.buckets["calls"].sum() == 500


def test_the_latency_histogram_is_counted_in_sql_as_the_chart_counts(
    conn: sa.Connection, world: dict
) -> None:
    ses = _long_session(conn, world, 500)
    org = world["org"]["id"]
    bins = session_stats.latency_histogram(conn, org_id=org, session_id=ses["id"], bins=23)
    every = _waterfall(conn, org, ses["id"], max_bars=500).calls
    reference = oracle.latency_bins(every["duration_ms"], 23)
    pd.testing.assert_frame_equal(bins, reference, check_dtype=False)
    assert bins["calls"].sum() == 500 - 500 // 11  # untimed calls are not in it
    assert not bins["beyond"].any()  # 1-5,000 ms: no call far past the p99


def test_a_latency_histogram_cut_at_0_ms_still_counts_the_slower_calls(
    conn: sa.Connection, world: dict
) -> None:
    """200 calls of 0 ms and one of 30 ms: the p99 is 0, so the axis stops at 0 ms, and the
    one slower call is counted past it (a clip of 0 once read as no clip in the SQL)."""
    ses = _long_session(conn, world, 201)
    conn.execute(
        tool_calls.update()
        .where(tool_calls.c.session_id == ses["id"])
        .values(duration_ms=sa.case((tool_calls.c.id == "tc_long1", 30), else_=0))
    )
    org = world["org"]["id"]
    bins = session_stats.latency_histogram(conn, org_id=org, session_id=ses["id"], bins=23)
    every = _waterfall(conn, org, ses["id"], max_bars=500).calls
    reference = oracle.latency_bins(every["duration_ms"], 23)
    pd.testing.assert_frame_equal(bins, reference, check_dtype=False)
    assert bins.to_dict("list") == {
        "left_ms": [0, 1],
        "right_ms": [1, 31],
        "calls": [200, 1],
        "beyond": [False, True],
    }


def test_a_latency_histogram_with_outliers_stops_at_the_p99_as_the_chart_does(
    conn: sa.Connection, world: dict
) -> None:
    ses = _long_session(conn, world, 500)
    org = world["org"]["id"]
    slow = [90_000, 120_000, 400_000]  # three calls of minutes beside 1-5,000 ms
    conn.execute(
        tool_calls.update()
        .where(tool_calls.c.id.in_(["tc_long1", "tc_long2", "tc_long3"]))
        .values(
            duration_ms=sa.case(
                {"tc_long1": slow[0], "tc_long2": slow[1]}, value=tool_calls.c.id, else_=slow[2]
            )
        )
    )
    bins = session_stats.latency_histogram(conn, org_id=org, session_id=ses["id"], bins=23)
    every = _waterfall(conn, org, ses["id"], max_bars=500).calls
    reference = oracle.latency_bins(every["duration_ms"], 23)
    pd.testing.assert_frame_equal(bins, reference, check_dtype=False)
    past = bins[bins["beyond"]]
    assert len(past) == 1 and past["right_ms"].iloc[0] == 400_001
    assert bins["calls"].sum() == 500 - 500 // 11
    assert bins[~bins["beyond"]]["right_ms"].max() < 10_000
