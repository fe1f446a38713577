"""Real-browser fixtures: a `streamlit run` server on the page-test data set (or the demo
data) and Debian's Chromium. The server and the page helpers are in harness/ (the bench
uses them too).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import CHROMIUM, CHROMIUM_ARGS, TRUSTED_HEADER, StreamlitServer
from tests.pages.datasets import explorer


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


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
    explorer.build(engine)
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def server(explorer_sqlite_url: str) -> Iterator[StreamlitServer]:
    """Demo mode (Acme's admin) on the page-test data set."""
    srv = StreamlitServer(explorer_sqlite_url)
    yield srv
    srv.stop()


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
