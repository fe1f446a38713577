"""A smoke test of the benchmark harness (bench/): a few page states on the small seeded
demo data, one run each, and the report built from them. `make bench` itself is not part of
the suite."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bench import run, server


@pytest.fixture()
def url(demo_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("SESSIONSCOPE_DEMO", raising=False)
    return demo_engine.url.render_as_string(hide_password=False)


def test_the_harness_times_page_states_and_their_sql(url, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    ids = server.pick_ids(url)
    assert ids["session"] != ids["other_session"] and ids["item"].startswith("tc_")
    wanted = {"User sessions: item selected", server.NAIVE}
    side = {"empty_page_ms": server.empty_page_ms(1), "sets": {"small": {"sessions": 400}}}
    states = {}
    for state in server.states(ids):
        if state.name in wanted:
            states[state.name] = server.measure(url, state, 1).__dict__
    side["sets"]["small"]["states"] = states
    item = states["User sessions: item selected"]
    assert item["statements"] >= 3 and item["sql_ms"] > 0 and item["cold_ms"] > 0
    ratios = run.ratios(side)
    assert ratios[server.NAIVE]["ours_over_naive_cold_small"] > 0
    report = run.markdown(
        {"machine": run.machine(), "server": side, "ratios": ratios, "budgets": [], "seconds": 1}
    )
    assert "| User sessions: item selected | small (400) |" in report


def test_the_budgets_are_checked_against_the_large_set() -> None:
    timing = {"cold_ms": 100.0, "warm_ms": 10.0, "sql_ms": 50.0, "statements": 3}
    slow = {**timing, "cold_ms": 400.0}
    names = [*run.EXPLORER_BUDGETED, "Admin analytics, last 30 days"]
    side = {
        "empty_page_ms": 10.0,
        "sets": {
            "small": {"sessions": 1, "states": dict.fromkeys(names, timing)},
            "large": {"sessions": 2, "states": dict.fromkeys(names, slow)},
        },
    }
    checks = run.budgets(side, run.ratios(side))
    assert [ok for _, _, ok in checks] == [False, False, False, False, True, True]
