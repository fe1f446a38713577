"""The Admin page in a real browser: the sessions table and the analytics, in both themes."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import screenshot, wait_idle

CHARTS = "[data-testid='stPlotlyChart']"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_admin_table_and_analytics(browser, demo_server, scheme: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1600, "height": 2400}, color_scheme=scheme)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{demo_server.url}/admin?status=completed&status=failed")
    wait_idle(page)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_role("heading", name="Admin").is_visible()
    table = page.locator("[data-testid='stDataFrame']")
    table.first.wait_for(timeout=30_000)
    assert page.get_by_text(re.compile(r"^1–50 of [\d,]+ sessions · page 1$")).is_visible()
    screenshot(page, f"admin-sessions-{scheme}")

    page.get_by_role("tab", name="Analytics").click()
    wait_idle(page)
    charts = page.locator(CHARTS)
    charts.first.wait_for(timeout=30_000)
    assert charts.count() == 6
    # Every chart drew something: plotly's SVG has a plot area with marks, or says "No data".
    for i in range(6):
        chart = charts.nth(i)
        chart.locator(".main-svg").first.wait_for(timeout=30_000)
        marks = chart.locator(".point, .bars path, .trace path, .funnellayer path").count()
        assert marks > 0, f"chart {i} drew nothing"
    assert page.get_by_text("Success rate", exact=False).first.is_visible()
    assert page.url.endswith("status=completed&status=failed"), page.url  # filters stay
    assert errors == []
    screenshot(page, f"admin-analytics-{scheme}")
    context.close()
