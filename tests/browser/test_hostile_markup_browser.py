"""Hostile text in a real browser (issue 7, item 2): HTML, scripts and markdown in session
titles, user names, server and tool names, tool-call inputs, outputs and errors, and ticket
text render as the literal text and run nothing.

Each payload, if it ever ran, would set `window.__pwned` or open a dialog; each test asserts
the literal text is on the page, no dialog opened, the flag is unset, and none of the
elements the payloads would inject (an <img onerror>, <svg onload>, <iframe>, a javascript:
link, a <script> or <style> of theirs) exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from harness import StreamlitServer, open_link, screenshot, wait_idle, watched_page
from tests import factories as f

IMG = "<img src=x onerror=window.__pwned='img'>"
SCRIPT = "<script>window.__pwned='script';alert(1)</script>"
SVG = "<svg/onload=window.__pwned='svg'>"
IFRAME = "<iframe src=javascript:parent.__pwned='iframe'></iframe>"
MD_LINK = "[click me](javascript:window.__pwned='md')"
STYLE = "<style>body{display:none}</style>"
DIRECTIVE = ":red[not red] **not bold** $x^2$"

# What would exist on the page had any payload become markup or run.
_INJECTED = """() => ({
  pwned: window.__pwned === undefined ? null : String(window.__pwned),
  elements: [...document.querySelectorAll(
    'img[src="x"], [onerror], [onload], iframe, a[href^="javascript" i]'
  )].map(e => e.outerHTML.slice(0, 120)),
  scripts: [...document.scripts].filter(s => s.textContent.includes('__pwned')).length,
  styles: [...document.querySelectorAll('style')]
    .filter(s => s.textContent.includes('body{display:none}')).length,
})"""
CLEAN = {"pwned": None, "elements": [], "scripts": 0, "styles": 0}


def build(engine) -> None:  # type: ignore[no-untyped-def]
    """The demo organization's admin, and one user whose every text field is hostile."""
    with engine.begin() as conn:
        acme = f.org(conn, id="org_acme", slug="acme", name="Acme Corp")
        f.member(conn, acme, email="admin@acme.example", role="admin")
        eve = f.end_user(
            conn,
            acme,
            id="usr_eve",
            distinct_id="eve-1",
            email="eve+<b>x</b>@evil.example",
            display_name=f"Eve {SVG}",
        )
        srv = f.server(conn, acme, id="srv_evil", slug="evil", name=f"Srv {STYLE}")
        ses = f.session(
            conn,
            acme,
            eve,
            srv,
            id="ses_evil",
            title=IMG,
            total_tool_calls=1,
            total_errors=1,
            started_at=f.T0,
        )
        f.session(
            conn, acme, eve, srv, id="ses_evil2", title=SCRIPT, started_at=f.T0 - timedelta(hours=1)
        )
        # Titled as ses_evil: two cards alike, whose title ends in punctuation ('>').
        f.session(
            conn, acme, eve, srv, id="ses_evil3", title=IMG, started_at=f.T0 - timedelta(hours=2)
        )
        f.tool_call(
            conn,
            ses,
            id="tc_evil",
            tool_name="<b>bold_tool</b>",
            input={SCRIPT: IMG, "md": MD_LINK, "directive": DIRECTIVE},
            output={"html": IFRAME, "svg": SVG},
            is_error=True,
            error_message=f"boom {IMG}",
        )
        f.ticket(
            conn,
            ses,
            eve,
            id="sr_evil",
            title=f"Ticket {SCRIPT}",
            summary=f"Sum {IMG}",
            context=f"Ctx {MD_LINK} {STYLE}",
            created_at=f.T0 + timedelta(seconds=1),
        )


@pytest.fixture(scope="module")
def hostile_server(databases) -> Iterator[StreamlitServer]:  # type: ignore[no-untyped-def]
    engine = databases.engine("sqlite")
    build(engine)
    srv = StreamlitServer(engine.url.render_as_string(hide_password=False))
    yield srv
    srv.stop()


@pytest.fixture(params=["light", "dark"])
def page(request: pytest.FixtureRequest, browser, hostile_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    viewport = {"width": 1600, "height": 1400}
    with watched_page(
        browser, hostile_server.url, viewport=viewport, color_scheme=request.param
    ) as pg:
        pg.scheme = request.param  # type: ignore[attr-defined]
        yield pg


def assert_shown_and_inert(page, texts: list[str]) -> None:  # type: ignore[no-untyped-def]
    for text in texts:
        assert page.get_by_text(text, exact=False).first.is_visible(), text
    assert page.dialogs == []
    assert page.evaluate(_INJECTED) == CLEAN


def test_user_sessions_with_a_tool_call(page) -> None:  # type: ignore[no-untyped-def]
    open_link(page, "/user?user=usr_eve&session=ses_evil&item=tc_evil")
    page.get_by_text("boom").first.wait_for()
    # Card titles (each card's radio is named by its title, shown as typed, then the label's
    # invisible tag: components/panes.tagged), the timeline header and row, the user
    # header, the call's error.
    cards = page.locator(".st-key-us_list")
    for title in (IMG, SCRIPT):
        cards.get_by_role("radio", name=title).first.wait_for(state="attached")
        assert cards.locator("strong").filter(has_text=title).first.inner_text() == title
        assert cards.locator("strong").filter(has_text=title).first.is_visible()
    # The two cards titled alike are both bold: the second's label does not end its bold with
    # a character markdown reads as neither space nor punctuation (asterisks shown).
    assert cards.locator("strong").filter(has_text=IMG).count() == 2
    assert "**" not in cards.inner_text()
    assert page.locator(".st-key-us_list input:checked").count() == 1
    row = page.locator(".st-key-us_tl_items [role='radiogroup'] > div:has(input:checked)")
    assert "<b>bold_tool</b>" in row.inner_text()
    assert_shown_and_inert(
        page,
        [
            f"Eve {SVG}",
            "eve+<b>x</b>@evil.example",
            "<b>bold_tool</b>",
            f"boom {IMG}",
            f"Srv {STYLE}",
        ],
    )
    # The payload, key and values, in the JSON tree and as text.
    details = page.locator(".st-key-us_item")
    tree = details.locator("[data-testid='stJson']").first
    for text in (SCRIPT, IMG, MD_LINK, DIRECTIVE):
        assert text in tree.inner_text(), text
    details.get_by_role("tab", name="Text").first.click()
    code = details.locator("[data-testid='stCode']").first
    code.wait_for()
    assert MD_LINK in code.inner_text() and SCRIPT in code.inner_text()
    assert_shown_and_inert(page, [])
    screenshot(page, f"hostile-user-sessions-{page.scheme}")


def test_user_sessions_with_a_ticket_and_the_history_panel(page) -> None:  # type: ignore[no-untyped-def]
    open_link(page, "/user?user=usr_eve&session=ses_evil&item=sr_evil")
    page.get_by_text(f"Sum {IMG}").first.wait_for()
    # The page opens with the sidebar collapsed (the panes need the room).
    page.locator("[data-testid='stExpandSidebarButton']").click()
    page.locator("[data-testid='stSidebar'] summary", has_text="Session history").click()
    wait_idle(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text(SCRIPT, exact=False).first.wait_for()
    assert_shown_and_inert(page, [f"Ticket {SCRIPT}", f"Sum {IMG}", f"Ctx {MD_LINK} {STYLE}"])
    screenshot(page, f"hostile-ticket-{page.scheme}")


def test_session_details_and_its_dialog(page) -> None:  # type: ignore[no-untyped-def]
    open_link(page, "/session?session=ses_evil")
    page.get_by_role("heading", name=IMG).wait_for()
    page.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for()
    assert_shown_and_inert(page, [f"Srv {STYLE}", f"Eve {SVG}"])
    screenshot(page, f"hostile-session-details-{page.scheme}")

    open_link(page, "/user?user=usr_eve&session=ses_evil2")
    page.locator("[class*='st-key-us_details_ses_evil2'] button:visible").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("heading", name=SCRIPT).wait_for()
    assert_shown_and_inert(page, [])


def test_admin_and_users_tables(page) -> None:  # type: ignore[no-untyped-def]
    open_link(page, "/admin")
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.locator("canvas").first.wait_for()
    # The grid draws on a canvas; its accessible table (hidden) holds the cell text.
    for title in (IMG, SCRIPT):
        grid.locator("td", has_text=title).first.wait_for(state="attached")
    cells = grid.locator("td").all_text_contents()
    assert IMG in cells and SCRIPT in cells, cells[:20]
    assert_shown_and_inert(page, [])
    screenshot(page, f"hostile-admin-{page.scheme}")

    open_link(page, "/users")
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.locator("canvas").first.wait_for()
    grid.locator("td", has_text="Eve").first.wait_for(state="attached")
    assert f"Eve {SVG}" in grid.locator("td").all_text_contents()
    assert_shown_and_inert(page, [])
