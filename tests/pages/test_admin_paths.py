"""The Admin page's Tool paths and MCP traffic panels (Analytics tab) and their click-through
params, on the hand-built data set of tests/pages/datasets/paths.py (figures worked out
there and in tests/test_queries_paths.py / test_queries_traffic.py)."""

from __future__ import annotations

import functools

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from components import keys
from components.admin import data as admin_data
from components.admin import keys as ak
from components.admin import paths as admin_paths
from components.admin import traffic as admin_traffic
from components.admin.clicks import too_slow
from queries import paths
from queries.admin import AdminFilter
from tests.pages.admin_view import shown
from tests.pages.client import Open
from tests.pages.datasets import ADMIN, ANALYST
from tests.pages.datasets import paths as paths_data
from tests.pages.explorer_view import texts

NOV1_2 = {"from": "2026-11-01", "to": "2026-11-02"}
ALL_ACME = {"ses_s1", "ses_s2", "ses_s3", "ses_s5", "ses_p1"}  # s4 archived, g1 globex's


@pytest.fixture()
def admin(client, data_set) -> Open:
    return client(data_set(paths_data.build), keys.PAGE_ADMIN, email=ADMIN, direct=True)


def panel(at: AppTest, name: str):
    [table] = [d for d in at.dataframe if d.key == ak.panel(name)]
    return table.value


def click(at: AppTest, name: str, row: int) -> AppTest:
    at.session_state[ak.panel(name)] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return at.run()


def opened(admin: Open, **params: str) -> AppTest:
    """admin(**params), where the click-through params (`path` is open_app's own argument
    name) are set on the AppTest after a first run without them: the page reads the URL on
    every run."""
    narrow = {k: params.pop(k) for k in ak.NARROW_PARAMS if k in params}
    at = admin(**params)
    if narrow:
        for name, value in narrow.items():
            at.query_params[name] = value
        at.run()
    return at


PATHS, TRAFFIC = ak.SECTION_PATHS, ak.SECTION_TRAFFIC


def analytics(admin: Open, section: str = PATHS, **params: str) -> AppTest:
    at = opened(admin, tab=ak.TAB_ANALYTICS, section=section, **NOV1_2, **params)
    assert not at.exception
    return at


def test_the_overview_runs_neither_panel(admin, statements) -> None:
    statements.clear()
    at = analytics(admin, ak.SECTION_OVERVIEW)
    assert len(at.metric) == 7 and not at.subheader
    # The first analytics view settles the daily rollup, which fills its tables once a day
    # (rollup_paths with windows, rollup_clients with the transport); every other statement
    # is the overview's.
    settle = [s for s in statements if "insert into rollup_" in s.lower()]
    assert sum("insert into rollup_paths" in s.lower() for s in settle) <= 1
    sql = "\n".join(s for s in statements if s not in settle).lower()
    assert "lag(" not in sql and "json_extract" not in sql and "->>" not in sql
    assert dict(at.query_params) == {"tab": ak.TAB_ANALYTICS, **NOV1_2}  # the default section


def test_the_panels_render_the_hand_computed_figures(admin) -> None:
    at = analytics(admin)
    assert [h.value for h in at.subheader] == ["Tool paths"]
    assert not at.metric  # the overview's cards are not computed
    seq = panel(at, "sequences")
    assert list(seq.iloc[0][["path", "calls", "sessions", "occurrences"]]) == [
        "search → fetch",
        2,
        3,
        4,
    ]
    loops = panel(at, "loops")
    assert list(loops["tool_name"]) == ["fetch", "search"] and list(loops["longest"]) == [4, 3]
    assert list(loops["change"]) == ["—", "—"]  # no loop on 31 Oct
    errors = panel(at, "before_error")
    assert list(errors["before"]) == ["(start)", "fetch → search"]
    assert list(errors["failed"]) == ["✖ search", "✖ fetch"]
    tickets = panel(at, "tickets_per_tool")
    assert list(tickets["last_tool"]) == ["fetch", "(no call yet)"]
    assert list(tickets["change"]) == ["+1", "—"]  # 2 against ses_p1's 1
    at = analytics(admin, TRAFFIC)
    assert [h.value for h in at.subheader] == ["MCP traffic"]
    clients = panel(at, "clients")
    assert list(clients["client"]) == ["claude-code", "cursor", "(not recorded)"]
    assert list(clients["sessions_change"]) == ["+1", "—", "—"]
    assert list(panel(at, "transports")["transport"]) == ["stdio", "http", "(not recorded)"]
    failing = panel(at, "failing")
    assert list(failing["target"])[:2] == ["search", "summarize_prompt"]


def test_a_sequence_row_opens_its_sessions(admin) -> None:
    at = click(analytics(admin), "sequences", 0)  # search → fetch, 3 sessions
    assert not at.exception
    assert dict(at.query_params) == {"path": "search>fetch", **NOV1_2}  # the Sessions tab
    assert sorted(shown(at)) == ["ses_s1", "ses_s2", "ses_s3"]
    assert "the tool path **search** → **fetch**" in at.info[0].value
    at.button(key=ak.F_UNNARROW).click().run()
    assert dict(at.query_params) == NOV1_2
    assert sorted(shown(at)) == ["ses_s1", "ses_s2", "ses_s3", "ses_s5"]


def test_before_error_and_ticket_rows_carry_their_ends(admin) -> None:
    at = click(analytics(admin), "before_error", 0)  # (start) → search ✖
    assert dict(at.query_params) == {"path": "^search", "then": "error", **NOV1_2}
    assert sorted(shown(at)) == ["ses_s2", "ses_s3"]
    at = click(analytics(admin), "tickets_per_tool", 0)  # fetch, 2 tickets
    assert dict(at.query_params) == {"path": "fetch", "then": "ticket", **NOV1_2}
    assert sorted(shown(at)) == ["ses_s1", "ses_s2"]


def test_a_row_without_a_path_explains_instead(admin) -> None:
    at = click(analytics(admin), "tickets_per_tool", 1)  # the ticket before any call
    assert at.query_params["tab"] == ak.TAB_ANALYTICS
    assert "cannot be listed" in texts(at)


def test_traffic_rows_open_their_sessions(admin) -> None:
    at = click(analytics(admin, TRAFFIC), "clients", 1)
    assert dict(at.query_params) == {"client": "cursor", "version": "0.9", **NOV1_2}
    assert shown(at) == ["ses_s3"]
    at = click(analytics(admin, TRAFFIC), "transports", 0)
    assert shown(at) == ["ses_s2", "ses_s1"] and at.query_params["transport"] == "stdio"
    at = click(analytics(admin, TRAFFIC), "failing", 0)  # search: 2 failed calls
    assert dict(at.query_params) == {
        "method": "tools/call",
        "target": "search",
        "then": "error",
        **NOV1_2,
    }
    assert shown(at) == ["ses_s3", "ses_s2"]


def test_the_analytics_ignore_the_narrowing(admin) -> None:
    at = analytics(admin, path="summarize")
    assert panel(at, "sequences").iloc[0]["sessions"] == 3  # all sessions, not s2 only
    assert "narrows the Sessions tab only" in texts(at)


@pytest.mark.parametrize(
    ("params", "message", "kept"),
    [
        ({"path": "search>>fetch"}, "is not a tool path", {}),
        ({"path": "a>b>c>d>e"}, "is not a tool path", {}),
        ({"path": "x" * 10_000}, "is not a tool path", {}),
        ({"path": "search\x00"}, "is not a tool path", {}),
        ({"path": "search", "then": "crash"}, "`then`", {"path": "search"}),
        ({"then": "ticket"}, "needs a `path`", {}),
        ({"version": "1.0"}, "needs a `client`", {}),
        ({"method": "tools/delete", "target": "x"}, "`method`", {}),
        ({"target": "search"}, "go together", {}),
        ({"client": "c" * 300}, "`client`", {}),
    ],
)
def test_a_hostile_param_gets_a_message_and_is_dropped(admin, params, message, kept) -> None:
    at = opened(admin, **params)
    assert not at.exception
    assert message in at.warning[0].value and len(at.warning[0].value) < 400
    assert dict(at.query_params) == kept
    if not kept:
        assert set(shown(at)) == ALL_ACME


def test_another_organization_sees_only_its_own(client, data_set) -> None:
    globex = client(data_set(paths_data.build), keys.PAGE_ADMIN, direct=True)
    at = opened(functools.partial(globex, email="admin@globex.example"), path="search>fetch")
    assert shown(at) == ["ses_g1"]
    at = client(data_set(paths_data.build), keys.PAGE_ADMIN, direct=True)(
        email="admin@globex.example", tab=ak.TAB_ANALYTICS, section=TRAFFIC, **NOV1_2
    )
    assert list(panel(at, "clients")["sessions"]) == [1]  # globex's ses_g1 only
    assert "summarize_prompt" not in panel(at, "failing")["target"].tolist()


def test_an_analyst_never_sees_the_panels_or_the_sessions(client, data_set) -> None:
    open_ = client(data_set(paths_data.build), keys.PAGE_ADMIN, direct=True)
    at = opened(
        functools.partial(open_, email=ANALYST),
        tab=ak.TAB_ANALYTICS,
        section=PATHS,
        path="search>fetch",
        **NOV1_2,
    )
    assert not at.exception
    assert "Admins only" in at.error[0].value
    assert not at.dataframe and not at.subheader


def test_row_params_of_each_panel() -> None:
    row = {"step1": "a", "step2": "b", "step3": None, "step4": None}
    assert admin_paths.row_params("sequences", row) == {"path": "a>b", "then": None}
    assert admin_paths.row_params("sequences", {**row, "step1": "x>y"}) == {}  # no link
    assert admin_paths.row_params("loops", {"tool_name": "a"})["path"] == "a>a>a"
    errs = {"before_2": None, "before_1": "a", "failed_tool": "b"}
    assert admin_paths.row_params("before_error", errs) == {"path": "^a>b", "then": "error"}
    tick = {"before_1": "a", "last_tool": "b"}
    assert admin_paths.row_params("before_ticket", tick) == {"path": "a>b", "then": "ticket"}
    assert admin_paths.row_params("before_ticket", {"before_1": None, "last_tool": None}) == {}
    target = {"method": "resources/read", "target": "file:///x"}
    assert admin_traffic.row_params("slowest", target) == {
        "method": "resources/read",
        "target": "file:///x",
    }
    assert admin_traffic.row_params("clients", {"client_name": None, "client_version": None}) == {}


# PostgreSQL only: SQLite has no statement timeout (and holds small organizations).
@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_panel_query_past_the_timeout_is_cut_off(engine, monkeypatch) -> None:
    monkeypatch.setattr(admin_data, "PANEL_TIMEOUT", "50ms")

    def slow(conn: sa.Connection, *, org_id: str, flt: AdminFilter) -> pd.DataFrame:
        conn.execute(sa.text("SELECT pg_sleep(5)"))
        return pd.DataFrame()

    with engine.connect() as conn:
        assert admin_data._bounded(slow)(conn, org_id="org_acme", flt=AdminFilter()) is None
    with engine.connect() as conn:  # a quick one is left alone
        quick = admin_data._bounded(paths.loops)(conn, org_id="org_acme", flt=AdminFilter())
        assert quick is not None and quick.empty
    assert "over 50ms" in too_slow()


def test_an_unknown_section_gets_a_message_and_the_overview(admin) -> None:
    at = admin(tab=ak.TAB_ANALYTICS, section="<b>bogus</b>")
    assert not at.exception
    assert "unknown `section`" in at.warning[0].value
    assert dict(at.query_params) == {"tab": ak.TAB_ANALYTICS}
    assert len(at.metric) == 7
