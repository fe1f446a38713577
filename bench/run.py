"""`make bench`: Sessionscope's speed and memory, as ratios measured in one run.

    .venv/bin/python -m bench.run [--small-only] [--runs 5] [--seconds 60] [--naive-large]

1. Data sets (bench/datasets.py): PostgreSQL small (10,000 sessions) and large (1,000,000),
   and the small set in SQLite; built by the seed command on first use, then kept.
2. Server side (bench/server.py) on each PostgreSQL set: every page state cold and warm,
   the raw SQL of its cold run, an empty page; ratios page / (empty + SQL), large / small,
   ours / the naive baseline.
3. Browser (bench/browser.py) on the SQLite set, side by side: hello world, Datasette, the
   User sessions page's cold link (also with the 300th session and 15,000th call), clicks
   (also 20 windows down the list), Chromium CPU, memory under 10 viewers; issue 14's targets
   checked against them.
4. Issue 18 (bench/power.py), on the large PostgreSQL set (the small one with --small-only):
   org-wide payload search cold for rare and common terms, the find in the 20,000-call
   session, compare, the Tool paths and MCP traffic panels cold and warm, ingest with and
   without the search index; its targets checked against them. `--only-power` runs this
   part alone and prints it (nothing written); `--as-is` takes the data sets as they are
   (no upgrade, no seed: while another process owns their schema).
5. Ingest (bench/ingest.py): OTLP spans per second into PostgreSQL and SQLite from one
   process in batches of 512, and the time from a POST to `streamlit run app.py` until the
   timeline query reads the call.

Writes bench/results.json and docs/benchmarks.md and prints the same table. Every remark
on the machine in the report (load, other processes' CPU) is computed from the run
(bench/machine.py); hand-written notes (bench/notes.md) go under their own dated heading.
Exits 1 when a browser measurement failed (e.g. a selector of the page's contract matched
nothing); the other figures are still written.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bench import datasets, power, server
from bench.machine import Monitor, verdict
from sessionscope.settings import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "bench" / "results.json"
REPORT = PROJECT_ROOT / "docs" / "benchmarks.md"
NOTES = PROJECT_ROOT / "bench" / "notes.md"
BUDGET_EXPLORER_OVERHEAD = 2.0  # page / (empty page + raw SQL), DESIGN.md and issue 14
BUDGET_LARGE_OVER_SMALL = 1.25
BUDGET_ANALYTICS_COLD_MS, BUDGET_ANALYTICS_WARM_MS = 1000.0, 50.0
BUDGET_INGEST_SPANS_PER_S = 5000  # into PostgreSQL, one process (DESIGN.md)
EXPLORER_BUDGETED = ("User sessions: session selected", "User sessions: item selected")


def server_side(sets: dict[str, datasets.DataSet], runs: int, naive_large: bool) -> dict:
    os.environ["DATABASE_URL"] = sets["small"].url
    out: dict[str, Any] = {
        "empty_page_ms": server.empty_page_ms(runs),
        "bare_page_ms": server.empty_page_ms(runs, bare=True),
        "sets": {},
    }
    for size, ds in sets.items():
        ids = server.pick_ids(ds.url)
        rows = {}
        for state in server.states(ids):
            naive = state.name == server.NAIVE
            if naive and size == "large" and not naive_large:
                continue
            started = time.perf_counter()
            timing = server.measure(ds.url, state, 1 if naive and size == "large" else runs)
            rows[state.name] = asdict(timing)
            print(
                f"  {size:5} {state.name:34} {timing.cold_ms:9.1f} ms cold "
                f"{timing.warm_ms:8.1f} ms warm {timing.sql_ms:8.1f} ms SQL "
                f"({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
        clicks = server.click_runs(ds.url, ids, runs)
        print(
            f"  {size:5} clicks: item {clicks['click_item_run_ms']:.1f} ms, session "
            f"{clicks['click_session_run_ms']:.1f} ms (full run {clicks['full_run_warm_ms']:.1f})",
            flush=True,
        )
        out["sets"][size] = {"sessions": ds.sessions, "ids": ids, "states": rows, "clicks": clicks}
    return out


def ratios(side: dict) -> dict[str, dict[str, float]]:
    """page / (empty + SQL) per state and set; large / small; ours / naive."""
    empty, sets = side["empty_page_ms"], side["sets"]
    out: dict[str, dict[str, float]] = {}
    for size, data in sets.items():
        for name, t in data["states"].items():
            out.setdefault(name, {})[f"overhead_{size}"] = t["cold_ms"] / (empty + t["sql_ms"])
    if "large" in sets:
        for name, t in sets["large"]["states"].items():
            small = sets["small"]["states"][name]
            out[name]["large_over_small_cold"] = t["cold_ms"] / small["cold_ms"]
            out[name]["large_over_small_warm"] = t["warm_ms"] / small["warm_ms"]
    for size, data in sets.items():
        naive = data["states"].get(server.NAIVE)
        ours = data["states"]["User sessions: item selected"]
        if naive:
            out[server.NAIVE][f"ours_over_naive_cold_{size}"] = ours["cold_ms"] / naive["cold_ms"]
            out[server.NAIVE][f"ours_over_naive_warm_{size}"] = ours["warm_ms"] / naive["warm_ms"]
    return out


def budgets(side: dict, r: dict) -> list[tuple[str, str, bool]]:
    """DESIGN.md's budgets against the figures: (budget, measured, holds)."""
    large = side["sets"].get("large")
    if large is None:
        return []
    checks = []
    for name in EXPLORER_BUDGETED:
        o, ls = r[name]["overhead_large"], r[name]["large_over_small_cold"]
        b = BUDGET_EXPLORER_OVERHEAD
        checks.append((f"{name}: page <= {b:g} x (empty + SQL)", f"{o:.2f} x", o <= b))
        checks.append((f"{name}: large <= 1.25 x small", f"{ls:.2f} x", ls <= 1.25))
    a = large["states"]["Admin analytics, last 30 days"]
    checks.append(("Admin analytics cold < 1 s", f"{a['cold_ms']:.0f} ms", a["cold_ms"] < 1000))
    checks.append(("Admin analytics warm < 50 ms", f"{a['warm_ms']:.0f} ms", a["warm_ms"] < 50))
    return checks


# Issue 14's targets: (name, figure, baseline, at most this ratio; None: strictly below 1).
TARGETS = (
    ("Cold shared three-pane link <= 1.5 x hello-world page", "link_cold_ms", "hello_cold_ms", 1.5),
    (
        "Same, 300th session + 15,000th call selected <= 1.25 x hello-world page",
        "link_deep_ms",
        "hello_cold_ms",
        1.25,
    ),
    (
        "Click a timeline item until its details show < Datasette page navigation",
        "click_item_ms",
        "datasette_click_ms",
        None,
    ),
    (
        "Click another session until its timeline shows < Datasette page navigation",
        "click_session_ms",
        "datasette_click_ms",
        None,
    ),
    (
        "Click a timeline item, {far} < Datasette page navigation",
        "click_item_far_ms",
        "datasette_click_ms",
        None,
    ),
    (
        "Click another session, {far} < Datasette page navigation",
        "click_session_far_ms",
        "datasette_click_ms",
        None,
    ),
    (
        "Headless Chromium CPU, cold User sessions link <= 2 x hello-world page",
        "cpu_link_s",
        "cpu_hello_s",
        2.0,
    ),
)
# Which browser measurement (bench.browser.MEASUREMENTS) gives a figure.
_SOURCE = {
    "link_cold_ms": "link_cold",
    "link_deep_ms": "link_deep",
    "cpu_link_s": "link_cold",
    "click_item_ms": "clicks",
    "click_session_ms": "clicks",
    "click_item_far_ms": "clicks_far",
    "click_session_far_ms": "clicks_far",
    "hello_cold_ms": "baselines",
    "cpu_hello_s": "baselines",
    "datasette_click_ms": "baselines",
}
Target = tuple[str, str, str, bool]  # target, measured, ratio, holds


def _figure(key: str, v: float) -> str:
    return f"{v:.2f} s CPU" if key.endswith("_s") else f"{v:,.0f} ms"


def targets(results: dict[str, Any]) -> list[Target]:
    """Issue 14's targets against this run's figures; an unmeasured one does not hold."""
    br = results.get("browser") or {}
    errors = br.get("errors", {})
    windows = br.get("far_windows") or 20  # bench.browser.FAR_WINDOWS until measured
    far = f"{windows} windows of 50 down the list ({windows * 50:,} sessions passed)"
    out: list[Target] = []
    for name, key, base, most in TARGETS:
        name = name.format(far=far)
        missing = [k for k in (key, base) if br.get(k) is None]
        if missing:
            why = "; ".join(
                dict.fromkeys(errors.get(_SOURCE[k], f"no {k} in the results") for k in missing)
            )
            out.append((name, f"not measured: {why}", "-", False))
            continue
        ratio = br[key] / br[base]
        measured = f"{_figure(key, br[key])} vs {_figure(base, br[base])}"
        out.append((name, measured, f"{ratio:.2f}", ratio < 1 if most is None else ratio <= most))
    r = results.get("ratios", {}).get("User sessions: item selected", {})
    size = "large" if "overhead_large" in r else "small"
    b = BUDGET_EXPLORER_OVERHEAD
    name = f"User sessions script run, item selected <= {b:g} x (empty page + its SQL), {size} set"
    if f"overhead_{size}" in r:
        o = r[f"overhead_{size}"]
        t = results["server"]["sets"][size]["states"]["User sessions: item selected"]
        measured = f"{t['cold_ms']:.0f} ms vs {results['server']['empty_page_ms']:.0f} + " + (
            f"{t['sql_ms']:.0f} ms"
        )
        out.append((name, measured, f"{o:.2f}", o <= b))
    else:
        out.append((name, "not measured: no server-side figures", "-", False))
    return out


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def machine_lines(m: dict[str, Any]) -> list[str]:
    """The machine and how busy it was, from the run's own figures only."""
    lines = [
        f"Machine: {m['cpus']} CPUs, {m['memory_gb']} GiB, Python {m['python']}, "
        f"{m['platform']}; run started {m['date']}."
    ]
    act = m.get("activity")
    if not act:  # results of a run before bench/machine.py
        return [
            *lines[:1],
            "",
            f"Load average at start {m['load_average_at_start']:.1f}; that run "
            "measured nothing else about the machine's load.",
        ]
    start, end = act["load_average_start"][0], act["load_average_end"][0]
    phases = act["phases"]
    peak = max((p["load_max"] for p in phases.values()), default=start)
    others = sum(p["others_cpu_s"] for p in phases.values())
    wall = sum(p["wall_s"] for p in phases.values())
    shared = [n for n, p in phases.items() if verdict(p) == "shared"]
    lines += [
        "",
        f"Load average (1 min) {start:.2f} at the start, {end:.2f} at the end, at most "
        f"{peak:.2f} in samples every {act['sample_s']:g} s. Other processes (not this run's, "
        f"nor its PostgreSQL) used at least {others:,.0f} CPU-seconds in the run's "
        f"{wall:,.0f} s ({others / wall if wall else 0:.2f} CPUs on average of {m['cpus']}): "
        + (
            "the run had the machine to itself."
            if not shared
            else f"the machine was shared during {', '.join(shared)}; absolute times there "
            "are inflated, ratios within a phase less so."
        ),
        "",
        "| phase | wall s | machine busy CPU-s | others' CPU-s | load max | |",
        "|---|---:|---:|---:|---:|---|",
        *(
            f"| {n} | {p['wall_s']:,.0f} | {p['machine_cpu_s']:,.0f} | {p['others_cpu_s']:,.0f} | "
            f"{p['load_max']:.2f} | {verdict(p)} |"
            for n, p in phases.items()
        ),
    ]
    return lines


def notes_lines(text: str, run_date: str) -> list[str]:
    """bench/notes.md under its dated heading, said to be another run's when it is."""
    text = text.strip()
    if not text:
        return []
    found = re.match(r"## Notes from the run of (\d{4}-\d{2}-\d{2}[ \d:]*(UTC)?)", text)
    if not found:
        return ["", "## Notes (undated, written by hand: not computed from this run)", "", text]
    written = found.group(1).strip()
    lines = ["", text.splitlines()[0], ""]
    if written[:10] != run_date[:10] or (len(written) > 10 and written != run_date):
        lines += [
            f"*Written by hand for the run of {written}, not for this one ({run_date}): "
            "the figures they quote are that run's.*",
            "",
        ]
    else:
        lines += ["*Written by hand for this run.*", ""]
    return [*lines, "\n".join(text.splitlines()[1:]).strip()]


def machine() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_at_start": os.getloadavg()[0],
    }


def markdown(results: dict) -> str:
    side, r, b = results["server"], results["ratios"], results["budgets"]
    lines = [
        "# Benchmarks",
        "",
        "Measured by `make bench` (bench/run.py) in one run, so the ratios compare figures "
        "taken on the same machine at the same time; absolute times move with the load of the "
        "machine, ratios much less. Reproduce: `make bench` (the first run seeds the data "
        "sets), `make bench-small` for a quick look.",
        "",
        *machine_lines(results["machine"]),
        "",
        *_kept_lines(results),
        "## Server side (AppTest script runs, PostgreSQL; medians)",
        "",
        f"Empty page (the app's frame around a page that does nothing): "
        f"{side['empty_page_ms']:.1f} ms; a bare one-line Streamlit script: "
        f"{side.get('bare_page_ms', float('nan')):.1f} ms.",
        "",
        "| state | set | cold ms | warm ms | raw SQL ms | statements | page / (empty + SQL) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for size, data in side["sets"].items():
        for name, t in data["states"].items():
            o = r[name][f"overhead_{size}"]
            lines.append(
                f"| {name} | {size} ({data['sessions']:,}) | {t['cold_ms']:.1f} | "
                f"{t['warm_ms']:.1f} | {t['sql_ms']:.1f} | {t['statements']} | {o:.2f} |"
            )
    lines += _click_lines(side)
    if "large" in side["sets"]:
        lines += ["", "| state | large / small cold | large / small warm |", "|---|---:|---:|"]
        for name, v in r.items():
            if "large_over_small_cold" in v:
                lines.append(
                    f"| {name} | {v['large_over_small_cold']:.2f} | "
                    f"{v['large_over_small_warm']:.2f} |"
                )
    naive = r.get(server.NAIVE, {})
    if naive:
        lines += ["", "Ours / naive baseline (whole tables in pandas), User sessions with an item:"]
        lines += [
            f"- {k.removeprefix('ours_over_naive_')}: {v:.3f}"
            for k, v in naive.items()
            if k.startswith("ours_over_naive")
        ]
    if b:
        lines += ["", "## Budgets (DESIGN.md)", "", "| budget | measured | holds |"]
        lines += ["|---|---|---|"]
        lines += [f"| {name} | {m} | {_yes(ok)} |" for name, m, ok in b]
    lines += _browser_lines(results)
    lines += _ingest_lines(results.get("ingest"))
    lines += power.report_lines(results.get("power"))
    if NOTES.exists():
        lines += notes_lines(NOTES.read_text(), results["machine"]["date"])
    return "\n".join(lines) + "\n"


def _click_lines(side: dict) -> list[str]:
    """The runs clicks start on User sessions (bench.server.click_runs), where measured."""
    rows = [(size, d["clicks"]) for size, d in side["sets"].items() if d.get("clicks")]
    if not rows:
        return []
    lines = [
        "",
        "The run a click starts on User sessions, item selected (warm page; the chosen "
        "item's or session's own reads cold on a first visit): a timeline row reruns the "
        "details' fragment alone, a card the timeline's and the details'.",
        "",
        "| set | item click run ms | session click run ms | full run, warm, ms |",
        "|---|---:|---:|---:|",
    ]
    for size, c in rows:
        lines.append(
            f"| {size} | {c['click_item_run_ms']:.1f} | {c['click_session_run_ms']:.1f} | "
            f"{c['full_run_warm_ms']:.1f} |"
        )
    return lines


def _kept_lines(results: dict[str, Any]) -> list[str]:
    kept = results.get("server_kept_from")
    if not kept:
        return []
    return [
        f"Server-side figures: kept from the run of {kept} (`--browser-only`); the rest "
        "is this run's.",
        "",
    ]


def _browser_lines(results: dict[str, Any]) -> list[str]:
    br = results.get("browser")
    if not br:
        return []

    def ms(key: str) -> str:
        return "-" if br.get(key) is None else f"{br[key]:,.0f} ms"

    def cpu(key: str) -> str:
        return "-" if br.get(key) is None else f"{br[key]:.2f} s"

    lines = [
        "",
        "## Browser (Playwright + Debian Chromium, small set in SQLite; medians)",
        "",
        "| task | Sessionscope | Datasette | hello-world Streamlit |",
        "|---|---:|---:|---:|",
        f"| open a shared link cold | {ms('link_cold_ms')} | {ms('datasette_link_ms')} | "
        f"{ms('hello_cold_ms')} |",
        f"| the same, 300th session + 15,000th call | {ms('link_deep_ms')} | | |",
        f"| click another session (Datasette: its calls' page) | {ms('click_session_ms')} | "
        f"{ms('datasette_click_ms')} | |",
        f"| click a timeline item | {ms('click_item_ms')} | | |",
        f"| click another session, {br.get('far_windows') or 20} windows down the list | "
        f"{ms('click_session_far_ms')} | | |",
        f"| click a timeline item, {br.get('far_windows') or 20} windows down the list | "
        f"{ms('click_item_far_ms')} | | |",
        f"| Chromium CPU, a cold open | {cpu('cpu_link_s')} | | {cpu('cpu_hello_s')} |",
        f"| the page's main thread running tasks, a cold open | {ms('main_thread_link_ms')} | "
        f"| {ms('main_thread_hello_ms')} |",
    ]
    if br.get("link_cold_after_skeleton_ms") is not None:
        lines += [
            "",
            f"In {br['link_cold_skeleton_runs']} of the cold links Streamlit showed loading "
            "skeletons while widgets' code loaded; the panes showed a median "
            f"{br['link_cold_after_skeleton_ms']:,.0f} ms after the last of them.",
        ]
    if "rss_peak_mb" in br:
        lines += [
            "",
            f"Memory of the Streamlit server, {browser_viewers()} viewers clicking for "
            f"{results['seconds']} s ({br['viewer_clicks']:.0f} clicks): start "
            f"{br['rss_start_mb']:.0f} MB, peak {br['rss_peak_mb']:.0f} MB, 10 s after "
            f"{br['rss_after_mb']:.0f} MB.",
        ]
    if br.get("seconds_of"):
        took = ", ".join(f"{k} {v:,.0f} s" for k, v in br["seconds_of"].items())
        lines += ["", f"Wall time of each browser measurement in this run: {took}."]
    for name, error in br.get("errors", {}).items():
        lines += ["", f"**{name} failed**: {error}"]
    lines += [
        "",
        "## Targets (issue 14)",
        "",
        "| target | measured | ratio | holds |",
        "|---|---|---:|---|",
    ]
    lines += [f"| {t} | {m} | {r} | {_yes(ok)} |" for t, m, r, ok in targets(results)]
    return lines


def _ingest_lines(ingest: dict | None) -> list[str]:
    if not ingest:
        return []
    pg, lite, post = ingest["postgresql"], ingest["sqlite"], ingest["post"]
    holds = "yes" if pg["spans_per_s"] >= BUDGET_INGEST_SPANS_PER_S else "**no**"
    return [
        "",
        "## Ingest (OTLP/HTTP, bench/ingest.py)",
        "",
        f"{pg['spans']:,} spans made by the OpenTelemetry SDK (a CLIENT and a SERVER span per "
        f"MCP request, payloads included) in batches of {ingest['batch_spans']}, through the "
        "receiver's whole path (token, decode, map, write) in one process:",
        "",
        "| database | spans/s | batch median ms | batch p95 ms | calls written |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {name} | {r['spans_per_s']:,.0f} | {r['batch_ms_median']:.0f} | "
            f"{r['batch_ms_p95']:.0f} | {r['calls']:,} |"
            for name, r in (("PostgreSQL", pg), ("SQLite", lite))
        ),
        "",
        f"Budget: at least {BUDGET_INGEST_SPANS_PER_S:,} spans/s into PostgreSQL: {holds}. "
        f"From a POST to `streamlit run app.py` (SQLite) until the timeline query reads the "
        f"call: {post['post_to_visible_ms_median']:.0f} ms (median of {post['runs']}); the "
        "explorer shows it at its next live refresh (an active session's keys turn over "
        "every 3 s).",
    ]


def browser_viewers() -> int:
    from bench.browser import VIEWERS

    return VIEWERS


def _power_set(small_only: bool, as_is: bool) -> datasets.DataSet:
    """The set issue 18's targets are measured on: the large one unless small_only."""
    size = "small" if small_only else "large"
    if not as_is:
        return datasets.postgres(size)
    url = datasets._database(datasets._postgres_server(), f"bench_{size}")
    return datasets.DataSet(f"postgres {size}", datasets.SIZES[size], url)


def _only_power(args: argparse.Namespace) -> None:
    ds = _power_set(args.small_only, args.as_is)
    figures = power.measure(ds.url, ds.sessions, ingest_spans=args.power_spans)
    print(json.dumps(figures, indent=2, default=str))
    print("\n".join(power.report_lines(figures)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small-only", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=60, help="memory test length")
    parser.add_argument("--naive-large", action="store_true", help="naive baseline at 1M too")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--report", action="store_true", help="rewrite the report from results")
    parser.add_argument("--browser-only", action="store_true", help="keep the server figures")
    parser.add_argument("--ingest-spans", type=int, default=51_200, help="spans to ingest")
    parser.add_argument("--power-spans", type=int, default=20_480, help="spans, index vs none")
    parser.add_argument("--only-power", action="store_true", help="issue 18's part, printed")
    parser.add_argument("--as-is", action="store_true", help="--only-power: no upgrade or seed")
    args = parser.parse_args()
    if args.only_power:
        _only_power(args)
        return
    if args.report:  # after editing bench/notes.md
        REPORT.write_text(markdown(json.loads(RESULTS.read_text())))
        return
    started = time.perf_counter()
    monitor = Monitor()
    results: dict[str, Any] = {"machine": machine(), "runs": args.runs, "seconds": args.seconds}
    print("data sets", flush=True)
    monitor.phase("data sets")
    sets = {"small": datasets.postgres("small")}
    if not args.small_only:
        sets["large"] = datasets.postgres("large")
    sqlite = datasets.sqlite_small()
    deep = datasets.deep_ids(sqlite.url)  # fails now, not after the server side, if missing
    if args.browser_only:  # the server-side figures of the last run, kept
        old = json.loads(RESULTS.read_text())
        kept = {k: old[k] for k in ("server", "ratios", "budgets") if k in old}
        results |= kept | {"server_kept_from": old["machine"]["date"]}
    else:
        print("server side", flush=True)
        monitor.phase("server side")
        results["server"] = server_side(sets, args.runs, args.naive_large)
        results["ratios"] = ratios(results["server"])
        results["budgets"] = budgets(results["server"], results["ratios"])
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")  # kept if the rest fails
    print("issue 18", flush=True)
    monitor.phase("issue 18")
    ds = sets["small" if args.small_only else "large"]
    results["power"] = power.measure(ds.url, ds.sessions, ingest_spans=args.power_spans)
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    if not args.no_browser:
        print("browser", flush=True)
        monitor.phase("browser")
        from bench import browser

        ids = server.pick_ids(sqlite.url)
        results["browser"] = browser.measure(sqlite.url, ids, args.runs, args.seconds, deep=deep)
    print("ingest", flush=True)
    monitor.phase("ingest")
    from bench import ingest

    results["ingest"] = ingest.measure(args.ingest_spans)
    results["machine"]["activity"] = monitor.stop()
    results["total_s"] = time.perf_counter() - started
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    report = markdown(results)
    if not args.small_only:
        Path(REPORT).write_text(report)
    print(report)
    print(f"wrote {RESULTS}" + ("" if args.small_only else f" and {REPORT}"))
    failed = (results.get("browser") or {}).get("errors")
    if failed:
        sys.exit(
            "browser measurements failed: " + "; ".join(f"{k}: {v}" for k, v in failed.items())
        )


if __name__ == "__main__":
    main()
