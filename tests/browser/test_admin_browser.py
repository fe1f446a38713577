"""The Admin page in a real browser: the sessions table and the analytics, in both themes; the
open tab and the audit log's filters in the URL."""

from __future__ import annotations

import re

import pytest

from harness import screenshot, wait_for_query, wait_idle

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
    assert page.get_by_text("Show archived").is_visible()  # the filter bar, in this tab too
    # The filters stay (repeated, as given), and the open tab joins them.
    assert page.url.endswith("?status=completed&status=failed&tab=Analytics"), page.url
    assert errors == []
    screenshot(page, f"admin-analytics-{scheme}")
    context.close()


def test_a_copied_link_reopens_the_audit_tab_and_its_filter(browser, demo_server) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1600, "height": 1400})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{demo_server.url}/admin?status=failed")
    wait_idle(page)
    page.get_by_role("tab", name="Audit log").click()
    wait_for_query(page, tab="Audit log", status="failed")  # the label, as the tabs write it
    who = page.get_by_label("Who")
    who.fill("admin")
    who.press("Enter")
    wait_for_query(page, tab="Audit log", status="failed", actor="admin")
    assert page.locator("[data-testid='stException']").count() == 0
    link = page.url
    assert "tab=Audit+log" in link or "tab=Audit%20log" in link, link

    again = context.browser.new_context(viewport={"width": 1600, "height": 1400}).new_page()
    again.on("pageerror", lambda exc: errors.append(str(exc)))
    again.goto(link)
    wait_idle(again)
    assert again.locator("[data-testid='stException']").count() == 0
    assert again.get_by_role("tab", name="Audit log").get_attribute("aria-selected") == "true"
    assert again.get_by_role("tab", name="Sessions").get_attribute("aria-selected") == "false"
    assert again.get_by_label("Who").input_value() == "admin"
    # The sessions' filter bar narrows neither the log nor the tokens: not drawn here.
    assert again.get_by_text("Show archived").count() == 0
    log = again.locator("[data-testid='stDataFrame']")
    log.first.wait_for(timeout=30_000)
    assert again.get_by_text(re.compile(r"^Entries 1–\d+ · page 1$")).is_visible()
    assert again.url == link  # nothing was rewritten
    assert errors == []
    screenshot(again, "admin-audit-link")
    again.context.close()
    context.close()
