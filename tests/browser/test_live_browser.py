"""A session recorded while it is watched: a real MCP server (the official SDK) with the
one-line recorder sends its spans to the app's own OTLP receiver, and the open pages follow
the session by themselves, without a reload: the explorer's timeline, card and header, and
Session details' header and numbers (issue 14, item 5)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import anyio.from_thread
import pytest
import sqlalchemy as sa
from mcp import Client, Implementation
from mcp.server.mcpserver import MCPServer

from harness import StreamlitServer, open_link, screenshot, wait_for_query, watched_page
from sessionscope import tokens
from sessionscope.mcp import Recorder, instrument
from sessionscope.schema import sessions
from tests import factories
from tests.conftest import DatabaseFactory

VIEWER = "admin@acme.example"  # demo mode's viewer
CLIENT = Implementation(name="live-client", version="1.0.0")
LANDED_TIMEOUT_S = 30.0
# A live page reads again every data.LIVE_TTL (3) seconds; a refresh has 4 of them to show.
REFRESH_TIMEOUT_MS = 12_000
CARD = ".st-key-us_list [role='radiogroup'] > div"
CENTER_HEAD = ".st-key-us_center [data-testid='stMarkdownContainer']"
# Every URL the page writes (Streamlit writes the query through the History API), so a
# selection lost for a moment and put back is seen too.
RECORD_URLS = """(() => {
  window.__urls = [];
  for (const name of ["pushState", "replaceState"]) {
    const original = history[name].bind(history);
    history[name] = (...args) => {
      const r = original(...args);
      window.__urls.push(location.search);
      return r;
    };
  }
})();"""


def docs_server() -> MCPServer:
    server = MCPServer("live-docs", version="1.0.0")

    @server.tool()
    def search_docs(query: str) -> str:
        return f"3 docs for {query}"

    @server.tool()
    def get_page(page: int) -> str:
        return f"page {page}"

    @server.tool()
    def summarize(topic: str) -> str:
        return f"summary of {topic}"

    return server


@dataclass
class Recording:
    """One MCP connection kept open (one session) whose calls reach the app's receiver."""

    portal: Any
    client: Client
    recorder: Recorder
    engine: sa.Engine

    def call(self, tool: str, **arguments: Any) -> None:
        """Call `tool` and send its span now (the recorder batches otherwise)."""
        self.portal.call(self.client.call_tool, tool, arguments)
        assert self.recorder.force_flush(10_000), "the recorder could not send its spans"

    def session(self, calls: int) -> dict[str, Any]:
        """The session once the receiver has stored `calls` tool calls of it."""
        stop = time.monotonic() + LANDED_TIMEOUT_S
        while True:
            with self.engine.connect() as conn:
                row = conn.execute(sa.select(sessions)).mappings().first()
            if row is not None and row["total_tool_calls"] >= calls:
                return dict(row)
            if time.monotonic() > stop:
                pytest.fail(f"the receiver stored {row} after {LANDED_TIMEOUT_S:.0f} s")
            time.sleep(0.1)


@contextmanager
def recording(app: StreamlitServer, engine: sa.Engine, token: str) -> Iterator[Recording]:
    server = docs_server()
    recorder = instrument(server, endpoint=app.url, token=token)
    try:
        with anyio.from_thread.start_blocking_portal() as portal:
            client = Client(server, mode="legacy", client_info=CLIENT)
            with portal.wrap_async_context_manager(client) as connected:
                yield Recording(portal, connected, recorder, engine)
    finally:
        recorder.shutdown()


@pytest.fixture()
def served(
    backend: str, databases: DatabaseFactory
) -> Iterator[tuple[StreamlitServer, sa.Engine, str]]:
    """An empty org (demo mode's admin and an ingest token) served by `app.py`, which holds
    the OTLP receiver, on `backend`."""
    engine = databases.engine(backend)
    with engine.begin() as conn:
        org = factories.org(conn, id="org_acme", slug="acme", name="Acme Corp")
        factories.member(conn, org, email=VIEWER, role="admin")
        token = tokens.create(conn, org_id=org["id"], name="live", created_by=VIEWER).token
    app = StreamlitServer(engine.url.render_as_string(hide_password=False), script="app.py")
    yield app, engine, token
    app.stop()


METRIC_VALUE = """(label) => {
  const card = [...document.querySelectorAll("[data-testid='stMetric']")]
    .find(m => m.querySelector("[data-testid='stMetricLabel']").textContent.trim() === label);
  return card ? card.querySelector("[data-testid='stMetricValue']").textContent.trim() : null;
}"""


def _metric(page, label: str) -> str | None:  # type: ignore[no-untyped-def]
    return page.evaluate(METRIC_VALUE, label)


def _shows(page, selector: str, text: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        "([s, t]) => [...document.querySelectorAll(s)].some(e => e.textContent.includes(t))",
        arg=[selector, text],
        timeout=REFRESH_TIMEOUT_MS,
    )


def test_a_watched_session_shows_its_new_calls_by_itself(browser, served) -> None:  # type: ignore[no-untyped-def]
    app, engine, token = served
    with recording(app, engine, token) as rec:
        rec.call("search_docs", query="install")
        session = rec.session(calls=1)
        assert session["status"] == "active"
        user = session["end_user_id"]
        chosen = {"user": user, "session": session["id"]}
        timeline = ".st-key-us_tl_items"
        with watched_page(browser, app.url, viewport={"width": 1366, "height": 768}) as page:
            page.add_init_script(RECORD_URLS)
            # A link opened cold: the session's title grows with the new call, and its
            # card stays chosen through the refreshes after that.
            open_link(page, f"/user?user={user}&session={session['id']}")
            assert "get_page" not in page.locator(timeline).inner_text()
            rec.call("get_page", page=2)
            _shows(page, timeline, "get_page")  # the timeline
            _shows(page, CARD, "2 calls")  # the card's counts
            _shows(page, CENTER_HEAD, "2 calls")  # the header above the timeline
            _shows(page, ".st-key-us_left", "2 tool calls")  # the user's totals
            page.wait_for_timeout(REFRESH_TIMEOUT_MS // 2)  # two refreshes more
            wait_for_query(page, **chosen)
            written = page.evaluate("window.__urls")
            assert all(f"session={session['id']}" in q for q in written), written
            assert page.locator(f"{CARD}:has(input:checked)").count() == 1
            screenshot(page, "live-explorer")

            # Chosen by a click: the panes' run (not the page's) starts their refresh.
            open_link(page, f"/user?user={user}")
            page.locator(CARD).first.click()
            wait_for_query(page, **chosen)
            rec.call("summarize", topic="otel")
            _shows(page, timeline, "summarize")
            _shows(page, CENTER_HEAD, "3 calls")

            open_link(page, f"/session?session={session['id']}")
            assert _metric(page, "Tool calls") == "3"
            rec.call("search_docs", query="spans")
            page.wait_for_function(  # Session details' numbers
                f"() => ({METRIC_VALUE})('Tool calls') === '4'", timeout=REFRESH_TIMEOUT_MS
            )
            screenshot(page, "live-session-details")
            assert page.errors == []
