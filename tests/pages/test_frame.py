"""The frame: identity, roles, navigation, demo mode, organization switcher, database errors."""

from __future__ import annotations

from components import keys
from tests.pages.client import open_app
from tests.pages.explorer_view import texts


def test_a_non_member_sees_only_no_access_and_their_email(app) -> None:
    at = app(email="stranger@elsewhere.example")
    assert not at.exception
    assert [t.value for t in at.title] == ["No access"]
    assert [c.value for c in at.code] == ["stranger@elsewhere.example"]
    assert "Ann" not in texts(at) and not at.dataframe


def test_signed_out_without_demo_explains_how_to_sign_in(app) -> None:
    at = app(email=None)
    assert "No identity" in texts(at) and not at.dataframe


def test_demo_mode_acts_as_the_acme_admin_with_a_banner(app, monkeypatch) -> None:
    monkeypatch.setenv("SESSIONSCOPE_DEMO", "1")
    at = app(email=None)
    assert not at.exception
    assert "Demo mode" in at.info[0].value and "admin" in at.info[0].value
    assert "Ann Lee" in list(at.dataframe[0].value["display_name"])


def test_an_analyst_typing_admin_gets_admins_only(app) -> None:
    at = app(keys.PAGE_ADMIN, email="analyst@acme.example")
    assert not at.exception
    assert "Admins only" in at.error[0].value and not at.dataframe


def test_a_member_of_two_orgs_switches_organization(app) -> None:
    at = app(email="consultant@partner.example")
    assert "Ann Lee" in list(at.dataframe[0].value["display_name"])
    at.selectbox(key="frame_org").set_value("globex").run()
    names = list(at.dataframe[0].value["display_name"])
    assert names == ["Gus Secret"]


def test_users_search_is_read_from_the_url(app) -> None:
    at = app(email="analyst@acme.example", q="STONE")
    assert not at.exception
    assert list(at.dataframe[0].value["display_name"]) == ["Bob <b>Stone</b>"]


def test_users_list_counts_sessions_and_tickets(app) -> None:
    at = app(email="analyst@acme.example")
    df = at.dataframe[0].value.set_index("display_name")
    assert df.loc["Ann Lee", "session_count"] == 63  # archived not counted
    assert df.loc["Ann Lee", "ticket_count"] == 2
    assert "Gus Secret" not in df.index


def test_unreachable_database_gives_a_message_and_retry(monkeypatch) -> None:
    import streamlit as st

    st.cache_resource.clear()
    st.cache_data.clear()  # a viewer or page cached by an earlier test would not ask the database
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u:hunter2@127.0.0.1:1/nope")
    at = open_app()  # as analyst@acme.example
    assert not at.exception
    assert "not available" in at.error[0].value and "hunter2" not in at.error[0].value
    assert at.button(key="frame_retry")
    st.cache_resource.clear()
