"""Load: several Streamlit servers on one PostgreSQL, many browser viewers at once.

    .venv/bin/python -m bench.load [--viewers 20] [--seconds 60] [--servers 2] [--set small]

1. The small PostgreSQL data set (bench/datasets.py), and `servers` x `streamlit run` on it
   (demo mode: every viewer is the admin of acme). `--database-b URL` points the second
   server elsewhere: a broken setup, to see the check fail.
2. Shared links /user?user&session&item picked by SQL: one per end user (different users),
   the user's newest MCP session with tool calls and its first call.
3. `viewers` browser contexts in one headless Chromium (async Playwright), split across the
   servers. Arrival: each viewer opens its first link until the three panes are filled (the
   link's card checked, the center pane showing its session's rows, the details its item),
   `--arrivals` viewers at a time (a cold Streamlit page costs this headless Chromium 4-5 s
   of CPU, so twenty at once on a small machine measure the browser, not the servers).
   Then, once all are in, the window: for `seconds` all viewers at once click session cards
   (the label of an unchecked option of the list's radio, until it is checked and the
   center pane shows that session's timeline) and timeline rows (until the row is checked
   and the details show the item), a few of each, then open the next link cold, and so on.
   Errors count in both phases; the arrival's length is reported. The page's DOM contract
   (selectors, the wait predicate, the explanation of a wait that timed out) is
   bench/browser.py's: a selector that matches nothing is named in the error.
4. Errors, per viewer: a Streamlit exception element, the frame's "database is not
   available" message, a console error or page error, an HTTP 5xx, a navigation or wait
   timeout, a selector of the contract that matches nothing.
5. Consistency: each link opened on server A and on server B in fresh contexts; the
   normalised visible text of each of PARTS must be the same: the three panes, the checked
   card, the timeline's row labels, the item's details.

Prints a summary, writes bench/load_results.json; exits 1 on any error or difference, or
when no click was made (the viewers never got past their first open).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import difflib
import json
import math
import os
import random
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import sqlalchemy as sa

from bench.browser import (
    CONTRACT,
    DIAGNOSE,
    ITEM_DETAILS,
    LINK_SHOWN,
    OTHER_ITEM,
    OTHER_SESSION,
    PANES,
    PARAM_OF,
    READY,
    SELECTED_ITEM,
    SELECTED_SESSION,
    SESSION_LIST,
    TIMELINE,
    explain,
)
from queries.timeline import STAGE_PREFIX
from sessionscope.db import make_engine
from sessionscope.settings import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "bench" / "load_results.json"
ORG = "org_acme"  # demo mode's organization
CLICKS_PER_LINK = 3  # card clicks (each followed by an item click) before the next link
VIEWPORT = {"width": 1600, "height": 1000}
SAMPLES_PER_KIND = 5  # error messages kept per kind in the results

# The User sessions page's DOM contract is bench/browser.py's (issue 14): its selectors and
# its READY predicate, with the page's own errors checked first (a wait ends early on one).
CARD_OPTION = f"{SESSION_LIST} label[data-testid='stRadioOption']"  # one per session card
CHECKED_CARD = f"{SESSION_LIST} label:has(input:checked)"
ROW_OPTION = f"{TIMELINE} label[data-testid='stRadioOption']"  # one per timeline row
CHECKED_ROW = f"{TIMELINE} label:has(input:checked)"
NO_ITEMS = "has no tool calls, tickets or stages"  # the center pane of an empty session
# Errors the page itself shows.
PAGE_ERROR = """() => {
  if (document.querySelector("[data-testid='stException']")) return "exception";
  for (const a of document.querySelectorAll("[data-testid='stAlert']")) {
    if (a.textContent.includes("The database is not available")) return "database_unavailable";
  }
  return "";
}"""
SHOWN = f"""(want) => ({PAGE_ERROR})() !== "" || ({READY})(want)"""
CENTER = PANES[1]
# The center pane's rows, or its note that the session has none.
CENTER_FILLED = f"""() => Boolean(document.querySelector({json.dumps(ROW_OPTION)}))
  || (document.querySelector({json.dumps(CENTER)})?.textContent || "").includes(
    {json.dumps(NO_ITEMS)})"""
# What each link shows, compared on both servers: (name, selector, every match or the first).
PARTS = (
    ("sessions pane", PANES[0], False),
    ("checked card", CHECKED_CARD, False),
    ("timeline pane", CENTER, False),
    ("timeline rows", ROW_OPTION, True),
    ("details", ITEM_DETAILS, False),
)
PARTS_TEXT = """(parts) => parts.map(([s, all]) => {
  const found = [...document.querySelectorAll(s)].slice(0, all ? undefined : 1);
  return found.length ? found.map((e) => e.innerText).join("\\n") : null;
})"""


@dataclass(frozen=True)
class Link:
    user: str
    session: str
    item: str

    @property
    def path(self) -> str:
        return f"/user?user={self.user}&session={self.session}&item={self.item}"


def center_shows(session: str) -> str:
    """The center pane's link to the Session details of `session`: the pane shows it."""
    return f"{CENTER} a[href*='session={session}']"


def shown_id(item: str) -> str:
    """What the details pane shows of item `item`: its id, a stage's name."""
    return item.removeprefix(STAGE_PREFIX)


def link_shown(link: Link) -> dict[str, Any]:
    """READY's `want` for a link opened: three panes filled, with its session and item."""
    present = [*PANES, *LINK_SHOWN, ROW_OPTION, center_shows(link.session)]
    return {
        "present": present,
        "contains": [[ITEM_DETAILS, shown_id(link.item)]],
        "param": [["session", link.session], ["item", link.item]],
    }


async def wait_for(page: Any, want: dict[str, Any], what: str, timeout_ms: int) -> tuple[str, str]:
    """Wait until SHOWN(want): ("", "") or (error kind, detail). A timeout's detail is
    bench/browser.py's explanation: which selectors matched nothing, by name."""
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    try:
        await page.wait_for_function(SHOWN, arg=want, timeout=timeout_ms, polling=100)
    except PlaywrightTimeout:
        wanted = [*CONTRACT, *want.get("present", []), *(s for s, _ in want.get("contains", []))]
        try:  # what the page showed by then
            state = await page.evaluate(DIAGNOSE, list(dict.fromkeys(wanted)))
        except PlaywrightError as exc:
            return "timeout", f"{what}: {str(exc).splitlines()[0]} at {page.url}"
        return "timeout", explain(what, want, state, timeout_ms)
    except PlaywrightError as exc:  # the page closed or navigated away
        return "navigation", f"{what}: {str(exc).splitlines()[0]} at {page.url}"
    shown = await page.evaluate(PAGE_ERROR)
    return (shown, f"{what} at {page.url}") if shown else ("", "")


@dataclass
class ViewerStats:
    viewer: int
    server: int
    loads: int = 0
    clicks: int = 0
    errors: Counter = field(default_factory=Counter)
    arrival_errors: int = 0  # of `errors`, made before the window
    ignored: Counter = field(default_factory=Counter)  # known_console_error kinds
    arrival_ms: list[float] = field(default_factory=list)  # the first open
    load_ms: list[float] = field(default_factory=list)  # opens in the window
    timeline_ms: list[float] = field(default_factory=list)  # click on a card -> timeline
    item_ms: list[float] = field(default_factory=list)  # click on a row -> details


def pick_links(url: str, count: int) -> list[Link]:
    """`count` shared links, one per end user of the demo organization, in a fixed order.

    The demo edge-case users (20,000-call session, 5 MB payload) are left out: they have
    their own tests, and here every viewer should do comparable work."""
    engine = make_engine(url)
    sql = sa.text("""
        SELECT u.id AS user_id, s.id AS session_id,
               (SELECT t.id FROM tool_calls t WHERE t.session_id = s.id
                ORDER BY t.seq LIMIT 1) AS item_id
        FROM end_users u
        CROSS JOIN LATERAL (
            SELECT s.id FROM sessions s
            WHERE s.org_id = u.org_id AND s.end_user_id = u.id AND s.archived_at IS NULL
              AND s.total_tool_calls > 0
            ORDER BY s.started_at DESC, s.id DESC LIMIT 1
        ) s
        WHERE u.org_id = :org AND u.id NOT LIKE :demo
        ORDER BY md5(u.id)
        LIMIT :n
    """)
    with engine.connect() as conn:
        rows = conn.execute(sql, {"org": ORG, "demo": "usr\\_demo\\_%", "n": count}).all()
    engine.dispose()
    links = [Link(r.user_id, r.session_id, r.item_id) for r in rows if r.item_id]
    if len(links) < count:
        raise SystemExit(f"only {len(links)} users with tool calls in {ORG}; wanted {count}")
    return links


def known_console_error(text: str, source: str, base: str) -> str | None:
    """The console error every page shows that is not the app's, or None: Streamlit's
    front end, opened on a page path (/user), first looks for its server under that path
    (/user/_stcore/health, /user/_stcore/host-config: 404), then at /. Anything else, a
    404 of our own files or a request to another site among it, is an error."""
    probe = re.escape(base) + r"/[\w-]+/_stcore/(health|host-config)"
    if "404" in text and re.fullmatch(probe, source):
        return "streamlit_base_path_probe_404"
    return None


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile, or None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _latency(values: list[float]) -> dict[str, Any]:
    return {"n": len(values), "p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95)}


def normalise(text: str) -> str:
    """Visible text with runs of blanks collapsed and blank lines dropped."""
    lines = (re.sub(r"\s+", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


class _Sampler:
    """Peak RSS of the servers and of the browser, sampled in a thread."""

    def __init__(self, server_pids: list[int]) -> None:
        self.servers = [psutil.Process(pid) for pid in server_pids]
        self.start = [p.memory_info().rss for p in self.servers]
        self.peak = list(self.start)
        self.cpu_start = [sum(p.cpu_times()[:2]) for p in self.servers]
        self.browser_peak = 0
        self.browser_cpu: dict[int, float] = {}  # pid -> CPU seconds last seen
        self.available_min = psutil.virtual_memory().available
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _browser_rss(self) -> int:
        """RSS summed over Chromium's processes; their CPU time is noted on the way."""
        mine = {p.pid for p in self.servers}
        total = 0
        for child in psutil.Process().children(recursive=True):
            try:
                if child.pid not in mine and "chrom" in child.name():
                    total += child.memory_info().rss
                    self.browser_cpu[child.pid] = sum(child.cpu_times()[:2])
            except psutil.Error:
                pass
        return total

    def _run(self) -> None:
        while not self._done.wait(0.5):
            for i, p in enumerate(self.servers):
                with contextlib.suppress(psutil.Error):
                    self.peak[i] = max(self.peak[i], p.memory_info().rss)
            self.browser_peak = max(self.browser_peak, self._browser_rss())
            self.available_min = min(self.available_min, psutil.virtual_memory().available)

    def stop(self) -> dict[str, Any]:
        self._done.set()
        self._thread.join()
        mb = 2**20
        servers = []
        for i, p in enumerate(self.servers):
            cpu = sum(p.cpu_times()[:2]) - self.cpu_start[i] if p.is_running() else None
            servers.append(
                {
                    "rss_start_mb": round(self.start[i] / mb, 1),
                    "rss_peak_mb": round(self.peak[i] / mb, 1),
                    "cpu_s": None if cpu is None else round(cpu, 1),
                }
            )
        return {
            "servers": servers,
            # A sum over Chromium's processes: shared pages are counted in each.
            "browser_rss_peak_mb": round(self.browser_peak / mb, 1),
            "memory_available_min_mb": round(self.available_min / mb, 1),
            "browser_cpu_s": round(sum(self.browser_cpu.values()), 1),
        }


class _Failed(Exception):
    """A viewer's action failed; the error is counted, its clicks on this link stop."""


class _Viewer:
    """One browser context on one server: links, card clicks, item clicks, until the end."""

    def __init__(self, stats: ViewerStats, base: str, links: list[Link], timeout_ms: int):
        self.stats, self.base, self.links, self.timeout = stats, base, links, timeout_ms
        self.samples: list[dict[str, str]] = []
        self.rng = random.Random(stats.viewer)

    def error(self, kind: str, detail: str) -> None:
        self.stats.errors[kind] += 1
        self.samples.append({"viewer": str(self.stats.viewer), "kind": kind, "detail": detail})

    def watch(self, page: Any) -> None:
        def console(msg: Any) -> None:
            if msg.type != "error":
                return
            source = msg.location.get("url", "")
            known = known_console_error(msg.text, source, self.base)
            if known:
                self.stats.ignored[known] += 1
            else:
                self.error("console_error", f"{msg.text[:300]} ({source}) at {page.url}")

        def response(resp: Any) -> None:
            if resp.status >= 500:
                self.error("http_5xx", f"{resp.status} {resp.url}")

        page.on("console", console)
        page.on("pageerror", lambda exc: self.error("page_error", f"{exc} at {page.url}"))
        page.on("response", response)

    async def wait(self, page: Any, want: dict[str, Any], what: str) -> bool:
        """Wait until SHOWN(want); count a page error or a timeout. True when shown."""
        kind, detail = await wait_for(page, want, what, self.timeout)
        if kind:
            self.error(kind, detail)
        return not kind

    async def open(self, page: Any, link: Link, times: list[float]) -> bool:
        """Open `link` cold until its panes are filled; its time goes to `times`."""
        from playwright.async_api import Error as PlaywrightError

        started = time.perf_counter()
        try:
            await page.goto(self.base + link.path, timeout=self.timeout, wait_until="commit")
        except PlaywrightError as exc:  # a timeout too
            kind = "timeout" if "Timeout" in str(exc) else "navigation"
            self.error(kind, f"open {link.path}: {str(exc).splitlines()[0]}")
            return False
        if not await self.wait(page, link_shown(link), f"open {link.path}"):
            return False
        self.stats.loads += 1
        times.append(_ms(started))
        return True

    async def click(self, page: Any, other: str, options: str, what: str) -> str | None:
        """Click the label of one unchecked option (`other`) of a radio whose options are
        `options`: the label's text, or None when the checked one is the only option."""
        from playwright.async_api import Error as PlaywrightError

        found = page.locator(other)
        count = await found.count()
        if not count:
            shown = await page.locator(options).count()
            if shown == 1:  # the checked one: nothing else to click
                return None
            why = f"no element matches {other!r} ({shown} match {options!r})"
            raise self.failed("selector_missing", f"{what}: {why} at {page.url}")
        target = found.nth(self.rng.randrange(min(count, 20)))
        try:
            label = await target.text_content(timeout=self.timeout) or ""
            await target.click(timeout=self.timeout)
        except PlaywrightError as exc:
            kind = "timeout" if "Timeout" in str(exc) else "navigation"
            why = f"{other!r}: {str(exc).splitlines()[0]}"
            raise self.failed(kind, f"{what}: {why} at {page.url}") from None
        return label

    def failed(self, kind: str, detail: str) -> _Failed:
        self.error(kind, detail)
        return _Failed()

    async def shown(self, page: Any, want: dict[str, Any], what: str) -> None:
        if not await self.wait(page, want, what):
            raise _Failed()

    async def click_card(self, page: Any) -> int | None:
        """Click another session's card until it is checked and the center shows that
        session's timeline: how many rows it shows (0: the session has none), or None when
        there is no other card."""
        what = "click a session card"
        before = await page.evaluate(PARAM_OF, "session") or ""
        started = time.perf_counter()
        title = await self.click(page, OTHER_SESSION, CARD_OPTION, what)
        if title is None:
            return None
        want = {
            "present": [SELECTED_SESSION],
            "contains": [[CHECKED_CARD, title]],
            "param_changed": [["session", before]],
        }
        await self.shown(page, want, f"{what} ({title[:60]!r})")
        session = await page.evaluate(PARAM_OF, "session") or ""
        await self.shown(page, {"present": [center_shows(session)]}, f"{what}: {session}")
        if not await page.evaluate(CENTER_FILLED):
            why = f"no element matches {ROW_OPTION!r} and {CENTER!r} does not say {NO_ITEMS!r}"
            raise self.failed("selector_missing", f"{what}: {session}: {why} at {page.url}")
        self.stats.clicks += 1
        self.stats.timeline_ms.append(_ms(started))
        return await page.locator(ROW_OPTION).count()

    async def click_row(self, page: Any) -> None:
        """Click another timeline row until it is checked and the details show its id."""
        what = "click a timeline row"
        before = await page.evaluate(PARAM_OF, "item") or ""
        started = time.perf_counter()
        label = await self.click(page, OTHER_ITEM, ROW_OPTION, what)
        if label is None:
            return
        want = {
            "present": [SELECTED_ITEM],
            "contains": [[CHECKED_ROW, label]],
            "param_changed": [["item", before]],
        }
        await self.shown(page, want, f"{what} ({label[:60]!r})")
        item = await page.evaluate(PARAM_OF, "item") or ""
        # A stage's details name the stage, not its item id (stg_<name>).
        want = {"param": [["item", item]], "contains": [[ITEM_DETAILS, shown_id(item)]]}
        await self.shown(page, want, f"{what}: {item}")
        self.stats.clicks += 1
        self.stats.item_ms.append(_ms(started))

    async def click_through(self, page: Any, deadline: float) -> None:
        """From a link's open page: a card, then one of its rows (unless it has none),
        CLICKS_PER_LINK times; an error (counted) ends them."""
        with contextlib.suppress(_Failed):
            for _ in range(CLICKS_PER_LINK):
                if time.monotonic() >= deadline:
                    return
                rows = await self.click_card(page)
                if rows is None:
                    return
                if rows and time.monotonic() < deadline:
                    await self.click_row(page)

    async def run(self, browser: Any, crowd: _Crowd) -> None:
        context = await browser.new_context(viewport=VIEWPORT)
        page = await context.new_page()
        self.watch(page)
        async with crowd.arrivals:  # arrival: the first link, a few viewers at a time
            link = self.links[0]
            opened = await self.open(page, link, self.stats.arrival_ms)  # a failure: counted
        self.stats.arrival_errors = sum(self.stats.errors.values())
        await crowd.arrived()
        turn = 1
        while time.monotonic() < crowd.deadline:  # the window: everyone at once
            if opened:
                await self.click_through(page, crowd.deadline)
            if time.monotonic() >= crowd.deadline:
                break
            link = self.links[turn % len(self.links)]
            turn += 1
            opened = await self.open(page, link, self.stats.load_ms)
        await context.close()


class _Crowd:
    """The arrival gate and the window: it opens when the last viewer is in."""

    def __init__(self, viewers: int, arrivals: int, seconds: int) -> None:
        self.arrivals = asyncio.Semaphore(arrivals)
        self.started = time.monotonic()
        self.seconds = seconds
        self.deadline = math.inf
        self.window_started = math.inf
        self._waiting = viewers
        self._open = asyncio.Event()

    async def arrived(self) -> None:
        self._waiting -= 1
        if self._waiting == 0:
            self.window_started = time.monotonic()
            self.deadline = self.window_started + self.seconds
            self._open.set()
        await self._open.wait()


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


async def _pane_text(browser: Any, base: str, link: Link, timeout_ms: int) -> list[str] | str:
    """The normalised text of each of PARTS for a link opened fresh, or what went wrong (a
    part whose selector matches nothing is named)."""
    context = await browser.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    try:
        await page.goto(base + link.path, timeout=timeout_ms, wait_until="commit")
        kind, detail = await wait_for(page, link_shown(link), "open", timeout_ms)
        if kind:
            return f"error: {kind}: {detail}"
        texts = await page.evaluate(PARTS_TEXT, [[s, many] for _, s, many in PARTS])
        missing = [s for (_, s, _), t in zip(PARTS, texts, strict=True) if t is None]
        if missing:
            return "error: no element matches " + ", ".join(repr(s) for s in missing)
        return [normalise(t) for t in texts]
    except Exception as exc:  # noqa: BLE001 - reported as the link's result
        return f"error: {str(exc).splitlines()[0]}"
    finally:
        await context.close()


async def consistency(browser: Any, bases: list[str], links: list[Link], timeout_ms: int) -> dict:
    """Each link on server A and server B (fresh contexts, at the same time): same panes?"""
    if len(bases) < 2:
        return {"checked": 0, "same": 0, "diffs": [], "note": "one server: nothing to compare"}
    gate = asyncio.Semaphore(2)  # two links (four pages) at a time

    async def one(link: Link) -> dict | None:
        async with gate:
            a, b = await asyncio.gather(
                _pane_text(browser, bases[0], link, timeout_ms),
                _pane_text(browser, bases[1], link, timeout_ms),
            )
        if a == b and isinstance(a, list):
            return None
        if isinstance(a, str) or isinstance(b, str):
            return {
                "link": link.path,
                "a": a if isinstance(a, str) else "ok",
                "b": b if isinstance(b, str) else "ok",
            }
        panes = {}
        for (name, _, _), ta, tb in zip(PARTS, a, b, strict=True):
            if ta != tb:
                diff = difflib.unified_diff(ta.splitlines(), tb.splitlines(), "A", "B", lineterm="")
                panes[name] = "\n".join(list(diff)[:40])
        return {"link": link.path, "panes": panes}

    diffs = [d for d in await asyncio.gather(*(one(link) for link in links)) if d]
    return {"checked": len(links), "same": len(links) - len(diffs), "diffs": diffs}


async def drive(
    bases: list[str],
    links: list[Link],
    viewers: int,
    seconds: int,
    timeout_ms: int,
    arrivals: int,
) -> dict[str, Any]:
    """The viewers' arrival, `seconds` of all of them, then the consistency check."""
    from playwright.async_api import async_playwright

    from harness import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"the load test needs Debian's Chromium at {CHROMIUM}")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        gate = _Crowd(viewers, arrivals, seconds)
        crowd = []
        for n in range(viewers):
            server = n % len(bases)
            # Viewers on one server take different users; each walks on through the list.
            mine = links[n:] + links[:n]
            crowd.append(_Viewer(ViewerStats(n, server), bases[server], mine, timeout_ms))
        await asyncio.gather(*(v.run(browser, gate) for v in crowd))
        ended = time.monotonic()
        check_started = time.monotonic()
        check = await consistency(browser, bases, links[:viewers], timeout_ms)
        check["seconds"] = round(time.monotonic() - check_started, 1)
        await browser.close()
    return {
        "arrival_s": round(gate.window_started - gate.started, 1),
        "window_s": round(ended - gate.window_started, 1),
        "viewers": crowd,
        "consistency": check,
    }


def summarise(crowd: list[_Viewer]) -> dict[str, Any]:
    stats = [v.stats for v in crowd]
    errors: Counter = Counter()
    ignored: Counter = Counter()
    for s in stats:
        errors.update(s.errors)
        ignored.update(s.ignored)
    samples: list[dict[str, str]] = []
    seen: Counter = Counter()
    for v in crowd:
        for sample in v.samples:
            seen[sample["kind"]] += 1
            if seen[sample["kind"]] <= SAMPLES_PER_KIND:
                samples.append(sample)
    return {
        "loads": sum(s.loads for s in stats),
        "clicks": sum(s.clicks for s in stats),
        "errors": dict(errors),
        "error_total": sum(errors.values()),
        "arrival_errors": sum(s.arrival_errors for s in stats),
        "ignored_console_errors": dict(ignored),
        "latency": {
            "open_link_arrival": _latency([x for s in stats for x in s.arrival_ms]),
            "open_link": _latency([x for s in stats for x in s.load_ms]),
            "click_to_timeline": _latency([x for s in stats for x in s.timeline_ms]),
            "click_to_item": _latency([x for s in stats for x in s.item_ms]),
        },
        "per_viewer": [
            {
                "viewer": s.viewer,
                "server": s.server,
                "loads": s.loads,
                "clicks": s.clicks,
                "errors": dict(s.errors),
            }
            for s in stats
        ],
        "error_samples": samples,
    }


def _fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def report(r: dict[str, Any]) -> str:
    errs = ", ".join(f"{k} {v}" for k, v in sorted(r["errors"].items())) or "none"
    ignored = ", ".join(f"{k} {v}" for k, v in sorted(r["ignored_console_errors"].items()))
    lines = [
        f"Load: {r['viewers']} viewers on {r['servers']} servers, data set {r['data_set']}, "
        f"waits {r['timeout_s']} s. Arrival {r['arrival_s']} s ({r['arrivals']} first opens "
        f"at a time), then all viewers for {r['seconds']} s ({r['window_s']} s with the last "
        f"actions); load average {r['machine']['load_average_start'][0]:.1f} "
        f"at start, {r['machine']['load_average_end'][0]:.1f} at the end on "
        f"{r['machine']['cpus']} CPUs",
        "",
        f"{'page loads':32} {r['loads']:>10,}",
        f"{'clicks':32} {r['clicks']:>10,}",
        f"{'errors':32} {r['error_total']:>10,}  ({errs}; "
        f"{r['arrival_errors']} during the arrival)",
        f"{'known console errors (not counted)':32} "
        f"{sum(r['ignored_console_errors'].values()):>10,}  ({ignored})",
    ]
    for name, lat in r["latency"].items():
        lines.append(
            f"{name + ' p50 / p95':32} {_fmt_ms(lat['p50_ms']):>10} / "
            f"{_fmt_ms(lat['p95_ms'])}  (n={lat['n']})"
        )
    for i, s in enumerate(r["server_figures"]["servers"]):
        lines.append(
            f"{f'server {chr(65 + i)} RSS start / peak':32} {s['rss_start_mb']:>7,.0f} MB / "
            f"{s['rss_peak_mb']:,.0f} MB  (CPU {s['cpu_s']} s)"
        )
    fig = r["server_figures"]
    lines.append(f"{'browser RSS peak (sum)':32} {fig['browser_rss_peak_mb']:>7,.0f} MB")
    lines.append(f"{'browser CPU (all processes)':32} {fig['browser_cpu_s']:>9,.1f} s")
    lines.append(f"{'machine memory available min':32} {fig['memory_available_min_mb']:>7,.0f} MB")
    c = r["consistency"]
    same = c.get("note") or f"{c['same']} of {c['checked']} links the same on A and B"
    lines.append(f"{'consistency':32} {same}")
    for d in c["diffs"]:
        lines.append(f"  differs: {d['link']}")
        for name, diff in d.get("panes", {}).items():
            lines += [f"    {name}:", *("      " + x for x in diff.splitlines())]
        if "a" in d:
            lines.append(f"    A: {d['a']}  B: {d['b']}")
    for s in r["error_samples"]:
        lines.append(f"  error sample (viewer {s['viewer']}, {s['kind']}): {s['detail'][:240]}")
    lines.append("PASS" if r["passed"] else "FAIL: " + ", ".join(r["failures"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--set", choices=("small", "large"), default="small")
    parser.add_argument("--timeout", type=float, default=60.0, help="every wait, in seconds")
    parser.add_argument(
        "--arrivals",
        type=int,
        default=os.cpu_count() or 2,
        help="viewers opening their first link at the same time (default: the CPU count)",
    )
    parser.add_argument("--database-b", help="a different DATABASE_URL for server B (broken)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    from bench import datasets
    from harness import StreamlitServer

    ds = datasets.postgres(args.set)
    links = pick_links(ds.url, max(args.viewers, 1) * 2)
    urls = [ds.url] * args.servers
    if args.database_b and args.servers > 1:
        urls[1] = args.database_b
    load_start = os.getloadavg()
    servers = [StreamlitServer(url) for url in urls]
    try:
        print(f"servers: {', '.join(s.url for s in servers)}; {len(links)} links", flush=True)
        sampler = _Sampler([s.proc.pid for s in servers])
        out = asyncio.run(
            drive(
                [s.url for s in servers],
                links,
                args.viewers,
                args.seconds,
                int(args.timeout * 1000),
                args.arrivals,
            )
        )
        figures = sampler.stop()
        logs = [s.log.read_text(errors="replace").count("Traceback") for s in servers]
    finally:
        for s in servers:
            s.stop()
    summary = summarise(out["viewers"])
    check = out["consistency"]
    results = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_start": load_start,
            "load_average_end": os.getloadavg(),
        },
        "viewers": args.viewers,
        "servers": args.servers,
        "seconds": args.seconds,
        "arrivals": args.arrivals,
        "arrival_s": out["arrival_s"],
        "window_s": out["window_s"],
        "data_set": ds.name,
        "database_b": "broken: " + args.database_b if args.database_b else "same",
        "timeout_s": args.timeout,
        **{k: v for k, v in summary.items() if k not in ("per_viewer", "error_samples")},
        "server_figures": figures,
        "server_log_tracebacks": logs,
        "consistency": check,
        # No clicks means the viewers never got past the first open: nothing was tested.
        "failures": [
            *(["errors"] if summary["error_total"] else []),
            *(["consistency"] if check["diffs"] else []),
            *(["no clicks in the run"] if not summary["clicks"] else []),
        ],
        "per_viewer": summary["per_viewer"],
        "error_samples": summary["error_samples"],
    }
    results["passed"] = not results["failures"]
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(report(results))
    print(f"wrote {args.out}")
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
