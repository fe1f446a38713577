"""Session details in a real browser, in the light and the dark theme."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import screenshot, wait_idle


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


def _audited(demo_server, action: str) -> list[tuple[str, object]]:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from sessionscope.db import make_engine
    from sessionscope.schema import audit_log

    engine = make_engine(demo_server.database_url)
    a = audit_log.c
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(a.target_id, a.detail).where(a.action == action))
            return [tuple(r) for r in rows]
    finally:
        engine.dispose()


def test_downloads_are_read_when_clicked_and_payloads_audited_then(browser, demo_server) -> None:  # type: ignore[no-untyped-def]
    """Streamlit runs a download's callable in a worker thread when the browser asks for the
    file: the export is read from its temporary file, the payload from the database (with
    its audit entry) only then."""
    context = browser.new_context(viewport={"width": 1440, "height": 1100}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{demo_server.url}/session?session=ses_demo_paused")
    wait_idle(page)
    page.get_by_role("button", name="Prepare export").click()
    button = page.get_by_role("button", name="JSON ·")
    button.wait_for(timeout=60_000)
    with page.expect_download(timeout=60_000) as download:
        button.click()
    [session] = json.loads(Path(download.value.path()).read_bytes())
    assert session["id"] == "ses_demo_paused"

    item = _first_call_with_input(demo_server)
    page.goto(
        f"{demo_server.url}/user?user={item['user']}&session={item['session']}&item={item['id']}"
    )
    wait_idle(page)
    before = _audited(demo_server, "payload.download")
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Download input JSON").click()
    body = Path(download.value.path()).read_bytes()
    assert json.loads(body) == item["input"]
    after = _audited(demo_server, "payload.download")
    assert after[len(before) :] == [
        (item["id"], {"field": "input", "bytes": len(body), "ids": [item["id"]]})
    ]
    context.close()


def _first_call_with_input(demo_server) -> dict:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from sessionscope.db import make_engine
    from sessionscope.schema import sessions, tool_calls

    engine = make_engine(demo_server.database_url)
    c, s = tool_calls.c, sessions.c
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.select(c.id, c.session_id, s.end_user_id, c.input)
                .join(sessions, s.id == c.session_id)
                .where(s.org_id == "org_acme", s.archived_at.is_(None), c.input.is_not(None))
                .where(c.method == "tools/call", s.id != "ses_demo_huge")
                .order_by(c.id)
                .limit(1)
            ).one()
    finally:
        engine.dispose()
    return {"id": row.id, "session": row.session_id, "user": row.end_user_id, "input": row.input}
