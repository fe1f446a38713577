"""Session details in a real browser, in the light and the dark theme."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, wait_idle


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("session", ["ses_demo_paused", "ses_demo_huge"])
def test_session_details_in_both_themes(browser, demo_server, scheme: str, session: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1440, "height": 1100}, color_scheme=scheme)
    page = context.new_page()
    page.goto(f"{demo_server.url}/session?session={session}")
    wait_idle(page)
    assert page.get_by_text("Page not found").count() == 0
    charts = page.locator("[data-testid='stPlotlyChart']")
    charts.first.wait_for(timeout=30_000)
    assert charts.count() == 3
    background = page.locator("[data-testid='stApp']").evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    red, green, blue = (int(v) for v in background[background.index("(") + 1 : -1].split(",")[:3])
    assert (red + green + blue < 200) == (scheme == "dark"), background
    if session == "ses_demo_paused":
        assert page.get_by_role("button", name="Resume").first.is_visible()
    screenshot(page, f"session-details-{session}-{scheme}")
    context.close()
