"""Metric cards in a real browser: no number, label or delta is cut at any width from 800 px.

Issue 14 saw "14.…", "409…" and "806…" on Session details at 1,280 px and in the Admin KPIs
at 800 px: the cards sat in fixed columns narrower than their numbers.
"""

from __future__ import annotations

import pytest

from harness import screenshot, wait_idle

WIDTHS = (800, 1280, 1366, 1600)
PAGES = {
    "mcp": ("/session?session=ses_demo_huge", 6),
    "workflow": ("/session?session=ses_demo_paused", 4),
    "admin": ("/admin?tab=Analytics", 7),
}
# Every text element of every metric whose content is wider than its box (cut off, with or
# without an ellipsis), with its metric's label.
_CUT = """() => [...document.querySelectorAll("[data-testid='stMetric']")].flatMap((metric) =>
  [...metric.querySelectorAll(
    "[data-testid='stMetricValue'], [data-testid='stMetricValue'] *, "
    + "[data-testid='stMetricLabel'] p, [data-testid='stMetricDelta'] *")]
    .filter((e) => e.scrollWidth > e.clientWidth + 1)
    .map((e) => [metric.innerText.split("\\n")[0], e.innerText, e.scrollWidth, e.clientWidth]))"""
_VALUES = """() => [...document.querySelectorAll("[data-testid='stMetricValue']")]
  .map((e) => e.innerText)"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(PAGES))
def test_no_metric_is_cut_at_any_width(browser, demo_server, name: str, width: int) -> None:  # type: ignore[no-untyped-def]
    path, cards = PAGES[name]
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    page.goto(demo_server.url + path)
    wait_idle(page)
    metrics = page.locator("[data-testid='stMetric']")
    metrics.first.wait_for(timeout=30_000)
    assert metrics.count() == cards
    values = page.evaluate(_VALUES)
    assert all(v.strip() and "…" not in v for v in values), values
    shot = screenshot(page, f"metrics-{name}-{width}")
    assert page.evaluate(_CUT) == [], f"cut off at {width} px: see {shot}"
    context.close()
