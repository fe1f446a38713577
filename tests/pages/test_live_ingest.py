"""Live ingest seen by the explorer: a link to a session that has not arrived yet works as
soon as it has, and a session that grows shows its new calls without waiting for a TTL."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from sessionscope.ingest.mapping import map_spans, short_hash
from sessionscope.ingest.receiver import ingest
from sessionscope.ingest.spans import spans_of
from tests import factories
from tests.conftest import DatabaseFactory
from tests.otlp_traces import IDLE, halves, recorded
from tests.pages.client import Client, open_app
from tests.pages.datasets import ANALYST
from tests.pages.explorer_view import PAGE, card_titles
from tests.pages.explorer_view import plain_texts as texts


@pytest.fixture()
def live(client: Client, backend: str, databases: DatabaseFactory) -> Iterator[sa.Engine]:
    """acme and its analyst, nothing recorded yet; the app opens on it."""
    engine = databases.engine(backend)
    with engine.begin() as conn:
        acme = factories.org(conn, id="org_acme", slug="acme")
        factories.member(conn, acme, email=ANALYST)
    client(engine)
    yield engine
    engine.dispose()


open_user = functools.partial(open_app, PAGE)


def test_a_link_to_a_session_that_arrives_later_opens_once_it_has(live: sa.Engine) -> None:
    request = recorded("v2-recorder-stdio.binpb")
    first = min(map_spans("org_acme", spans_of(request)).calls, key=lambda c: c.started_at)
    external = f"{first.session_key}@{int(first.started_at.timestamp() * 1000)}"
    if first.session_key.startswith("sid:"):
        external = first.session_key
    session_id = "ses_" + short_hash("org_acme", "otlp", external)
    link = {"user": "user-42", "session": session_id}
    before = open_user(**link)
    assert "not available" in texts(before)
    ingest(live, org_id="org_acme", request=request, idle=IDLE)
    after = open_user(**link)
    assert not after.exception
    assert "not available" not in texts(after)
    assert "search_docs" in texts(after)


def test_a_growing_session_shows_its_new_calls_at_once(live: sa.Engine) -> None:
    early, late = halves(recorded("v2-recorder-stdio.binpb"))
    ingest(live, org_id="org_acme", request=early, idle=IDLE)
    first = open_user(user="user-42")
    (title,) = card_titles(first)
    assert "get_page" not in title or "fail" not in texts(first)
    ingest(live, org_id="org_acme", request=late, idle=IDLE)
    again = open_user(user="user-42")
    assert not again.exception
    assert "5 calls" in texts(again) or "5 tool calls" in texts(again), texts(again)
