"""The explorer in a real browser: cold links, clicks and the URL, Back, layout, roles."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.conftest import open_link, screenshot, wait_for_query, wait_idle, watched_page

LINK = "/user?user=usr_ann&session=ses_long&item=tc_long010"
CARD = "[class*='st-key-us_card_'][class*='_open']"  # a card's title button
ROW = "[class*='st-key-us_row_']"


@pytest.fixture()
def page(browser, server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    with watched_page(browser, server.url, viewport={"width": 1600, "height": 1000}) as pg:
        yield pg


def test_a_shared_link_opened_cold_fills_all_three_panes(page) -> None:  # type: ignore[no-untyped-def]
    open_link(page, LINK)
    assert page.get_by_text("Page not found").count() == 0
    assert page.locator(CARD).count() == 50
    assert page.locator(ROW).count() == 200
    assert page.get_by_text("rate limited").first.is_visible()  # the tool call's error
    # Hostile text is shown as text and runs nothing.
    assert page.get_by_text("Triage <script>alert(1)</script>").first.is_visible()
    assert page.dialogs == []
    screenshot(page, "user-sessions-1600")


def test_clicks_write_the_url_and_back_restores(page) -> None:  # type: ignore[no-untyped-def]
    open_link(page, "/user?user=usr_ann&session=ses_long")
    page.locator(f"{ROW}:has-text('Export fails') button").click()
    wait_for_query(page, session="ses_long", item="sr_long1")
    assert page.get_by_text("The export button fails").is_visible()
    page.locator("[class*='st-key-us_card_ses_big'] button").first.click()
    wait_for_query(page, session="ses_big", item=None)
    page.go_back()
    wait_for_query(page, session="ses_long", item="sr_long1")
    assert page.get_by_text("The export button fails").is_visible()


def _pane_boxes(page) -> list[dict]:  # type: ignore[no-untyped-def]
    # st.html (which carries the layout's media queries) renders a moment after the run.
    page.wait_for_function(
        "() => [...document.querySelectorAll('style')]"
        ".some(s => s.textContent.includes('us_panes'))"
    )
    page.wait_for_timeout(200)
    cols = page.locator("[class*='st-key-us_panes'] [data-testid='stColumn']")
    return [cols.nth(i).bounding_box() for i in range(3)]


@pytest.mark.parametrize(("width", "layout"), [(1600, "three"), (1100, "two-over-one"),
                                               (700, "stacked")])  # fmt: skip
def test_layout_follows_the_width(page, width: int, layout: str) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": width, "height": 1000})
    open_link(page, LINK)
    left, center, right = _pane_boxes(page)
    screenshot(page, f"user-sessions-{width}")
    if layout == "three":
        assert left["y"] == center["y"] == right["y"] and left["x"] < center["x"] < right["x"]
    elif layout == "two-over-one":
        assert left["y"] == center["y"] and right["y"] > left["y"] + 100
        assert right["width"] > 0.9 * (center["x"] + center["width"] - left["x"])
    else:
        assert left["y"] < center["y"] < right["y"]


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
