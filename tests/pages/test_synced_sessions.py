"""Sessions synced from MCPlatform in the explorer: shown with their calls, and the empty
ones MCPlatform records per connection hidden until asked for."""

from __future__ import annotations

import functools

import pytest
import sqlalchemy as sa

from components import keys
from tests.mcplatform_db import run
from tests.pages.client import Client, open_app
from tests.pages.explorer_view import PAGE, card_titles
from tests.pages.explorer_view import plain_texts as texts


@pytest.fixture()
def synced(client: Client, fresh_engine: sa.Engine, mcplatform_url: str) -> sa.Engine:
    run(fresh_engine, mcplatform_url)
    with fresh_engine.begin() as conn:
        org = conn.execute(sa.text("SELECT id FROM organizations WHERE slug = 'acme'")).scalar()
        conn.execute(
            sa.text(
                "INSERT INTO members (id, org_id, email, role, created_at) "
                "VALUES ('mem_view', :org, 'analyst@acme.example', 'analyst', '2026-11-01')"
            ),
            {"org": org},
        )
    client(fresh_engine)
    return fresh_engine


open_user = functools.partial(open_app, PAGE)


def owner_of(engine: sa.Engine, external_id: str) -> str:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT end_user_id FROM sessions WHERE external_id = :e"), {"e": external_id}
        ).scalar_one()


def test_a_synced_session_shows_its_calls_and_ticket(synced: sa.Engine) -> None:
    with synced.connect() as conn:
        session_id, user_id = conn.execute(
            sa.text("SELECT id, end_user_id FROM sessions WHERE external_id = 's1'")
        ).one()
    at = open_user(user=user_id, session=session_id)
    assert not at.exception
    assert len(card_titles(at)) == 1
    assert "get_support" in texts(at) and "Stuck" in texts(at)


def test_a_synced_tickets_pane_shows_its_activity(synced: sa.Engine) -> None:
    with synced.connect() as conn:
        session_id, user_id, ticket = conn.execute(
            sa.text(
                "SELECT s.id, s.end_user_id, t.id FROM sessions s "
                "JOIN support_tickets t ON t.session_id = s.id WHERE s.external_id = 's1'"
            )
        ).one()
    at = open_user(user=user_id, session=session_id, item=ticket)
    assert not at.exception
    shown = texts(at)
    assert "Activity" in shown and "al@acme.example" in shown
    assert shown.index("Retry with") < shown.index('"from": "pending"')  # in time order


def test_empty_synced_sessions_are_hidden_until_asked_for(synced: sa.Engine) -> None:
    at = open_user(user=owner_of(synced, "s4"))
    assert card_titles(at) == []
    toggle = at.toggle(key=keys.US_EMPTY)
    assert toggle.label == "Show 1 empty synced session"
    at = toggle.set_value(True).run()
    assert len(card_titles(at)) == 1
