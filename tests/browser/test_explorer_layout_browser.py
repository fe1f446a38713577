"""The User sessions page's layout in a real browser, at the widths people use.

From 1,280 px the three panes sit side by side and each scrolls by itself within the
viewport, so the page does not scroll; from 900 to 1,279 px the details go under the
timeline; below 900 px every pane stacks. A cold link opens with its card and its row in
view. Each width opens the page once and checks everything it can on it; the screenshots
(light and dark) are for a person to look at (test-output/screenshots/explorer-*.png).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from harness import open_link, screenshot, wait_for_query, watched_page

HEIGHT = 800
WIDE = [1920, 1600, 1366, 1280]  # three panes side by side
ITEM_LINK = "/user?user=usr_ann&session=ses_long&item=tc_long240"
SESSION_LINK = "/user?user=usr_ann&session=ses_ann55"  # the 59th card: past the first 50
CARD_PX = (56, 90)  # a compact card: three short lines
ROW_MAX_PX = 32  # a timeline row: one line
PAGE_SCROLL_MAX_PX = 4  # "does not scroll": rounding, not a scrollbar

# Each pane's box and scroll sizes; how far the page itself scrolls: the document and every
# scrolling ancestor of the panes (Streamlit scrolls its main section, not the document).
_MEASURE = """() => {
  const box = (key) => {
    const el = document.querySelector('.st-key-' + key);
    if (!el) return null;
    const b = el.getBoundingClientRect();
    return {top: b.top, bottom: b.bottom, left: b.left, right: b.right, width: b.width,
            scrollHeight: el.scrollHeight, clientHeight: el.clientHeight};
  };
  const scrolls = {document: document.scrollingElement.scrollHeight - innerHeight};
  const pane = document.querySelector('.st-key-us_left');
  for (let el = pane && pane.parentElement; el && el !== document.body; el = el.parentElement) {
    const overflow = getComputedStyle(el).overflowY;
    if (overflow === 'auto' || overflow === 'scroll') {
      scrolls[el.getAttribute('data-testid') || el.className] = el.scrollHeight - el.clientHeight;
    }
  }
  const header = document.querySelector("[data-testid='stHeader']");
  return {left: box('us_left'), center: box('us_center'), right: box('us_right'),
          viewport: innerHeight, scrolls,
          headerBottom: header ? header.getBoundingClientRect().bottom : 0};
}"""

# The chosen option of the radio `key` (the session list or the timeline): its index, text,
# box, its pane's box, and whether it is drawn unlike its unchosen neighbours.
_CHOSEN = """(key) => {
  const input = document.querySelector(`.st-key-${key} input:checked`);
  if (!input) return null;
  const option = input.closest("[role='radiogroup'] > div");
  const other = [...option.parentElement.children].find(o => o !== option);
  const look = (el) => { const s = getComputedStyle(el);
    return [s.backgroundColor, s.borderLeftColor].join(' '); };
  const pane = option.closest('.st-key-us_left, .st-key-us_center');
  const b = option.getBoundingClientRect(), p = pane.getBoundingClientRect();
  return {index: Number(input.value), text: option.innerText, top: b.top, bottom: b.bottom,
          paneTop: p.top, paneBottom: p.bottom, viewport: innerHeight,
          highlighted: !!other && look(option) !== look(other)};
}"""

# The heights of the options of the radio `key`.
_OPTION_HEIGHTS = """(key) => [...document.querySelectorAll(
  `.st-key-${key} [role='radiogroup'] > div`)].map(o => o.getBoundingClientRect().height)"""

# Scroll the left pane by itself; where it, the center pane and the page then are.
_SCROLL_LEFT = """() => {
  const pane = document.querySelector('.st-key-us_left');
  const center = document.querySelector('.st-key-us_center');
  const before = center.getBoundingClientRect().top;
  pane.scrollTop += 400;
  const main = document.querySelector("[data-testid='stMain']");
  return {paneScrollTop: pane.scrollTop, centerMoved: center.getBoundingClientRect().top - before,
          pageScrollTop: Math.max(document.scrollingElement.scrollTop, main ? main.scrollTop : 0)};
}"""

_LAYOUT_CSS = """() => [...document.querySelectorAll('style')]
  .some(s => s.textContent.includes('.st-key-us_left'))"""


@pytest.fixture(scope="module")
def light(browser, server) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """One page, reused by the widths: each test sizes it, then opens its link cold."""
    viewport = {"width": WIDE[0], "height": HEIGHT}
    with watched_page(browser, server.url, viewport=viewport, color_scheme="light") as page:
        yield page


def open_at(page, width: int, path: str, item: str | None = None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Size the page, open `path` cold, wait for the layout's CSS (and `item`'s details),
    and measure the panes."""
    page.set_viewport_size({"width": width, "height": HEIGHT})
    open_link(page, path)
    page.wait_for_function(_LAYOUT_CSS)
    if item is not None:
        page.locator(".st-key-us_item", has_text=item).wait_for()
    page.wait_for_timeout(300)  # the script that scrolls the selection into view
    return page.evaluate(_MEASURE)


def beside(a: dict[str, float], b: dict[str, float]) -> bool:
    """`a` left of `b` without overlap, their tops level."""
    return a["right"] <= b["left"] + 1 and abs(a["top"] - b["top"]) <= 40


def below(a: dict[str, float], b: dict[str, float]) -> bool:
    """`b` under `a`, starting where `a` ends or lower."""
    return b["top"] >= a["bottom"] - 1


def chosen_in_view(chosen: dict[str, Any] | None, what: str) -> list[str]:
    """What is wrong with how the chosen option shows: missing, plain, or out of view."""
    if chosen is None:
        return [f"{what}: no option is checked"]
    problems = []
    if not chosen["highlighted"]:
        problems.append(f"{what}: drawn like the options not chosen")
    if chosen["top"] < 0 or chosen["bottom"] > chosen["viewport"] + 1:
        problems.append(
            f"{what}: outside the viewport ({chosen['top']:.0f}-"
            f"{chosen['bottom']:.0f}, viewport {chosen['viewport']})"
        )
    if chosen["top"] < chosen["paneTop"] - 1 or chosen["bottom"] > chosen["paneBottom"] + 1:
        problems.append(
            f"{what}: outside its pane's visible box ({chosen['top']:.0f}-"
            f"{chosen['bottom']:.0f}, pane {chosen['paneTop']:.0f}-"
            f"{chosen['paneBottom']:.0f})"
        )
    return problems


def item_row_problems(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The linked call's row is the fourth of its window, checked and in view."""
    row = page.evaluate(_CHOSEN, "us_tl_items")
    problems = chosen_in_view(row, "the linked call's row")
    if row is not None and (row["index"] != 3 or "(+4:00.0)" not in row["text"]):
        problems.append(
            f"the checked row is #{row['index'] + 1}, {row['text']!r}: not "
            "tc_long240 (4th row, +4:00.0)"
        )
    return problems


def item_details_problems(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The details name the linked call as typed (markdown-escaped in the source, plain
    text on screen)."""
    problems = []
    details = page.locator(".st-key-us_item").inner_text()
    if "Tool call id: tc_long240" not in details or "call #240" not in details:
        problems.append(f"the details do not show tc_long240 as text: {details[:200]!r}")
    if not page.locator(".st-key-us_item").get_by_text("tc_long240").first.is_visible():
        problems.append("the details' id line is not visible")
    return problems


@pytest.mark.parametrize("width", WIDE)
def test_three_panes_side_by_side_each_scrolling_by_itself(light, width: int) -> None:  # type: ignore[no-untyped-def]
    m = open_at(light, width, ITEM_LINK, item="tc_long240")
    shot = screenshot(light, f"explorer-{width}-light")
    left, center, right = m["left"], m["center"], m["right"]
    problems = []
    if not (beside(left, center) and beside(center, right)):
        problems.append("the panes are not side by side")
    for name in ("left", "center", "right"):
        pane = m[name]
        if pane["bottom"] > m["viewport"] + 1:
            problems.append(
                f"the {name} pane ends at {pane['bottom']:.0f} px, below the "
                f"{m['viewport']} px viewport"
            )
    scrolled = {k: v for k, v in m["scrolls"].items() if v > PAGE_SCROLL_MAX_PX}
    if scrolled:
        problems.append(f"the page scrolls (px beyond the viewport): {scrolled}")
    sidebar = light.locator("[data-testid='stSidebar']").bounding_box()
    if sidebar is not None and sidebar["x"] + sidebar["width"] > 1:
        problems.append(f"the sidebar is open ({sidebar}): the page opens with it collapsed")

    # The cold link's card and row are chosen and in view; the cards are compact.
    card = light.evaluate(_CHOSEN, "us_list")
    problems += chosen_in_view(card, "the linked session's card")
    if card is not None and "Triage <script>alert(1)</script>" not in card["text"]:
        problems.append(f"the checked card is not ses_long's: {card['text']!r}")
    problems += item_row_problems(light) + item_details_problems(light)
    cards = light.evaluate(_OPTION_HEIGHTS, "us_list")
    rows = light.evaluate(_OPTION_HEIGHTS, "us_tl_items")
    if len(cards) != 50 or not all(CARD_PX[0] <= h <= CARD_PX[1] for h in cards):
        problems.append(
            f"{len(cards)} cards, heights {sorted(set(round(h) for h in cards))} "
            f"px, not 50 within {CARD_PX}"
        )
    if not rows or max(rows) >= ROW_MAX_PX:
        problems.append(f"timeline rows up to {max(rows, default=0):.0f} px: not one line")
    # Last, as it moves the list: the left pane scrolls by itself, nothing else moves.
    if left["scrollHeight"] <= left["clientHeight"] + 100:
        problems.append("the left pane holds 50 cards yet does not scroll by itself")
    else:
        moved = light.evaluate(_SCROLL_LEFT)
        if moved["paneScrollTop"] < 300 or moved["pageScrollTop"] or moved["centerMoved"]:
            problems.append(f"scrolling the left pane moved more than the pane: {moved}")
    assert problems == [], f"at {width} px ({shot}): {json.dumps(problems, indent=1)}; {m}"


@pytest.mark.parametrize("width", [1366, 1280])
def test_a_cold_link_past_the_first_window_shows_its_card(light, width: int) -> None:  # type: ignore[no-untyped-def]
    """ses_ann55 is Ann's 59th session: the list opens around it, three newer cards above."""
    open_at(light, width, SESSION_LINK)
    card = light.evaluate(_CHOSEN, "us_list")
    problems = chosen_in_view(card, "ses_ann55's card")
    if card is not None and (card["index"] != 3 or "Routine session 55" not in card["text"]):
        problems.append(
            f"the checked card is #{card['index'] + 1}, {card['text']!r}: not "
            "Routine session 55 (4th card)"
        )
    if not light.locator(".st-key-us_list_newer button").is_visible():
        problems.append("no Newer button above a window that does not start at the newest")
    if problems:
        shot = screenshot(light, f"explorer-session-link-{width}-failed", settle=False)
        raise AssertionError(f"at {width} px ({shot}): {json.dumps(problems, indent=1)}")


def test_at_1100_px_the_details_go_under_the_timeline_and_come_into_view(light) -> None:  # type: ignore[no-untyped-def]
    m = open_at(light, 1100, ITEM_LINK, item="tc_long240")
    shot = screenshot(light, "explorer-1100-light")
    left, center, right = m["left"], m["center"], m["right"]
    problems = []
    if not beside(left, center):
        problems.append("the left pane is not beside the timeline")
    if not below(center, right) or abs(right["left"] - center["left"]) > 1:
        problems.append("the details are not under the timeline")
    if left["bottom"] > m["viewport"] + 1:
        problems.append(
            f"the left pane ends at {left['bottom']:.0f} px, below the viewport: "
            "it does not scroll by itself"
        )
    problems += item_row_problems(light) + item_details_problems(light)

    # Choosing a row fills the details under the timeline: they scroll into view, their top
    # below Streamlit's header (which covers the top of the viewport).
    light.locator(".st-key-us_tl_items [role='radiogroup'] > div").nth(5).click()
    wait_for_query(light, session="ses_long", item="tc_long242")
    light.locator(".st-key-us_item", has_text="tc_long242").wait_for()
    in_band = """([low, high]) => {
      const t = document.querySelector('.st-key-us_right').getBoundingClientRect().top;
      return t >= low && t <= high;
    }"""
    band = [m["headerBottom"] - 1, HEIGHT / 2]
    try:
        light.wait_for_function(in_band, arg=band, timeout=5_000)
    except Exception:  # say where the pane went, with a picture
        top = light.evaluate(_MEASURE)["right"]["top"]
        after = screenshot(light, "explorer-1100-reveal-failed", settle=False)
        header = m["headerBottom"]
        problems.append(
            f"after a row click the details' top is at {top:.0f} px, not in "
            f"{band} (the header ends at {header:.0f} px): {after}"
        )
    assert problems == [], f"at 1,100 px ({shot}): {json.dumps(problems, indent=1)}; {m}"


def test_below_900_px_the_panes_stack(light) -> None:  # type: ignore[no-untyped-def]
    m = open_at(light, 800, ITEM_LINK, item="tc_long240")
    shot = screenshot(light, "explorer-800-light")
    left, center, right = m["left"], m["center"], m["right"]
    assert below(left, center) and below(center, right), (shot, m)
    assert max(p["left"] for p in (left, center, right)) - left["left"] <= 1, (shot, m)
    assert min(p["width"] for p in (left, center, right)) >= 0.95 * left["width"], (shot, m)


# The app's background as [r, g, b]: the dark theme's is dark.
_BACKGROUND = """() => getComputedStyle(document.querySelector("[data-testid='stApp']"))
  .backgroundColor.match(/\\d+/g).slice(0, 3).map(Number)"""


def test_dark_screenshots_of_a_cold_item_link(browser, server) -> None:  # type: ignore[no-untyped-def]
    """The same link in the dark theme at every width; light ones come from the tests above."""
    viewport = {"width": WIDE[0], "height": HEIGHT}
    with watched_page(browser, server.url, viewport=viewport, color_scheme="dark") as page:
        for width in (*WIDE, 1100, 800):
            open_at(page, width, ITEM_LINK, item="tc_long240")
            shot = screenshot(page, f"explorer-{width}-dark")
            assert max(page.evaluate(_BACKGROUND)) < 80, f"not the dark theme: {shot}"
            assert item_details_problems(page) == [], shot
