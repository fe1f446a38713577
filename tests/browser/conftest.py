"""Real-browser fixtures: a `streamlit run` server on the demo data and Debian's Chromium.

Screenshots go to test-output/ (gitignored) so a person can look at them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sessionscope.settings import PROJECT_ROOT
from tests.pages import explorer_data

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"
SERVER_START_TIMEOUT_S = 60
# Set on the body once Streamlit has finished a script run.
APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """`streamlit run dashboard_app.py` (or `script`) on a free localhost port, stopped at
    teardown; in demo mode unless `env` says otherwise."""

    def __init__(
        self,
        database_url: str,
        *,
        extra_args: tuple[str, ...] = (),
        script: str = "dashboard_app.py",
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url  # for tests that check what the app wrote
        env = {**os.environ, "DATABASE_URL": database_url, "SESSIONSCOPE_DEMO": "1", **(env or {})}
        self.log = PROJECT_ROOT / "test-output" / f"streamlit-{self.port}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "streamlit", "run", script,
               f"--server.port={self.port}", "--server.address=127.0.0.1",
               "--server.headless=true", "--server.fileWatcherType=none", *extra_args]  # fmt: skip
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"streamlit did not start in {SERVER_START_TIMEOUT_S}s: see {self.log}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Browser tests need Debian's Chromium at {CHROMIUM}: run `apt-get install chromium`"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def explorer_sqlite_url(databases) -> str:  # type: ignore[no-untyped-def]
    """A SQLite file holding the page-test data set, for the served app."""
    engine = databases.engine("sqlite")
    explorer_data.build(engine)
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def server(explorer_sqlite_url: str) -> Iterator[StreamlitServer]:
    """Demo mode (Acme's admin) on the page-test data set."""
    srv = StreamlitServer(explorer_sqlite_url)
    yield srv
    srv.stop()


TRUSTED_HEADER = '--server.trustedUserHeaders={"X-Forwarded-Email": "email"}'


@pytest.fixture(scope="session")
def header_server(explorer_sqlite_url: str) -> Iterator[StreamlitServer]:
    """X-Forwarded-Email names the viewer, believed from loopback (the default allow-list);
    no demo mode, which refuses to run beside a sign-in method."""
    srv = StreamlitServer(
        explorer_sqlite_url, extra_args=(TRUSTED_HEADER,), env={"SESSIONSCOPE_DEMO": "0"}
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def demo_server(databases) -> Iterator[StreamlitServer]:  # type: ignore[no-untyped-def]
    """Demo mode on a small seeded demo data set (workflows, the 2,000-call session...)."""
    from sessionscope.seed import SeedConfig, seed_database

    engine = databases.engine("sqlite")
    seed_database(engine, SeedConfig.for_size(400, seed=7))
    srv = StreamlitServer(engine.url.render_as_string(hide_password=False))
    yield srv
    srv.stop()


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
    `page.dialogs` and opens paths under `page.base` (see open_link)."""
    context = browser.new_context(**context_options)
    pg = context.new_page()
    pg.dialogs = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
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
