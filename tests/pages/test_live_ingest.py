"""Live ingest seen by the explorer: a link to a session that has not arrived yet works as
soon as it has, and a session that grows shows its new calls without waiting for a TTL."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

from components import keys
from sessionscope.ingest.mapping import map_spans, short_hash
from sessionscope.ingest.receiver import ingest
from sessionscope.ingest.spans import spans_of
from sessionscope.schema import sessions, tool_calls
from tests import factories
from tests.conftest import DatabaseFactory
from tests.otlp_traces import IDLE, halves, recorded
from tests.pages.client import Client, open_app
from tests.pages.datasets import ANALYST
from tests.pages.explorer_view import PAGE, card_ids, card_titles, selected_card
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


ALIKE = "search_docs “install”"  # a session's title: its first call


@pytest.fixture()
def alike(live: sa.Engine) -> sa.Engine:
    """usr_u's two sessions titled alike: ses_a, newer and active, with a call (tc_a1),
    and ses_b."""
    with live.begin() as conn:
        acme = {"id": "org_acme"}
        user = factories.end_user(conn, acme, id="usr_u", distinct_id="u-1")
        srv = factories.server(conn, acme, id="srv_docs")
        for sid, status, hour in (("ses_a", "active", 2), ("ses_b", "completed", 1)):
            at = factories.T0 + timedelta(hours=hour)
            ses = factories.session(
                conn, acme, user, srv, id=sid, title=ALIKE, status=status, started_at=at
            )
            if sid == "ses_a":
                factories.tool_call(conn, ses, id="tc_a1", tool_name="search_docs")
    return live


def _retitle_a(engine: sa.Engine, at: AppTest) -> None:
    """ses_a's next call arrives: its title grows, and the list's next refresh (a run) draws
    the new labels; the browser has not shown them yet."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(sessions).where(sessions.c.id == "ses_a").values(title=f"{ALIKE} → get_page")
        )
    st.cache_data.clear()
    at.run()
    assert "get\\_page" in _label_of(at, "ses_a")


def _label_of(at: AppTest, session_id: str) -> str:
    radio = at.radio(key=keys.US_LIST)
    return radio.options[card_ids(at).index(session_id)]


def _send(at: AppTest, key: str, label: str) -> AppTest:
    """Run with the radio `key` sending `label`, as the browser sends the label it shows."""
    return _sending(at, key, label).run()


def _sending(at: AppTest, key: str, label: str) -> AppTest:
    """The next run's request carries `label` as the radio `key`'s value (with whatever else
    the test changes before it runs)."""
    radio = at.radio(key=key)

    class Sent(type(radio)):  # type: ignore[misc]
        @property
        def _widget_state(self) -> WidgetState:
            return WidgetState(id=self.id, string_value=label)

    radio.__class__ = Sent
    return at


def test_a_chosen_card_retitled_by_a_refresh_stays_chosen(alike: sa.Engine) -> None:
    """The browser sends the chosen card's label as it was (another fragment's refresh
    carries it); since the title grew, the other card reads what it read (with a position
    mark, both labels used to be alike). The session stays chosen and so does its item: the
    old label does not choose the session anew."""
    at = open_user(user="usr_u", session="ses_a", item="tc_a1")
    stale = _label_of(at, "ses_a")
    _retitle_a(alike, at)
    _send(at, keys.US_LIST, stale)
    assert not at.exception
    assert at.query_params[keys.P_SESSION] == "ses_a"
    assert at.query_params[keys.P_ITEM] == "tc_a1"
    assert selected_card(at.run()) == "ses_a"  # the list's next refresh


def test_a_card_clicked_while_the_chosen_rows_old_label_is_sent_again_opens_alone(
    alike: sa.Engine,
) -> None:
    """A refresh of the panes relabelled the chosen row (its call finished), and the click on
    another card was sent before the browser drew it: the request carries the card and the
    row's old label. The card clears the item; the old label must not choose the row of the
    session left behind in the new one."""
    at = open_user(user="usr_u", session="ses_a", item="tc_a1")
    stale = at.radio(key=keys.US_TL_ITEMS).options[0]  # tc_a1's row, the only one
    with alike.begin() as conn:
        conn.execute(sa.update(tool_calls).where(tool_calls.c.id == "tc_a1").values(duration_ms=7))
    st.cache_data.clear()
    at.run()
    assert at.radio(key=keys.US_TL_ITEMS).options[0] != stale  # the row reads anew
    _sending(at, keys.US_TL_ITEMS, stale).radio(key=keys.US_LIST).set_value("ses_b").run()
    assert not at.exception
    assert at.query_params[keys.P_SESSION] == "ses_b"
    assert keys.P_ITEM not in at.query_params
    assert "not available" not in texts(at), texts(at)


def test_a_click_on_a_card_retitled_meanwhile_opens_its_session(alike: sa.Engine) -> None:
    """The refresh that retitled the card had not reached the browser when it was clicked."""
    at = open_user(user="usr_u", session="ses_b")
    clicked = _label_of(at, "ses_a")
    _retitle_a(alike, at)
    _send(at, keys.US_LIST, clicked)
    assert not at.exception
    assert at.query_params[keys.P_SESSION] == "ses_a"
