"""The explorer in a real browser: cold links, clicks and the URL, Back, roles.

The layout at each width is in test_explorer_layout_browser.py."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from harness import open_link, screenshot, wait_for_query, wait_idle, watched_page

LINK = "/user?user=usr_ann&session=ses_long&item=tc_long010"
# The session list and the timeline window are one radio each; an option is a card or a row.
CARD = ".st-key-us_list [role='radiogroup'] > div"
ROW = ".st-key-us_tl_items [role='radiogroup'] > div"


@pytest.fixture()
def page(browser, server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    with watched_page(browser, server.url, viewport={"width": 1600, "height": 1000}) as pg:
        yield pg


def test_a_shared_link_opened_cold_fills_all_three_panes(page) -> None:  # type: ignore[no-untyped-def]
    open_link(page, LINK)
    assert page.get_by_text("Page not found").count() == 0
    assert page.locator(CARD).count() == 50  # one window of cards
    assert page.locator(ROW).count() == 100  # one window of the timeline
    # The session's card and the item's row are the selected options.
    assert "Triage" in page.locator(f"{CARD}:has(input:checked)").inner_text()
    assert page.locator(f"{ROW}:has(input:checked)").count() == 1
    details = page.locator(".st-key-us_item")
    assert details.get_by_text("rate limited").first.is_visible()  # the tool call's error
    assert "tc_long010" in details.inner_text()
    # Hostile text is shown as text and runs nothing.
    assert page.get_by_text("Triage <script>alert(1)</script>").first.is_visible()
    assert page.dialogs == []
    screenshot(page, "user-sessions-1600")


def test_clicks_write_the_url_and_back_restores(page) -> None:  # type: ignore[no-untyped-def]
    open_link(page, "/user?user=usr_ann&session=ses_long")
    page.locator(ROW, has_text="Export fails").click()
    wait_for_query(page, session="ses_long", item="sr_long1")
    assert page.get_by_text("The export button fails").is_visible()
    assert "Export fails" in page.locator(f"{ROW}:has(input:checked)").inner_text()
    # A click in the middle of the card (its status line): the whole card is the target.
    page.locator(CARD, has_text="Big payload").click()
    wait_for_query(page, session="ses_big", item=None)
    assert "Big payload" in page.locator(f"{CARD}:has(input:checked)").inner_text()
    assert page.get_by_text("The export button fails").count() == 0
    page.go_back()
    wait_for_query(page, session="ses_long", item="sr_long1")
    assert page.get_by_text("The export button fails").is_visible()
    assert "Triage" in page.locator(f"{CARD}:has(input:checked)").inner_text()


def _sent(frames: list[bytes], key: str) -> bool:
    """Did the server send the widget keyed `key` (its id ends with the key) in `frames`?"""
    pattern = re.compile(re.escape(key.encode()) + rb"(?![_a-z0-9])")
    return any(pattern.search(frame) for frame in frames)


def test_a_click_sends_only_the_panes_it_fills(page) -> None:  # type: ignore[no-untyped-def]
    """A timeline row reruns the details alone and a card the timeline and the details: the
    server does not send the session list (or, for a row, the timeline) again; the browser
    keeps them. Read on the app's websocket."""
    frames: list[bytes] = []

    def record(ws) -> None:  # type: ignore[no-untyped-def]
        ws.on("framereceived", lambda f: frames.append(f if isinstance(f, bytes) else f.encode()))

    page.on("websocket", record)
    # Completed sessions only: no active one, so the list does not refresh itself meanwhile.
    open_link(page, "/user?user=usr_ann&session=ses_long&status=completed")
    assert _sent(frames, "us_list") and _sent(frames, "us_tl_items")  # a full run sends both
    frames.clear()
    page.locator(ROW, has_text="Export fails").click()
    wait_for_query(page, session="ses_long", item="sr_long1")
    assert page.get_by_text("The export button fails").is_visible()
    assert frames and not _sent(frames, "us_list") and not _sent(frames, "us_tl_items")
    frames.clear()
    page.locator(CARD, has_text="Big payload").click()
    wait_for_query(page, session="ses_big", item=None, status="completed")
    assert _sent(frames, "us_tl_items") and not _sent(frames, "us_list")
    assert "Big payload" in page.locator(f"{CARD}:has(input:checked)").inner_text()
    assert "Big payload" in page.locator(".st-key-us_center h3").first.inner_text()
    # The lists the server did not send again keep the choices made in them.
    page.locator(ROW).first.click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('item')")
    wait_idle(page)
    assert "Big payload" in page.locator(f"{CARD}:has(input:checked)").inner_text()


def test_a_click_back_to_the_card_or_row_the_link_chose_opens_it_again(page) -> None:  # type: ignore[no-untyped-def]
    """The lists are not drawn again by a click in them, so what they chose when drawn is
    not what is chosen now: a click back to the link's own card, or row, must open it."""
    open_link(page, "/user?user=usr_ann&session=ses_long&item=tc_long010&status=completed")
    rows = page.locator(ROW)
    linked = [i for i in range(rows.count()) if rows.nth(i).locator("input:checked").count()]
    rows.nth(linked[0] + 1).click()
    wait_for_query(page, session="ses_long", item="tc_long011")
    rows.nth(linked[0]).click()
    wait_for_query(page, session="ses_long", item="tc_long010")
    assert "tc_long010" in page.locator(".st-key-us_item").inner_text()
    page.locator(CARD, has_text="Big payload").click()
    wait_for_query(page, session="ses_big", item=None, status="completed")
    page.locator(CARD, has_text="Triage").click()
    wait_for_query(page, session="ses_long", item=None, status="completed")
    assert "Triage" in page.locator(".st-key-us_center h3").first.inner_text()


IN_PANE = """() => {
  const ROWS = ".st-key-us_tl_items [role='radiogroup']";
  const pane = document.querySelector(".st-key-us_center");
  const row = pane.querySelector(`${ROWS} > div:has(input:checked)`);
  const at = row.getBoundingClientRect(), box = pane.getBoundingClientRect();
  return at.top >= box.top && at.bottom <= box.bottom;
}"""


def test_finds_next_match_is_scrolled_into_the_timelines_view(page) -> None:  # type: ignore[no-untyped-def]
    """Next match chooses a row of the same window, far below the pane's fold: the pane
    scrolls to it, as a click on a row far down would need the analyst to."""
    open_link(page, "/user?user=usr_ann&session=ses_long&item=tc_long009&find=q9")
    assert page.evaluate(IN_PANE)
    page.locator(".st-key-us_tl_fn button").first.click()
    wait_for_query(page, session="ses_long", item="tc_long090", find="q9")
    page.wait_for_function(IN_PANE, timeout=5_000)


def test_a_card_chosen_in_a_live_list_stays_chosen_when_the_list_refreshes(page) -> None:  # type: ignore[no-untyped-def]  # type: ignore[no-untyped-def]
    """Ann's list holds an active session, so it refreshes itself every few seconds; a card
    chosen in it reruns the panes, not the list, and the list's next refresh keeps it."""
    frames: list[bytes] = []

    def record(ws) -> None:  # type: ignore[no-untyped-def]
        ws.on("framereceived", lambda f: frames.append(f if isinstance(f, bytes) else f.encode()))

    page.on("websocket", record)
    open_link(page, "/user?user=usr_ann&session=ses_long")
    page.locator(CARD, has_text="Big payload").click()
    wait_for_query(page, session="ses_big", item=None)
    frames.clear()
    for _ in range(100):  # the list's own refresh (data.LIVE_TTL), within 10 s
        if _sent(frames, "us_list"):
            break
        page.wait_for_timeout(100)
    assert _sent(frames, "us_list"), "the live list did not refresh"
    wait_idle(page)
    assert "Big payload" in page.locator(f"{CARD}:has(input:checked)").inner_text()


def test_older_shows_the_next_window_from_its_first_card(browser, server) -> None:  # type: ignore[no-untyped-def]
    """The Older button is at the end of the list; the next window is read from its start."""
    with watched_page(browser, server.url, viewport={"width": 1366, "height": 600}) as page:
        _older_from_the_first_card(page)


def test_older_after_a_card_click_moves_the_list(page) -> None:  # type: ignore[no-untyped-def]
    """A card click reruns the panes, not the list's buttons: Older must still page away from
    the chosen card, not be pulled back around it (it was, with the buttons' old arguments)."""
    open_link(page, "/user?user=usr_ann&status=completed")  # 62 sessions, none active
    assert page.locator(CARD).count() == 50
    page.locator(CARD).nth(10).click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('session')")
    wait_idle(page)
    page.locator(".st-key-us_list_older button").click()
    page.wait_for_function(f"() => document.querySelectorAll({CARD!r}).length === 12")
    wait_idle(page)
    assert page.locator(CARD).count() == 12  # the last 12, not 50 around the chosen card


def _older_from_the_first_card(page) -> None:  # type: ignore[no-untyped-def]
    open_link(page, "/user?user=usr_ann")
    left = page.locator(".st-key-us_left")
    left.evaluate("(pane) => { pane.scrollTop = pane.scrollHeight; }")
    assert left.evaluate("(pane) => pane.scrollTop") > 0
    first = page.locator(CARD).first.inner_text()
    page.locator(".st-key-us_list_older button").click()
    page.wait_for_function(
        "(t) => { const c = document.querySelector(\".st-key-us_list [role='radiogroup'] > div\");"
        " return c && c.innerText !== t; }",
        arg=first,
    )
    wait_idle(page)
    page.wait_for_timeout(500)  # past the script's last retry
    # The next window (13 cards) is taller than the pane, so a top of 0 is the script's doing.
    assert left.evaluate("(pane) => pane.scrollHeight > pane.clientHeight + 100")
    assert left.evaluate("(pane) => pane.scrollTop") == 0
    assert page.locator(CARD).first.is_visible()
    assert page.errors == []  # the script ran without an error


def test_analysts_do_not_see_admin_in_navigation(browser, header_server) -> None:  # type: ignore[no-untyped-def]
    for email, expected in [("analyst@acme.example", 0), ("admin@acme.example", 1)]:
        context = browser.new_context(extra_http_headers={"X-Forwarded-Email": email})
        pg = context.new_page()
        pg.goto(header_server.url + "/users")
        wait_idle(pg)
        nav = pg.locator("[data-testid='stSidebarNav']")
        assert nav.get_by_text("Users").count() == 1
        assert nav.locator("a", has_text="Admin").count() == expected
        context.close()


def test_pages_fetch_nothing_from_other_sites(browser, server) -> None:  # type: ignore[no-untyped-def]
    """Every request of every page goes to the app's own server (the page icon among them:
    a Material symbol as page_icon was fetched from fonts.gstatic.com), so nothing leaks to
    a third party and an offline install shows no error."""
    with watched_page(browser, server.url, viewport={"width": 1600, "height": 1000}) as page:
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        for path in ("/users", LINK, "/session?session=ses_long"):
            open_link(page, path)  # waits for every element's code as well
        icon = page.locator("link[rel~='icon']").first.get_attribute("href") or ""
    assert icon.startswith("data:image/svg+xml"), icon[:80]
    offsite = sorted({u for u in requests if not u.startswith((server.url + "/", "data:"))})
    assert offsite == []


def test_compare_with_draws_its_choices_once_opened(browser, server) -> None:  # type: ignore[no-untyped-def]
    """The popover's choices are drawn only while it is open: opening it reruns the pane and
    they appear; a session typed by its id gives the link to the comparison."""
    with watched_page(browser, server.url, viewport={"width": 1366, "height": 768}) as page:
        open_link(page, LINK)
        box_label = "Or a session by its id"
        assert page.get_by_text(box_label).count() == 0  # closed: nothing drawn
        page.locator("[data-testid='stPopover'] button", has_text="Compare with").click()
        box = page.get_by_label(box_label)
        box.wait_for(timeout=30_000)
        box.fill("ses_big")
        box.press("Enter")
        link = page.get_by_role("link", name="Compare these two sessions")
        link.wait_for(timeout=30_000)
        href = link.get_attribute("href") or ""
        assert "a=ses_long" in href and "b=ses_big" in href
        screenshot(page, "compare-with-1366")


MARK = "[data-testid='stMarkdownContainer'] span.stMarkdownColoredBackground"
PADDING = "e => [getComputedStyle(e).paddingLeft, getComputedStyle(e).paddingRight]"


@pytest.mark.parametrize(
    "path",
    [
        "/search?q=xport",  # Search's results
        "/user?user=usr_ann&session=ses_long&item=sr_long1&find=xport",  # the details' Find
    ],
)
def test_a_match_inside_a_word_is_marked_without_a_gap(page, path: str) -> None:  # type: ignore[no-untyped-def]
    """ "e|xport": Streamlit pads a coloured background, which split the word on screen."""
    open_link(page, path)
    mark = page.locator(MARK).first
    assert mark.inner_text() == "xport"
    assert mark.evaluate(PADDING) == ["0px", "0px"]
