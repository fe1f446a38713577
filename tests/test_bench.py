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
    clicks = server.click_runs(url, ids, 1)  # raises if a click's run shows an exception
    assert clicks["click_item_run_ms"] > 0 and clicks["click_session_run_ms"] > 0
    side["sets"]["small"]["clicks"] = clicks
    item = states["User sessions: item selected"]
    assert item["statements"] >= 3 and item["sql_ms"] > 0 and item["cold_ms"] > 0
    ratios = run.ratios(side)
    assert ratios[server.NAIVE]["ours_over_naive_cold_small"] > 0
    report = run.markdown(
        {"machine": run.machine(), "server": side, "ratios": ratios, "budgets": [], "seconds": 1}
    )
    assert "| User sessions: item selected | small (400) |" in report
    assert f"| small | {clicks['click_item_run_ms']:.1f} |" in report


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


def _fake_results(**browser) -> dict:
    """A run's results as run.main builds them, small and made up (no bench run)."""
    state = {"cold_ms": 30.0, "warm_ms": 20.0, "sql_ms": 5.0, "statements": 4}
    side = {
        "empty_page_ms": 10.0,
        "bare_page_ms": 4.0,
        "sets": {"small": {"sessions": 400, "states": {"User sessions: item selected": state}}},
    }
    phase = {"wall_s": 100.0, "machine_cpu_s": 150.0, "others_cpu_s": 2.0, "load_max": 1.2}
    busy = {**phase, "others_cpu_s": 60.0, "load_max": 3.4}
    machine = {
        "date": "2026-12-01 10:00 UTC",
        "python": "3.11.7",
        "platform": "Linux",
        "cpus": 2,
        "memory_gb": 8.0,
        "load_average_at_start": 0.25,
        "activity": {
            "load_average_start": [0.25, 0.3, 0.4],
            "load_average_end": [1.75, 1.0, 0.5],
            "sample_s": 2.0,
            "phases": {"server side": phase, "browser": busy},
        },
    }
    return {
        "machine": machine,
        "seconds": 5,
        "server": side,
        "ratios": run.ratios(side),
        "budgets": [],
        "browser": browser,
    }


BROWSER = {
    "hello_cold_ms": 1000.0,
    "cpu_hello_s": 1.0,
    "datasette_link_ms": 800.0,
    "datasette_click_ms": 400.0,
    "link_cold_ms": 1400.0,
    "cpu_link_s": 2.5,
    "main_thread_hello_ms": 310.0,
    "main_thread_link_ms": 1020.0,
    "link_deep_ms": 1300.0,
    "click_session_ms": 300.0,
    "click_item_ms": 200.0,
    "click_session_far_ms": 500.0,
    "click_item_far_ms": 250.0,
    "far_windows": 20,
    "seconds_of": {"baselines": 20.0, "link_cold": 15.0},
    "errors": {},
}


def test_the_targets_of_issue_14_are_ratios_of_one_run() -> None:
    got = {
        name: (measured, ratio, ok)
        for name, measured, ratio, ok in run.targets(_fake_results(**BROWSER))
    }
    assert got["Cold shared three-pane link <= 1.5 x hello-world page"] == (
        "1,400 ms vs 1,000 ms",
        "1.40",
        True,
    )
    deep = got["Same, 300th session + 15,000th call selected <= 1.25 x hello-world page"]
    assert deep[1:] == ("1.30", False)
    assert got["Click a timeline item until its details show < Datasette page navigation"][2]
    far = "Click another session, 20 windows of 50 down the list (1,000 sessions passed)"
    assert got[far + " < Datasette page navigation"][1:] == ("1.25", False)
    cpu = got["Headless Chromium CPU, cold User sessions link <= 2 x hello-world page"]
    assert cpu == ("2.50 s CPU vs 1.00 s CPU", "2.50", False)
    script = "User sessions script run, item selected <= 2 x (empty page + its SQL), small set"
    assert got[script] == ("30 ms vs 10 + 5 ms", "2.00", True)


def test_the_report_says_how_long_after_the_last_skeleton_the_panes_showed() -> None:
    browser = BROWSER | {"link_cold_after_skeleton_ms": 512.4, "link_cold_skeleton_runs": 5}
    report = run.markdown(_fake_results(**browser))
    assert "In 5 of the cold links Streamlit showed loading skeletons" in report
    assert "the panes showed a median 512 ms after the last of them" in report
    assert "after the last of them" not in run.markdown(_fake_results(**BROWSER))


def test_the_report_gives_the_main_thread_time_of_a_cold_open() -> None:
    report = run.markdown(_fake_results(**BROWSER))
    assert "| the page's main thread running tasks, a cold open | 1,020 ms | | 310 ms |" in (report)


def test_an_unmeasured_target_says_why_and_does_not_hold() -> None:
    error = "cold link: not shown after 120 s: no element matches '.st-key-us_list input:checked'"
    browser = {k: v for k, v in BROWSER.items() if k not in ("link_cold_ms", "cpu_link_s")}
    results = _fake_results(**browser | {"errors": {"link_cold": error}})
    rows = {name: (m, ok) for name, m, _, ok in run.targets(results)}
    measured, ok = rows["Cold shared three-pane link <= 1.5 x hello-world page"]
    assert measured == f"not measured: {error}" and not ok
    report = run.markdown(results)
    assert f"**link_cold failed**: {error}" in report
    assert "| Cold shared three-pane link <= 1.5 x hello-world page | not measured" in report


def test_the_report_states_the_machine_s_load_from_the_run(tmp_path, monkeypatch) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("## Notes from the run of 2026-11-21 22:48 UTC\n\nThe clicks were slow.\n")
    monkeypatch.setattr(run, "NOTES", notes)
    report = run.markdown(_fake_results(**BROWSER))
    assert "Load average (1 min) 0.25 at the start, 1.75 at the end, at most 3.40" in report
    # 62 CPU-s of others in 200 s: 0.31 CPUs; the browser phase (0.6 CPUs) was shared.
    assert "used at least 62 CPU-seconds in the run's 200 s (0.31 CPUs on average of 2)" in report
    assert "the machine was shared during browser;" in report
    assert "| server side | 100 | 150 | 2 | 1.20 | quiet |" in report
    assert "| browser | 100 | 150 | 60 | 3.40 | shared |" in report
    assert "had the machine to itself" not in report
    # Hand-written notes keep their date and are said to be another run's.
    assert "## Notes from the run of 2026-11-21 22:48 UTC" in report
    assert "*Written by hand for the run of 2026-11-21 22:48 UTC, not for this one" in report
    assert report.rstrip().endswith("The clicks were slow.")
    assert "Wall time of each browser measurement in this run: baselines 20 s, link_cold 15 s" in (
        report
    )


def test_a_quiet_run_says_so_and_undated_notes_are_labelled(tmp_path, monkeypatch) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("This run had the machine to itself.\n")
    monkeypatch.setattr(run, "NOTES", notes)
    results = _fake_results(**BROWSER)
    results["machine"]["activity"]["phases"]["browser"]["others_cpu_s"] = 1.0
    report = run.markdown(results)
    assert "the run had the machine to itself." in report
    assert "## Notes (undated, written by hand: not computed from this run)" in report


def test_a_missing_selector_is_named() -> None:
    from bench import browser

    want = {"present": list(browser.LINK_SHOWN), "contains": [[browser.ITEM_DETAILS, "tc_1"]]}
    counts = dict.fromkeys(browser.CONTRACT, 0) | {browser.SESSION_LIST: 1}
    state = {"url": "http://x/user?user=u", "script": "notRunning", "counts": counts}
    message = browser.explain("cold link", want, state, 120_000)
    assert message.startswith("cold link: not shown after 120 s: no element matches ")
    assert "'.st-key-us_list input:checked'" in message and "'.st-key-us_item'" in message
    assert "(page http://x/user?user=u; the contract's '.st-key-us_left'" in message
    # Everything there, but the details show another item.
    counts = dict.fromkeys(browser.CONTRACT, 1)
    message = browser.explain("cold link", want, state | {"counts": counts}, 120_000)
    unmet = "the selectors match, but one of these did not hold: '.st-key-us_item' does not show"
    assert f"{unmet} 'tc_1'" in message


def test_chromium_cpu_is_the_difference_of_two_snapshots() -> None:
    from bench import browser

    assert browser.cpu_used_s({1: 2.0, 2: 1.0}, {1: 2.5, 3: 0.75}) == 1.25


def _fake_power(**changes) -> dict:
    """bench.power.measure's figures, made up (no bench run)."""
    from bench import power

    def term(ms: float, calls: int) -> dict:
        return {"ms": ms, "sessions": 20, "hits": 40, "more": True, "calls": calls}

    figures = {
        "sessions": 1_000_000,
        "org": "org_acme",
        "server": {
            "version": "18.4",
            "pg_trgm_available": False,
            "pg_trgm_installed": False,
            "search_index": "scan",
            "tool_calls": 5_000_000,
            "tool_calls_mb": 3578,
            "shared_buffers": "128MB",
        },
        "search": {
            "rare": {
                "terms": {"data-2827": term(17_000.0, 97), "data-2468": term(15_000.0, 90)},
                "median_ms": 16_000.0,
                "max_ms": 17_000.0,
            },
            "common": {
                "terms": {"checkout": term(300.0, power.COUNT_CAP)},
                "median_ms": 300.0,
                "max_ms": 300.0,
            },
        },
        "find": {
            "session": "ses_demo_huge",
            "calls": 20_000,
            "terms": {"checkout": {"ms": 120.0, "matches": 1466}},
            "median_ms": 120.0,
        },
        "compare": {
            "a": "ses_a",
            "b": "ses_b",
            "calls": [1_000, 980],
            "how": "two sessions of one user",
            "compare_ms": 400.0,
            "diff_ms": 100.0,
            "align_edited_ms": 600.0,
            "edits": 50,
            "total_ms": 1100.0,
        },
        "panels": {
            "settle_ms": 200.0,
            "paths": {"cold_ms": 800.0, "warm_ms": 0.5, "frames": {"sequences": 10, "loops": None}},
            "traffic": {"cold_ms": 700.0, "warm_ms": 0.4, "frames": {"clients": 3}},
        },
        "ingest": {
            "spans": 20_480,
            "runs": 2,
            "postgresql": {
                "with_index": [900.0, 1100.0],
                "without": [1000.0, 1000.0],
                "ratio": 1.0,
            },
            "sqlite": {"with_index": [500.0, 700.0], "without": [1000.0, 1000.0], "ratio": 0.6},
        },
    }
    return figures | changes


def test_the_targets_of_issue_18_state_what_the_run_measured() -> None:
    from bench import power

    got = {name: (measured, ok) for name, measured, ok in power.power_targets(_fake_power())}
    rare = got["Org-wide search, first page, cold, rare term < 500 ms"]
    assert rare == (
        "median 16,000 ms (`data-2827` (97 calls) 17,000 ms, `data-2468` (90 calls) 15,000 ms); "
        "no pg_trgm: scan",
        False,
    )
    common = got["Org-wide search, first page, cold, common term < 500 ms"]
    assert common[0].startswith("median 300 ms (`checkout` (100,000+ calls) 300 ms)")
    assert common[1]
    assert got["Find in the 20,000-call session, count + first match < 300 ms"] == (
        "median 120 ms (`checkout` 120 ms (1,466 matches))",
        True,
    )
    compare = got["Compare of two 1,000-call sessions < 1 s"]
    assert compare[0].startswith("1,100 ms: alignment read 400 ms") and not compare[1]
    assert compare[0].endswith(
        "(two sessions of one user; ses_a (1,000 calls) vs ses_b (980 calls))"
    )
    # A frame cut off by the panel's timeout does not hold, however fast the rest was.
    assert got["Tool paths panel cold < 1 s"] == ("800 ms; cut off: loops", False)
    assert got["MCP traffic panel cold < 1 s"] == ("700 ms", True)
    assert got["MCP traffic panel warm < 50 ms"] == ("0.4 ms (cached wrapper)", True)
    pg = got["Ingest with the search index >= 80% of without, PostgreSQL"]
    # No pg_trgm: head keeps no index on PostgreSQL, so its ratio says nothing of the target.
    assert pg == (
        "100%: 1,000 vs 1,000 spans/s (no pg_trgm on this server: head keeps no index)",
        None,
    )
    lite = got["Ingest with the search index >= 80% of without, SQLite"]
    assert lite == ("60%: 600 vs 1,000 spans/s (the index kept)", False)


def test_an_unmeasured_search_term_does_not_hold_and_the_report_has_the_table() -> None:
    from bench import power

    figures = _fake_power()
    figures["search"]["rare"] = {"terms": {}, "median_ms": None, "max_ms": None}
    rows = {name: (m, ok) for name, m, ok in power.power_targets(figures)}
    assert rows["Org-wide search, first page, cold, rare term < 500 ms"] == (
        "not measured: no rare term among the candidates (no pg_trgm: scan)",
        False,
    )
    report = run.markdown(_fake_results(**BROWSER) | {"power": figures})
    assert "## Targets (issue 18)" in report
    assert "On the PostgreSQL set of 1,000,000 sessions (18.4; tool_calls 5,000,000 rows" in report
    assert "| MCP traffic panel warm < 50 ms | 0.4 ms (cached wrapper) | yes |" in report
    assert "| Tool paths panel cold < 1 s | 800 ms; cut off: loops | **no** |" in report
    assert "PostgreSQL | 100%: 1,000 vs 1,000 spans/s (no pg_trgm on this server: head " in report
    assert "keeps no index) | not applicable |" in report
    assert power.report_lines(None) == []
    assert "## Targets (issue 18)" not in run.markdown(_fake_results())  # notes may name it


def test_a_part_that_failed_is_not_measured_and_the_rest_still_is() -> None:
    from bench import power

    error = 'ProgrammingError: relation "rollup_paths" does not exist | a pipe'
    figures = _fake_power(ingest={"error": "OSError: disk full"})
    figures["panels"]["paths"] = {"error": error}
    rows = {name: (m, ok) for name, m, ok in power.power_targets(figures)}
    for name in ("Tool paths panel cold < 1 s", "Tool paths panel warm < 50 ms"):
        assert rows[name] == (f"not measured: {error}", False)
    assert rows["MCP traffic panel cold < 1 s"] == ("700 ms", True)
    for db in ("PostgreSQL", "SQLite"):
        name = f"Ingest with the search index >= 80% of without, {db}"
        assert rows[name] == ("not measured: OSError: disk full", False)
    report = "\n".join(power.report_lines(figures))
    assert "Ingest: " not in report and "after the rollup's settle (200 ms" in report
    assert 'not measured: ProgrammingError: relation "rollup_paths" does not exist \\| a pipe' in (
        report
    )

    def broken() -> None:
        raise RuntimeError("no such session\nsecond line")

    out: dict = {}
    power._section(out, "compare", broken)
    assert out == {"compare": {"error": "RuntimeError: no such session"}}
