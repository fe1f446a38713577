"""`make bench`: Sessionscope's speed and memory, as ratios measured in one run.

    .venv/bin/python -m bench.run [--small-only] [--runs 5] [--seconds 60] [--naive-large]

1. Data sets (bench/datasets.py): PostgreSQL small (10,000 sessions) and large (1,000,000),
   and the small set in SQLite; built by the seed command on first use, then kept.
2. Server side (bench/server.py) on each PostgreSQL set: every page state cold and warm,
   the raw SQL of its cold run, an empty page; ratios page / (empty + SQL), large / small,
   ours / the naive baseline.
3. Browser (bench/browser.py) on the SQLite set: cold link, click, Datasette, hello world,
   memory under 10 viewers.
4. Ingest (bench/ingest.py): OTLP spans per second into PostgreSQL and SQLite from one
   process in batches of 512, and the time from a POST to `streamlit run app.py` until the
   timeline query reads the call.

Writes bench/results.json and docs/benchmarks.md and prints the same table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bench import datasets, server
from sessionscope.settings import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "bench" / "results.json"
REPORT = PROJECT_ROOT / "docs" / "benchmarks.md"
BUDGET_EXPLORER_OVERHEAD = 1.5  # page / (empty page + raw SQL), DESIGN.md
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
            print(f"  {size:5} {state.name:34} {timing.cold_ms:9.1f} ms cold "
                  f"{timing.warm_ms:8.1f} ms warm {timing.sql_ms:8.1f} ms SQL "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip
        out["sets"][size] = {"sessions": ds.sessions, "ids": ids, "states": rows}
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
        checks.append((f"{name}: page <= 1.5 x (empty + SQL)", f"{o:.2f} x", o <= 1.5))
        checks.append((f"{name}: large <= 1.25 x small", f"{ls:.2f} x", ls <= 1.25))
    a = large["states"]["Admin analytics, last 30 days"]
    checks.append(("Admin analytics cold < 1 s", f"{a['cold_ms']:.0f} ms", a["cold_ms"] < 1000))
    checks.append(("Admin analytics warm < 50 ms", f"{a['warm_ms']:.0f} ms", a["warm_ms"] < 50))
    return checks


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
        "taken on the same machine at the same time; absolute times move with the load of "
        "the machine, ratios much less. Reproduce: `make bench` (first run seeds the data "
        "sets, about 10 minutes), `make bench-small` for a quick look.",
        "",
        f"Machine: {results['machine']['cpus']} CPUs, {results['machine']['memory_gb']} GiB, "
        f"Python {results['machine']['python']}, {results['machine']['platform']}; "
        f"{results['machine']['date']}; load average at start "
        f"{results['machine']['load_average_at_start']:.1f}.",
        "",
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
        lines += [f"- {k.removeprefix('ours_over_naive_')}: {v:.3f}" for k, v in naive.items()
                  if k.startswith("ours_over_naive")]  # fmt: skip
    if b:
        lines += ["", "## Budgets (DESIGN.md)", "", "| budget | measured | holds |"]
        lines += ["|---|---|---|"]
        lines += [f"| {name} | {m} | {'yes' if ok else '**no**'} |" for name, m, ok in b]
    br = results.get("browser")
    if br:
        lines += [
            "",
            "## Browser (Playwright + Debian Chromium, small set in SQLite; medians)",
            "",
            "| task | Sessionscope | Datasette | hello-world Streamlit |",
            "|---|---:|---:|---:|",
            f"| open a shared link cold | {br['link_cold_ms']:.0f} ms | "
            f"{br['datasette_link_ms']:.0f} ms | {br['hello_cold_ms']:.0f} ms |",
            f"| click another session | {br['click_session_ms']:.0f} ms | "
            f"{br['datasette_click_ms']:.0f} ms | |",
            "",
            f"Memory of the Streamlit server, {browser_viewers()} viewers clicking for "
            f"{results['seconds']} s ({br['viewer_clicks']:.0f} clicks): start "
            f"{br['rss_start_mb']:.0f} MB, peak {br['rss_peak_mb']:.0f} MB, 10 s after "
            f"{br['rss_after_mb']:.0f} MB.",
        ]
    lines += _ingest_lines(results.get("ingest"))
    notes = PROJECT_ROOT / "bench" / "notes.md"
    if notes.exists():
        lines += ["", notes.read_text().strip()]
    return "\n".join(lines) + "\n"


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
    args = parser.parse_args()
    if args.report:  # after editing bench/notes.md
        REPORT.write_text(markdown(json.loads(RESULTS.read_text())))
        return
    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine(), "runs": args.runs, "seconds": args.seconds}
    print("data sets", flush=True)
    sets = {"small": datasets.postgres("small")}
    if not args.small_only:
        sets["large"] = datasets.postgres("large")
    sqlite = datasets.sqlite_small()
    if args.browser_only:  # the server-side figures of the last run, kept
        results = json.loads(RESULTS.read_text()) | {"seconds": args.seconds}
    else:
        print("server side", flush=True)
        results["server"] = server_side(sets, args.runs, args.naive_large)
        results["ratios"] = ratios(results["server"])
        results["budgets"] = budgets(results["server"], results["ratios"])
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")  # kept if the rest fails
    if not args.no_browser:
        print("browser", flush=True)
        from bench import browser

        ids = server.pick_ids(sqlite.url)
        results["browser"] = browser.measure(sqlite.url, ids, args.runs, args.seconds)
    print("ingest", flush=True)
    from bench import ingest

    results["ingest"] = ingest.measure(args.ingest_spans)
    results["total_s"] = time.perf_counter() - started
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    report = markdown(results)
    if not args.small_only:
        Path(REPORT).write_text(report)
    print(report)
    print(f"wrote {RESULTS}" + ("" if args.small_only else f" and {REPORT}"))


if __name__ == "__main__":
    main()
