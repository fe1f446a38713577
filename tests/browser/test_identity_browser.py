"""A forged identity header on a real `streamlit run app.py` (issue 15, finding 1): refused
unless the peer is an allow-listed proxy, also when uvicorn has replaced the peer's address
with one from X-Forwarded-For. The positive case (loopback allow-listed by default) is
tests/browser/test_explorer_browser.py::test_analysts_do_not_see_admin_in_navigation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from harness import TRUSTED_HEADER, StreamlitServer, wait_idle
from sessionscope import schema

FORGED = "admin@globex.example"


def admin_views(database_url: str) -> int:
    engine = sa.create_engine(database_url)
    a = schema.audit_log.c
    with engine.connect() as conn:
        query = sa.select(sa.func.count()).where(a.actor_email == FORGED, a.action == "admin.view")
        count = conn.execute(query).scalar_one()
    engine.dispose()
    return count


def proxy_only_server(url: str, *, address: str, proxies: str) -> StreamlitServer:
    return StreamlitServer(
        url,
        script="app.py",
        extra_args=(TRUSTED_HEADER, f"--server.address={address}"),
        env={"SESSIONSCOPE_DEMO": "0", "SESSIONSCOPE_TRUSTED_PROXIES": proxies},
    )


@pytest.fixture(scope="module")
def loopback_untrusted(explorer_sqlite_url: str) -> Iterator[StreamlitServer]:
    """Listens on 127.0.0.1, but only 10.0.0.0/8 may send identity headers."""
    srv = proxy_only_server(explorer_sqlite_url, address="127.0.0.1", proxies="10.0.0.0/8")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def every_interface(explorer_sqlite_url: str) -> Iterator[StreamlitServer]:
    """Listens on every interface; the allow-list is TEST-NET-1, which no real peer has."""
    srv = proxy_only_server(explorer_sqlite_url, address="0.0.0.0", proxies="192.0.2.0/24")
    yield srv
    srv.stop()


def visit_admin(browser, url: str, headers: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    context = browser.new_context(extra_http_headers={"X-Forwarded-Email": FORGED, **headers})
    try:
        page = context.new_page()
        page.goto(url + "/admin")
        wait_idle(page)
        assert page.locator("[data-testid='stSidebarNav']").count() == 0
        assert page.locator("[data-testid='stDataFrame']").count() == 0
        return page.locator("[data-testid='stMain']").inner_text()
    finally:
        context.close()


@pytest.mark.parametrize("forwarded_for", [None, "10.0.0.5"])
def test_a_forged_header_from_a_peer_off_the_allow_list_is_refused(
    browser, loopback_untrusted, explorer_sqlite_url: str, forwarded_for: str | None
) -> None:  # type: ignore[no-untyped-def]
    views = admin_views(explorer_sqlite_url)
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    text = visit_admin(browser, loopback_untrusted.url, headers)
    assert "Sign-in header refused: this server only accepts identity headers" in text
    assert "Globex" not in text and "Admin" not in text.replace("admin@", "")
    assert admin_views(explorer_sqlite_url) == views


def test_an_address_uvicorn_took_from_x_forwarded_for_is_not_taken_as_the_peer(
    browser, every_interface, explorer_sqlite_url: str
) -> None:  # type: ignore[no-untyped-def]
    """uvicorn believes X-Forwarded-For from loopback by default, so st.context.ip_address
    says 192.0.2.7 (the server's log shows it); the peer was 127.0.0.1, not allow-listed."""
    views = admin_views(explorer_sqlite_url)
    text = visit_admin(browser, every_interface.url, {"X-Forwarded-For": "192.0.2.7"})
    assert "Sign-in header refused" in text
    assert admin_views(explorer_sqlite_url) == views
    log = every_interface.log.read_text()
    assert "peer 192.0.2.7 (after X-Forwarded-For)" in log
