"""Debian's Chromium and the Playwright page helpers that know when a Streamlit run is done.

Screenshots go to test-output/ (gitignored) so a person can look at them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sessionscope.settings import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"
# Set on the body once Streamlit has finished a script run.
APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"

# Streamlit draws each element as a skeleton until the element's code, loaded lazily, has
# arrived: a button is not in the page, nor reachable by Tab, before then.
NO_SKELETON = "() => !document.querySelector(\"[data-testid='stSkeleton']\")"


def wait_idle(page, timeout_ms: int = 30_000) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit has finished its script run (and any rerun it triggered), and the
    element code it loads lazily (st.html among it) has arrived.

    The page's "networkidle" fires once per navigation, so it does not wait for element code
    requested after it; the skeletons say whether that code is still missing."""
    page.wait_for_selector(APP_IDLE, timeout=timeout_ms)
    page.wait_for_timeout(300)
    page.wait_for_selector(APP_IDLE, timeout=timeout_ms)
    page.wait_for_load_state("networkidle", timeout=timeout_ms)
    page.wait_for_function(NO_SKELETON, timeout=timeout_ms)


_QUERY_IS = """(want) => {
  const q = new URLSearchParams(location.search);
  return Object.entries(want).every(([k, v]) => (v === null ? !q.has(k) : q.get(k) === v));
}"""


def wait_for_query(page, timeout_ms: int = 30_000, **params: str | None) -> None:  # type: ignore[no-untyped-def]
    """Wait until the URL's query has each of `params` (None: the param is absent), then
    until the run that wrote it has finished. A click's rerun may start late on a busy
    machine, so waiting for the app to be idle alone can return before the click lands."""
    page.wait_for_function(_QUERY_IS, arg=params, timeout=timeout_ms)
    wait_idle(page, timeout_ms)


def screenshot(page, name: str, *, settle: bool = True) -> Path:  # type: ignore[no-untyped-def]
    """A full-page screenshot in test-output/screenshots. Widgets' code loads lazily after the
    run, so it first lets the page settle; `settle=False` takes the page as it is (for a
    failure report, which must not wait on what may be the failure)."""
    if settle:
        page.wait_for_function(NO_SKELETON)
        page.wait_for_timeout(800)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@contextmanager
def watched_page(browser, base: str, **context_options: object) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A page in a new browser context that records (and dismisses) every dialog in
    `page.dialogs`, records the page's uncaught script errors in `page.errors`, and opens
    paths under `page.base` (see open_link)."""
    context = browser.new_context(**context_options)
    pg = context.new_page()
    pg.dialogs = []
    pg.errors = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.base = base
    try:
        yield pg
    finally:
        context.close()


def open_link(page, path: str) -> None:  # type: ignore[no-untyped-def]
    """Open `path` under the page's base cold, wait for the run, and see no exception."""
    page.goto(page.base + path)
    wait_idle(page)
    assert page.locator("[data-testid='stException']").count() == 0
