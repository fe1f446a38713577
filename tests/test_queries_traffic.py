"""queries.traffic and the client/transport/call filters on both backends, against the
numbers worked out by hand from tests/pages/datasets/paths.py:

    ses_s1  claude-code 1.0  stdio  6 calls, 1 error   (search 5 ms x2, fetch 12 ms,
                                                          fetch✖ 15 ms, resources/read 8 ms)
    ses_s2  claude-code 1.0  stdio  6 calls, 1 error   (search✖ 15 ms, fetch 12 ms x4,
                                                          summarize 3 ms)
    ses_s3  cursor 0.9       http   5 calls, 2 errors  (search✖ 15 ms, search 5 ms x2,
                                                          fetch 12 ms, prompts/get✖ 19 ms)
    ses_s5  (none)           (none) 0 calls
    previous period: ses_p1 claude-code 1.0 stdio 2 calls, 1 error (search 5, fetch✖ 15)
    never: ses_s4 (archived, claude-code/stdio), globex's ses_g1 (claude-code/stdio)
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from queries import daily, traffic
from queries.admin import AdminFilter, count_sessions, list_sessions
from queries.analytics import previous_period
from sessionscope import rollup, schema
from tests.pages.datasets.paths import build_world

NOV = AdminFilter(date_from=date(2026, 11, 1), date_to=date(2026, 11, 2))
BEFORE = previous_period(NOV)  # 30-31 Oct
ACME = "org_acme"


@pytest.fixture()
def world(conn: sa.Connection) -> None:
    build_world(conn)


def rows(df: pd.DataFrame) -> list[tuple]:
    return [tuple(None if pd.isna(v) else v for v in r) for r in df.itertuples(index=False)]


def test_clients(conn, world):
    df = traffic.clients(conn, org_id=ACME, flt=NOV)
    assert list(df.columns) == ["client_name", "client_version", "sessions", "calls", "errors"]
    assert rows(df) == [
        ("claude-code", "1.0", 2, 12, 2),
        ("cursor", "0.9", 1, 5, 2),
        (None, None, 1, 0, 0),
    ]
    assert rows(traffic.clients(conn, org_id=ACME, flt=BEFORE)) == [("claude-code", "1.0", 1, 2, 1)]


def test_transports(conn, world):
    df = traffic.transports(conn, org_id=ACME, flt=NOV)
    assert list(df.columns) == ["transport", "sessions", "calls", "errors"]
    assert rows(df) == [("stdio", 2, 12, 2), ("http", 1, 5, 2), (None, 1, 0, 0)]


def test_archived_and_other_org_never_counted(conn, world):
    archived = replace(NOV, include_archived=True)  # ses_s4: 5 calls, 1 error
    assert rows(traffic.clients(conn, org_id=ACME, flt=archived))[0] == (
        "claude-code",
        "1.0",
        3,
        17,
        3,
    )
    assert rows(traffic.clients(conn, org_id="org_globex", flt=NOV)) == [
        ("claude-code", "1.0", 1, 7, 2)
    ]


def test_targets(conn, world):
    df = traffic.targets(conn, org_id=ACME, flt=NOV)
    cols = ["method", "target", "calls", "errors", "error_rate", "p50_ms", "p95_ms"]
    assert list(df.columns) == cols
    # search: 5 5 5 5 15 15 -> p50 rank 3 = 5, p95 rank 6 = 15; fetch: 12 x6, 15 -> 12, 15.
    # tools/call by p95 (fetch and search tie at 15: by name); initialize is no target.
    assert rows(df) == [
        ("prompts/get", "summarize_prompt", 1, 1, 1.0, 19.0, 19.0),
        ("resources/read", "file:///readme", 1, 0, 0.0, 8.0, 8.0),
        ("tools/call", "fetch", 7, 1, 1 / 7, 12.0, 15.0),
        ("tools/call", "search", 6, 2, 2 / 6, 5.0, 15.0),
        ("tools/call", "summarize", 1, 0, 0.0, 3.0, 3.0),
    ]


def test_targets_keep_the_slowest_and_the_most_failing(conn, world):
    # limit 1: fetch is the slowest tool (p95 tie, by name), search the most failing (2).
    df = traffic.targets(conn, org_id=ACME, flt=NOV, limit=1)
    assert [(r.method, r.target) for r in df.itertuples()] == [
        ("prompts/get", "summarize_prompt"),
        ("resources/read", "file:///readme"),
        ("tools/call", "fetch"),
        ("tools/call", "search"),
    ]


def test_targets_previous_period_and_other_org(conn, world):
    assert rows(traffic.targets(conn, org_id=ACME, flt=BEFORE)) == [
        ("tools/call", "fetch", 1, 1, 1.0, 15.0, 15.0),
        ("tools/call", "search", 1, 0, 0.0, 5.0, 5.0),
    ]
    gx = traffic.targets(conn, org_id="org_globex", flt=NOV)
    assert set(gx["method"]) == {"tools/call"}  # none of acme's resources or prompts


def test_compare_puts_the_previous_period_beside(conn, world):
    now = traffic.clients(conn, org_id=ACME, flt=NOV)
    before = traffic.clients(conn, org_id=ACME, flt=BEFORE)
    both = traffic.compare(now, before, ["client_name", "client_version"], ["sessions", "calls"])
    assert list(both["sessions_before"]) == [1, None, None]
    assert list(both["calls_before"]) == [2, None, None]
    nothing = traffic.compare(now, None, ["client_name"], ["sessions"])
    assert list(nothing["sessions_before"]) == [None, None, None]
    # None keys match None keys
    a = pd.DataFrame({"transport": [None, "stdio"], "sessions": [3, 4]})
    b = pd.DataFrame({"transport": ["stdio", None], "sessions": [1, 2]})
    assert list(traffic.compare(a, b, ["transport"], ["sessions"])["sessions_before"]) == [2, 1]


@pytest.mark.parametrize(
    ("narrow", "expected"),
    [
        ({"client_name": "claude-code"}, ["ses_s1", "ses_s2"]),
        ({"client_name": "cursor", "client_version": "0.9"}, ["ses_s3"]),
        ({"client_name": "cursor", "client_version": "1.0"}, []),
        ({"transport": "stdio"}, ["ses_s1", "ses_s2"]),
        ({"transport": "http"}, ["ses_s3"]),
        ({"call_method": "resources/read", "call_target": "file:///readme"}, ["ses_s1"]),
        ({"call_method": "tools/call", "call_target": "search"}, ["ses_s1", "ses_s2", "ses_s3"]),
        (
            {"call_method": "tools/call", "call_target": "search", "call_failed": True},
            ["ses_s2", "ses_s3"],
        ),
        (
            {"call_method": "prompts/get", "call_target": "summarize_prompt", "call_failed": True},
            ["ses_s3"],
        ),
        ({"call_method": "resources/read", "call_target": "search"}, []),
    ],
)
def test_traffic_filters(conn, world, narrow, expected):
    flt = replace(NOV, **narrow)
    listed = sorted(list_sessions(conn, org_id=ACME, flt=flt, limit=100).rows["id"])
    assert listed == expected
    assert count_sessions(conn, org_id=ACME, flt=flt) == len(expected)


def test_traffic_filters_are_org_scoped(conn, world):
    flt = AdminFilter(client_name="claude-code", transport="stdio")
    assert sorted(list_sessions(conn, org_id=ACME, flt=flt).rows["id"]) == [
        "ses_p1",
        "ses_s1",
        "ses_s2",
    ]
    assert list(list_sessions(conn, org_id="org_globex", flt=flt).rows["id"]) == ["ses_g1"]
    flt = AdminFilter(call_method="tools/call", call_target="summarize")
    assert list(list_sessions(conn, org_id=ACME, flt=flt).rows["id"]) == ["ses_s2"]


def test_the_click_through_narrowing_is_not_an_analytics_filter():
    flt = replace(NOV, client_name="x", call_method="tools/call", call_target="y")
    assert flt.narrowed and not NOV.narrowed
    from queries.admin import broad

    assert broad(flt) == NOV


PANELS = (traffic.clients, traffic.transports, traffic.targets)


@pytest.mark.parametrize("settled", [date(2026, 11, 3), date(2026, 11, 10)])
def test_every_panel_reads_the_same_from_the_rollup(conn, world, settled):
    """Settled days come from the rollup (every method's targets, the clients and
    transports): the same rows as read live. On 3 Nov, 30 Oct to 1 Nov are rolled up and
    2 Nov is live; on 10 Nov every day is rolled up."""
    flts = (NOV, BEFORE, replace(NOV, statuses=("completed",)), AdminFilter())
    live = {(p, f): p(conn, org_id=ACME, flt=f) for p in PANELS for f in flts}
    rollup.settle(conn, org_id=ACME, now=datetime.combine(settled, time(12), UTC))
    assert daily.settled_before(conn, org_id=ACME) == settled - timedelta(days=1)
    for name, source in (("clients", daily.clients_source), ("tools", daily.tools_source)):
        assert f"rollup_{name}" in str(source(conn, org_id=ACME, flt=NOV).element)
    for (panel, f), expected in live.items():
        pd.testing.assert_frame_equal(panel(conn, org_id=ACME, flt=f), expected)
    t = schema.rollup_tools
    methods = sa.select(t.c.method).distinct().where(t.c.org_id == ACME).order_by(t.c.method)
    stored = ["prompts/get"] if settled > date(2026, 11, 3) else []  # s3's, on 2 Nov
    assert conn.execute(methods).scalars().all() == [*stored, "resources/read", "tools/call"]
