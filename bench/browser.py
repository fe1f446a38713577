"""Browser figures (Playwright + Debian's Chromium) against real servers on one SQLite file.

All measured side by side in one run (issue 14's targets compare them):
- A hello-world Streamlit page: the floor for a cold open; its Chromium CPU time too.
- Datasette on the same file: its table pages filtered to the user's sessions (the
  "link"), then to a session's tool calls (the "click", its page navigation).
- Sessionscope's User sessions page (`streamlit run`), through the DOM contract below:
  (a) `link_cold`: a shared /user?user&session&item link opened cold (a new browser context)
      until all three panes show content; Chromium's CPU time for it (`cpu_link`) and the
      page's main-thread task time (`main_thread_link`; every cold open below gives both);
      how long after Streamlit's last loading skeleton the panes showed (SKELETON_TIMES);
  (b) `link_deep`: the same with the heavy user's 300th newest session and its 15,000th
      call (bench/datasets.py adds that session);
  (c) `clicks`: in one page, a click on another session until its timeline shows, then on a
      timeline item until its details show, alternately;
  (d) `clicks_far`: the same after moving the session list FAR_WINDOWS windows of 50 down
      with its "Older" button (1,000 sessions passed; the heavy user has 1,001);
  memory: peak RSS of the Streamlit server while VIEWERS pages click through sessions for
  `seconds`, and its RSS once they have closed.

Times are medians of `runs` after a warm-up (a new browser context each for the cold opens,
so nothing is cached in the browser; the servers stay up, as in production). Chromium CPU
is measured as bench/load.py does: user + system time summed over Chromium's processes,
here the difference across one cold open (taken before the context closes).

A selector of the contract that matches nothing fails the measurement with a message naming
it (SelectorMissing), never a silent zero; the run goes on with the others.

    .venv/bin/python -m bench.browser [--runs 1] [--seconds 10] [--only NAME ...] [URL]

NAME: baselines (hello world's time and CPU, Datasette), link_cold (time and CPU),
link_deep, clicks, clicks_far, memory; URL: sqlite:///... (default: the small set).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import sqlalchemy as sa

from harness import APP_IDLE, CHROMIUM, CHROMIUM_ARGS, StreamlitServer, free_port
from sessionscope.db import make_engine

VIEWERS = 10
FAR_WINDOWS = 20  # "Older" presses before clicks_far: 20 windows of 50 = 1,000 sessions
VIEWPORT = {"width": 1600, "height": 1000}
OPEN_TIMEOUT_MS, CLICK_TIMEOUT_MS = 120_000, 60_000
MEASUREMENTS = ("baselines", "link_cold", "link_deep", "clicks", "clicks_far", "memory")

# The User sessions page's DOM contract (issue 14). Streamlit puts `st-key-<key>` on a keyed
# element's container.
PANES = (".st-key-us_left", ".st-key-us_center", ".st-key-us_right")
SESSION_LIST = ".st-key-us_list"  # one st.radio: an option per session in the window
SELECTED_SESSION = f"{SESSION_LIST} input:checked"
OTHER_SESSION = f"{SESSION_LIST} label:has(input:not(:checked))"
TIMELINE = ".st-key-us_tl_items"  # one st.radio: the timeline window
TIMELINE_ITEM = f"{TIMELINE} label[data-testid='stRadioOption']"  # not the hidden title label
SELECTED_ITEM = f"{TIMELINE} input:checked"
OTHER_ITEM = f"{TIMELINE} label:has(input:not(:checked))"
ITEM_DETAILS = ".st-key-us_item"  # the right pane's details of the chosen item
OLDER = ".st-key-us_list_older button"
NEWER = ".st-key-us_list_newer button"
# "All three panes show content" for a user+session+item link.
LINK_SHOWN = (SELECTED_SESSION, SELECTED_ITEM, ITEM_DETAILS)
CONTRACT = (
    *PANES,
    SESSION_LIST,
    SELECTED_SESSION,
    TIMELINE,
    TIMELINE_ITEM,
    SELECTED_ITEM,
    ITEM_DETAILS,
    OLDER,
    NEWER,
)

# One predicate for every wait; `want` says what must hold:
#   present: selectors that must match; contains: [selector, text] pairs;
#   param: [name, value] the URL must have; param_changed: [name, old] it must no longer have;
#   text_changed: [selector, old textContent] (absent counts as changed);
#   details_show_param: the details pane must show the URL's value of this param;
#   timeline_unless_empty: [ids]: TIMELINE_ITEM must match unless the URL's session is one.
# The script must be idle (notRunning) and no skeleton shown.
READY = """(want) => {
  if (!document.querySelector(__IDLE__)) return false;
  if (document.querySelector("[data-testid='stSkeleton']")) return false;
  const q = new URLSearchParams(location.search);
  for (const s of want.present || []) if (!document.querySelector(s)) return false;
  for (const [s, t] of want.contains || []) {
    const e = document.querySelector(s);
    if (!e || !e.textContent.includes(t)) return false;
  }
  for (const [n, v] of want.param || []) if (q.get(n) !== v) return false;
  for (const [n, v] of want.param_changed || []) if (!q.get(n) || q.get(n) === v) return false;
  for (const [s, t] of want.text_changed || []) {
    const e = document.querySelector(s);
    if (e && e.textContent === t) return false;
  }
  if (want.details_show_param) {
    const v = q.get(want.details_show_param), e = document.querySelector(__DETAILS__);
    if (!v || !e || !e.textContent.includes(v)) return false;
  }
  if (want.timeline_unless_empty && !want.timeline_unless_empty.includes(q.get("session"))
      && !document.querySelector(__ITEM__)) return false;
  return true;
}"""
for _name, _selector in (("IDLE", APP_IDLE), ("DETAILS", ITEM_DETAILS), ("ITEM", TIMELINE_ITEM)):
    READY = READY.replace(f"__{_name}__", json.dumps(_selector))
# What the page showed when a wait timed out: a count per selector, and more.
DIAGNOSE = """(selectors) => {
  const app = document.querySelector("[data-testid='stApp']");
  const counts = {};
  for (const s of selectors) counts[s] = document.querySelectorAll(s).length;
  const exc = document.querySelector("[data-testid='stException']");
  return {
    url: location.href,
    script: app ? app.getAttribute("data-test-script-state") : "no app",
    counts,
    exception: exc ? exc.textContent.slice(0, 300) : "",
  };
}"""
# When Streamlit showed its loading skeletons (a widget whose code is still loading), on the
# page's clock; the report gives the median gap between the last of them and the panes.
SKELETON_TIMES = """(() => {
  const s = "[data-testid='stSkeleton']";
  window.__skeletons = [];
  new MutationObserver((changes) => {
    for (const c of changes) for (const n of c.addedNodes)
      if (n.nodeType === 1 && (n.matches(s) || n.querySelector(s)))
        window.__skeletons.push(performance.now());
  }).observe(document, {subtree: true, childList: true});
})();"""
SINCE_LAST_SKELETON = """() => window.__skeletons && window.__skeletons.length
  ? performance.now() - Math.max(...window.__skeletons) : null"""
TEXT_OF = "(s) => { const e = document.querySelector(s); return e ? e.textContent : null; }"
PARAM_OF = "(n) => new URLSearchParams(location.search).get(n)"


class SelectorMissing(RuntimeError):
    """The page did not show what a measurement waits for; the message names the selector."""


def explain(what: str, want: dict[str, Any], state: dict[str, Any], timeout_ms: int) -> str:
    """Why a wait for `want` ended without it, from DIAGNOSE's `state` of the page."""
    counts = state.get("counts", {})
    wanted = [*want.get("present", []), *(s for s, _ in want.get("contains", []))]
    if want.get("timeline_unless_empty") is not None:
        wanted.append(TIMELINE_ITEM)
    if want.get("details_show_param"):
        wanted.append(ITEM_DETAILS)
    missing = [s for s in dict.fromkeys(wanted) if not counts.get(s)]
    head = f"{what}: not shown after {timeout_ms / 1000:.0f} s"
    if missing:
        why = "no element matches " + ", ".join(repr(s) for s in missing)
    elif state.get("script") != "notRunning":
        why = f"the script is still {state.get('script')!r}"
    else:
        why = "the selectors match, but " + _unmet(want)
    absent = [s for s in CONTRACT if s in counts and not counts[s] and s not in missing]
    tail = f"; the contract's {', '.join(repr(s) for s in absent)} match nothing" if absent else ""
    exc = f"; the page shows an exception: {state['exception']}" if state.get("exception") else ""
    return f"{head}: {why} (page {state.get('url', '?')}{tail}{exc})"


def _unmet(want: dict[str, Any]) -> str:
    parts = [f"{s!r} does not show {t!r}" for s, t in want.get("contains", [])]
    parts += [f"the URL's {n} is not {v!r}" for n, v in want.get("param", [])]
    parts += [f"the URL's {n} did not change from {v!r}" for n, v in want.get("param_changed", [])]
    parts += [f"{s!r} did not change" for s, _ in want.get("text_changed", [])]
    if want.get("details_show_param"):
        p = want["details_show_param"]
        parts.append(f"{ITEM_DETAILS!r} does not show the URL's {p}")
    return "one of these did not hold: " + "; ".join(parts) if parts else "nothing else was asked"


def wait_shown(page: Any, want: dict[str, Any], what: str, timeout_ms: int) -> None:
    """Wait until READY(want); a timeout raises SelectorMissing saying what was missing."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(READY, arg=want, timeout=timeout_ms)
    except PlaywrightTimeout:
        state = page.evaluate(DIAGNOSE, list(dict.fromkeys([*CONTRACT, *want.get("present", [])])))
        raise SelectorMissing(explain(what, want, state, timeout_ms)) from None


def click_nth(page: Any, selector: str, n: int, what: str) -> None:
    """Click the n-th (modulo their number) element matching `selector`."""
    found = page.locator(selector)
    count = found.count()
    if not count:
        raise SelectorMissing(f"{what}: no element matches {selector!r} (page {page.url})")
    from playwright.sync_api import Error as PlaywrightError

    try:
        found.nth(n % count).click(timeout=CLICK_TIMEOUT_MS)
    except PlaywrightError as exc:
        first = str(exc).splitlines()[0]
        raise SelectorMissing(
            f"{what}: element {n % count} of {count} matching {selector!r} could not be "
            f"clicked: {first} (page {page.url})"
        ) from None


def chromium_cpu_s() -> dict[int, float]:
    """User + system CPU seconds of each Chromium process under this one (as bench/load.py)."""
    out = {}
    for child in psutil.Process().children(recursive=True):
        try:
            if "chrom" in child.name():
                out[child.pid] = sum(child.cpu_times()[:2])
        except psutil.Error:
            pass
    return out


def main_thread_ms(cdp: Any) -> float:
    """The ms the page's main thread has spent running tasks (scripts, style, layout, paint)
    since it loaded: Chrome DevTools Protocol's Performance.getMetrics TaskDuration."""
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return metrics["TaskDuration"] * 1000


def cpu_used_s(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two chromium_cpu_s() snapshots (new processes count in full)."""
    return sum(v - before.get(pid, 0.0) for pid, v in after.items())


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _median(values: list[float]) -> float:
    return statistics.median(values)


class _Datasette:
    def __init__(self, db: Path, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/{db.stem}"
        exe = str(Path(sys.executable).with_name("datasette"))
        cmd = [
            exe,
            "serve",
            str(db),
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--setting",
            "sql_time_limit_ms",
            "10000",
        ]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                urllib.request.urlopen(self.url, timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("datasette did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def empty_sessions(sqlite_url: str, user: str) -> list[str]:
    """The user's sessions without tool calls: their timeline may hold no item to show."""
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    sa.text(
                        "SELECT id FROM sessions WHERE end_user_id = :u AND total_tool_calls = 0"
                    ),
                    {"u": user},
                ).scalars()
            )
    finally:
        engine.dispose()


def link_of(ids: dict[str, str]) -> str:
    return f"/user?user={ids['user']}&session={ids['session']}&item={ids['item']}"


def open_link(page: Any, base: str, ids: dict[str, str], what: str) -> float:
    """Open a user+session+item link until the three panes show it; ms."""
    want = {"present": list(LINK_SHOWN), "contains": [[ITEM_DETAILS, ids["item"]]]}
    started = time.perf_counter()
    page.goto(base + link_of(ids), timeout=OPEN_TIMEOUT_MS)
    wait_shown(page, want, what, OPEN_TIMEOUT_MS)
    return _ms(started)


def click_session(page: Any, n: int, empty: list[str], what: str) -> tuple[float, bool]:
    """Click the n-th unchecked session until its timeline shows: (ms, the session has calls)."""
    before = page.evaluate(PARAM_OF, "session") or ""
    timeline = page.evaluate(TEXT_OF, TIMELINE) or ""
    want = {
        "present": [SELECTED_SESSION],
        "param_changed": [["session", before]],
        "text_changed": [[TIMELINE, timeline]],
        "timeline_unless_empty": empty,
    }
    started = time.perf_counter()
    click_nth(page, OTHER_SESSION, n, what)
    wait_shown(page, want, what, CLICK_TIMEOUT_MS)
    elapsed = _ms(started)
    return elapsed, page.evaluate(PARAM_OF, "session") not in empty


def click_item(page: Any, n: int, what: str) -> float:
    """Click the n-th unchecked timeline item until its details show its id; ms."""
    before = page.evaluate(PARAM_OF, "item") or ""
    want = {
        "present": [SELECTED_ITEM, ITEM_DETAILS],
        "param_changed": [["item", before]],
        "details_show_param": "item",
    }
    started = time.perf_counter()
    click_nth(page, OTHER_ITEM, n, what)
    wait_shown(page, want, what, CLICK_TIMEOUT_MS)
    return _ms(started)


def click_through(page: Any, samples: int, empty: list[str], what: str) -> dict[str, float]:
    """Session and item clicks, alternately, until `samples` + 1 of each (the first of each
    is a warm-up); sessions without calls are clicked past, not counted. Medians in ms."""
    sessions: list[float] = []
    items: list[float] = []
    for n in range(4 * (samples + 1)):
        if len(sessions) > samples and len(items) > samples:
            break
        ms, has_calls = click_session(page, n, empty, f"{what}: click another session")
        if not has_calls:
            continue
        sessions.append(ms)
        items.append(click_item(page, n, f"{what}: click a timeline item"))
    if len(sessions) <= samples:
        raise SelectorMissing(f"{what}: {len(sessions)} sessions with calls in {n + 1} clicks")
    return {"click_session_ms": _median(sessions[1:]), "click_item_ms": _median(items[1:])}


def move_older(page: Any, windows: int, what: str) -> int:
    """Press the session list's "Older" `windows` times, each until the list changed; how
    many moves were made (fewer when the button is disabled or gone at the list's end)."""
    moved = 0
    for _ in range(windows):
        button = page.locator(OLDER)
        if not button.count():
            if moved:  # hidden at the end of the list
                break
            raise SelectorMissing(f"{what}: no element matches {OLDER!r} (page {page.url})")
        if button.first.is_disabled():
            break
        shown = page.evaluate(TEXT_OF, SESSION_LIST) or ""
        button.first.click(timeout=CLICK_TIMEOUT_MS)
        want = {"present": [SESSION_LIST], "text_changed": [[SESSION_LIST, shown]]}
        wait_shown(page, want, f"{what}: the list after 'Older' #{moved + 1}", CLICK_TIMEOUT_MS)
        moved += 1
    return moved


def measure(
    sqlite_url: str,
    ids: dict[str, str],
    runs: int,
    seconds: int,
    *,
    deep: dict[str, str] | None = None,
    only: tuple[str, ...] = MEASUREMENTS,
) -> dict[str, Any]:
    """Every browser figure: ms, CPU s, MB; `seconds_of` each measurement's wall time and
    `errors` the measurements that failed (SelectorMissing and the like), by name."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"the browser figures need Debian's Chromium at {CHROMIUM}")
    db = Path(sqlite_url.removeprefix("sqlite:///"))
    empty = empty_sessions(sqlite_url, ids["user"])
    out: dict[str, Any] = {"seconds_of": {}, "errors": {}, "far_windows": 0}
    app = StreamlitServer(sqlite_url)
    hello = StreamlitServer(sqlite_url, script="bench/hello_app.py")
    datasette = _Datasette(db, free_port())
    failed_link: str | None = None

    def step(name: str, fn: Callable[[], dict[str, Any]], *, needs_link: bool = True) -> None:
        nonlocal failed_link
        if name not in only:
            return
        if needs_link and failed_link:
            out["errors"][name] = f"not measured: {failed_link}"
            return
        started = time.perf_counter()
        try:
            out.update(fn())
        except (SelectorMissing, PlaywrightError) as exc:
            out["errors"][name] = str(exc).splitlines()[0]
            print(f"  {name}: FAILED: {out['errors'][name]}", flush=True)
            if name == "link_cold":
                failed_link = f"the cold link failed ({out['errors'][name][:200]})"
        out["seconds_of"][name] = round(time.perf_counter() - started, 1)
        print(f"  {name}: {out['seconds_of'][name]:.0f} s", flush=True)

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

            def cold(fn: Callable[[Any], float]) -> tuple[float, float, float]:
                """Medians over runs (after a warm-up), fresh contexts: ms, Chromium CPU s,
                and the ms the page's main thread spent running tasks (main_thread_ms)."""
                times, cpus, tasks = [], [], []
                for i in range(runs + 1):
                    context = browser.new_context(viewport=VIEWPORT)
                    page = context.new_page()
                    cdp = context.new_cdp_session(page)
                    cdp.send("Performance.enable")
                    before = chromium_cpu_s()
                    value = fn(page)
                    cpu = cpu_used_s(before, chromium_cpu_s())
                    task = main_thread_ms(cdp)
                    context.close()
                    if i:
                        times.append(value)
                        cpus.append(cpu)
                        tasks.append(task)
                return _median(times), _median(cpus), _median(tasks)

            def in_one_page(fn: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
                context = browser.new_context(viewport=VIEWPORT)
                try:
                    return fn(context.new_page())
                finally:
                    context.close()

            def hello_open(page: Any) -> float:
                started = time.perf_counter()
                page.goto(hello.url)
                page.get_by_text("Hello").first.wait_for(timeout=60_000)
                return _ms(started)

            def datasette_open(page: Any, path: str) -> float:
                started = time.perf_counter()
                page.goto(datasette.url + path)
                page.wait_for_selector("table.rows-and-columns", timeout=60_000)
                return _ms(started)

            def link_cold() -> dict[str, Any]:
                gaps: list[float | None] = []

                def once(pg: Any) -> float:
                    pg.add_init_script(SKELETON_TIMES)
                    ms = open_link(pg, app.url, ids, "cold link")
                    gaps.append(pg.evaluate(SINCE_LAST_SKELETON))
                    return ms

                ms, cpu, task = cold(once)
                shown = [g for g in gaps[1:] if g is not None]  # gaps[0]: the warm-up
                return {
                    "link_cold_ms": ms,
                    "cpu_link_s": cpu,
                    "main_thread_link_ms": task,
                    "link_cold_after_skeleton_ms": _median(shown) if shown else None,
                    "link_cold_skeleton_runs": len(shown),
                }

            def link_deep() -> dict[str, Any]:
                if deep is None:
                    raise SelectorMissing("no deep link ids (bench.datasets.deep_ids)")
                ms, cpu, task = cold(lambda pg: open_link(pg, app.url, deep, "deep link"))
                return {"link_deep_ms": ms, "cpu_deep_s": cpu, "main_thread_deep_ms": task}

            def clicks(page: Any) -> dict[str, Any]:
                open_link(page, app.url, ids, "clicks: the link")
                return click_through(page, runs, empty, "clicks")

            def clicks_far(page: Any) -> dict[str, Any]:
                open_link(page, app.url, ids, "clicks_far: the link")
                moved = move_older(page, FAR_WINDOWS, "clicks_far")
                far = click_through(page, runs, empty, f"clicks_far ({moved} windows down)")
                return {
                    "far_windows": moved,
                    **{k.replace("_ms", "_far_ms"): v for k, v in far.items()},
                }

            def baselines() -> dict[str, Any]:
                ms, cpu, task = cold(hello_open)
                sessions = f"/sessions?end_user_id={ids['user']}&_sort_desc=started_at"
                calls = f"/tool_calls?session_id={ids['other_session']}&_sort=seq"
                return {
                    "hello_cold_ms": ms,
                    "cpu_hello_s": cpu,
                    "main_thread_hello_ms": task,
                    "datasette_link_ms": cold(lambda pg: datasette_open(pg, sessions))[0],
                    "datasette_click_ms": cold(lambda pg: datasette_open(pg, calls))[0],
                }

            step("baselines", baselines, needs_link=False)
            step("link_cold", link_cold, needs_link=False)
            step("link_deep", link_deep)
            step("clicks", lambda: in_one_page(clicks))
            step("clicks_far", lambda: in_one_page(clicks_far))
            browser.close()
        step("memory", lambda: _memory(app, link_of(ids), seconds))
    finally:
        app.stop()
        hello.stop()
        datasette.stop()
    return out


def _memory(app: StreamlitServer, link: str, seconds: int) -> dict[str, float]:
    """Peak RSS of the app's server under VIEWERS clicking viewers, and after they leave."""
    proc = psutil.Process(app.proc.pid)
    start = proc.memory_info().rss
    peak = [start]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set() and proc.is_running():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    views = asyncio.run(_viewers(app.url, link, seconds))
    done.set()
    sampler.join()
    time.sleep(10)  # sessions closed; let the server drop them
    mb = 1024 * 1024
    return {
        "rss_start_mb": start / mb,
        "rss_peak_mb": peak[0] / mb,
        "rss_after_mb": proc.memory_info().rss / mb,
        "viewer_clicks": float(views),
    }


async def _viewers(base: str, link: str, seconds: int) -> int:
    """VIEWERS pages clicking sessions in turn for `seconds`; how many clicks landed."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        deadline = time.monotonic() + seconds

        async def viewer(n: int) -> int:
            context = await browser.new_context(viewport=VIEWPORT)
            page = await context.new_page()
            await page.goto(base + link, timeout=180_000)
            clicks = 0
            while time.monotonic() < deadline:
                # Idle, and the list drawn: its options render after the script is idle
                # (Streamlit loads the radio's code on first use).
                await page.wait_for_selector(APP_IDLE, timeout=120_000)
                await page.wait_for_selector(SELECTED_SESSION, state="attached", timeout=120_000)
                sessions = page.locator(f"{OTHER_SESSION}:visible")  # options in view
                count = await sessions.count()
                if not count:
                    raise SelectorMissing(f"memory: no element matches {OTHER_SESSION!r}:visible")
                await sessions.nth((n + clicks) % min(count, 5)).click(timeout=120_000)
                clicks += 1
            await context.close()
            return clicks

        counts = await asyncio.gather(*(viewer(n) for n in range(VIEWERS)))
        await browser.close()
        return sum(counts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="One or more browser measurements alone.")
    parser.add_argument("url", nargs="?", help="a sqlite:/// URL (default: the small set)")
    parser.add_argument("--only", nargs="+", choices=MEASUREMENTS, default=list(MEASUREMENTS))
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=10, help="memory test length")
    args = parser.parse_args(argv)
    from bench import datasets
    from bench.server import pick_ids

    url = args.url or datasets.sqlite_small().url
    deep = datasets.deep_ids(url) if "link_deep" in args.only else None
    out = measure(url, pick_ids(url), args.runs, args.seconds, deep=deep, only=tuple(args.only))
    for key, value in out.items():
        print(f"{key:24} {value}")
    if out["errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
