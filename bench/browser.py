"""Browser figures (Playwright + Debian's Chromium) against real servers on one SQLite file.

- Sessionscope (`streamlit run`): a shared /user?user&session&item link opened cold in a
  new browser context until all three panes show their content; a click on another
  session until the timeline shows it.
- Datasette on the same file: its table pages filtered to the user's sessions (the
  "link"), then to a session's tool calls (the "click").
- A hello-world Streamlit page: the floor for a cold open.
- Memory: peak RSS of the Streamlit server while VIEWERS browser pages click through
  sessions for `seconds`, and its RSS once they have closed.

Each time is the median of `runs` (a new browser context each, so nothing is cached in
the browser; the servers stay up, as in production).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil

from tests.browser.conftest import APP_IDLE, CHROMIUM, CHROMIUM_ARGS, StreamlitServer, free_port

VIEWERS = 10
CARD_BUTTON = "[class*='st-key-us_card_'][class*='_open'] button"
# The three panes of /user: columns of the us_panes container, not nested ones.
PANES_FILLED = """(want) => {
  const panes = document.querySelector("[class*='st-key-us_panes']");
  if (!panes || document.querySelector("[data-testid='stSkeleton']")) return false;
  const cols = [...panes.querySelectorAll("[data-testid='stColumn']")]
    .filter((c) => !c.parentElement.closest("[data-testid='stColumn']"));
  if (cols.length < 3) return false;
  const filled = cols[0].querySelector("[class*='st-key-us_card_']")
    && cols[1].querySelector("[class*='st-key-us_row_']")
    && cols[2].querySelector("[data-testid='stJson'], [data-testid='stCode']");
  return Boolean(filled) && (!want || location.search.includes(want));
}"""
TIMELINE_SHOWS = """(want) => {
  if (!location.search.includes("session=" + want)) return false;
  if (document.querySelector("[data-testid='stSkeleton']")) return false;
  return Boolean(document.querySelector("[class*='st-key-us_row_']"));
}"""


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _median(values: list[float]) -> float:
    return statistics.median(values)


class _Datasette:
    def __init__(self, db: Path, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/{db.stem}"
        exe = str(Path(sys.executable).with_name("datasette"))
        cmd = [exe, "serve", str(db), "--port", str(port), "--host", "127.0.0.1",
               "--setting", "sql_time_limit_ms", "10000"]  # fmt: skip
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


def measure(sqlite_url: str, ids: dict[str, str], runs: int, seconds: int) -> dict[str, float]:
    """Every browser figure, in ms (and MB for memory)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"the browser figures need Debian's Chromium at {CHROMIUM}")
    db = Path(sqlite_url.removeprefix("sqlite:///"))
    link = f"/user?user={ids['user']}&session={ids['session']}&item={ids['item']}"
    other = ids["other_session"]
    out: dict[str, float] = {}
    app = StreamlitServer(sqlite_url)
    hello = StreamlitServer(sqlite_url, script="bench/hello_app.py")
    datasette = _Datasette(db, free_port())
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

            def timed(fn) -> list[float]:  # type: ignore[no-untyped-def]
                values = []
                for i in range(runs + 1):  # the first is a warm-up of the server
                    context = browser.new_context(viewport={"width": 1600, "height": 1000})
                    page = context.new_page()
                    value = fn(page)
                    context.close()
                    if i:
                        values.append(value)
                return values

            def open_link(page) -> float:  # type: ignore[no-untyped-def]
                started = time.perf_counter()
                page.goto(app.url + link, timeout=120_000)
                page.wait_for_function(PANES_FILLED, arg=ids["item"], timeout=120_000)
                return _ms(started)

            def click_other(page) -> float:  # type: ignore[no-untyped-def]
                open_link(page)
                page.wait_for_selector(APP_IDLE)
                card = page.locator(f"[class*='st-key-us_card_{other}'] button").first
                started = time.perf_counter()
                card.click()
                page.wait_for_function(TIMELINE_SHOWS, arg=other, timeout=120_000)
                return _ms(started)

            def hello_open(page) -> float:  # type: ignore[no-untyped-def]
                started = time.perf_counter()
                page.goto(hello.url)
                page.get_by_text("Hello").first.wait_for(timeout=60_000)
                return _ms(started)

            def datasette_open(page, path: str) -> float:  # type: ignore[no-untyped-def]
                started = time.perf_counter()
                page.goto(datasette.url + path)
                page.wait_for_selector("table.rows-and-columns", timeout=60_000)
                return _ms(started)

            sessions = f"/sessions?end_user_id={ids['user']}&_sort_desc=started_at"
            calls = f"/tool_calls?session_id={other}&_sort=seq"
            out["link_cold_ms"] = _median(timed(open_link))
            out["click_session_ms"] = _median(timed(click_other))
            out["hello_cold_ms"] = _median(timed(hello_open))
            out["datasette_link_ms"] = _median(timed(lambda pg: datasette_open(pg, sessions)))
            out["datasette_click_ms"] = _median(timed(lambda pg: datasette_open(pg, calls)))
            browser.close()
        out |= _memory(app, link, seconds)
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
    """VIEWERS pages clicking session cards in turn for `seconds`; how many clicks landed."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        deadline = time.monotonic() + seconds

        async def viewer(n: int) -> int:
            context = await browser.new_context(viewport={"width": 1600, "height": 1000})
            page = await context.new_page()
            await page.goto(base + link, timeout=180_000)
            await page.wait_for_selector(APP_IDLE, timeout=120_000)
            clicks = 0
            while time.monotonic() < deadline:
                # Cards in view (the selected card's title button is not a button to click).
                cards = page.locator(f"{CARD_BUTTON}:visible")
                count = await cards.count()
                if count:
                    await cards.nth((n + clicks) % min(count, 5)).click(timeout=120_000)
                    await page.wait_for_selector(APP_IDLE, timeout=120_000)
                    clicks += 1
            await context.close()
            return clicks

        counts = await asyncio.gather(*(viewer(n) for n in range(VIEWERS)))
        await browser.close()
        return sum(counts)


if __name__ == "__main__":  # a quick look: python -m bench.browser sqlite:///...
    from bench.server import pick_ids

    url = sys.argv[1] if len(sys.argv) > 1 else os.environ["DATABASE_URL"]
    print(measure(url, pick_ids(url), runs=1, seconds=10))
