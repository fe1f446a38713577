"""The sidebar's session history: on every page, lazy while closed, stats, cards, filters."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from components import keys, sidebar_sessions
from tests.pages.client import Client, Open
from tests.pages.datasets import DataSet, history

DETAILS = keys.PAGE_SESSION
OPEN = {sidebar_sessions.KEEP_OPEN: True}  # as if the viewer had opened it


@pytest.fixture()
def history_app(client: Client, data_set: DataSet) -> Open:
    return client(data_set(history.build), DETAILS)


def sidebar_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.sidebar.markdown)


def links(block) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(label, query string) of the session links in a block."""
    return [(p.value, p.proto.query_string) for p in block.get("page_link")]


def latest(at: AppTest) -> list[str]:
    return [q.removeprefix("session=") for _, q in links(at.tabs[0])]


def viewed(at: AppTest) -> list[str]:
    return [q.removeprefix("session=") for _, q in links(at.tabs[1])]


@pytest.mark.parametrize("page", [keys.PAGE_USERS, DETAILS, keys.PAGE_USER])
def test_every_page_has_the_panel_closed_and_querying_nothing(
    history_app, statements, page: str
) -> None:
    at = history_app(page, session="ses_live", user="usr_ann")
    assert not at.exception
    assert [e.label for e in at.sidebar.expander] == ["Session history"]
    assert "today" not in sidebar_text(at) and not any(" AS today" in s for s in statements)


def test_quick_stats_of_the_organization(history_app, statements) -> None:
    at = history_app(keys.PAGE_USERS, state=OPEN)
    # today: live and deploy (not the archived one, not globex's); active: live;
    # 7 days: deploy completed, the export failed -> 50 %
    assert "**2** today · **1** active now  \n**50%** success, last 7 days" in sidebar_text(at)
    assert any(" AS today" in s for s in statements)


def test_latest_sessions_newest_first_with_older_pages(history_app) -> None:
    at = history_app(keys.PAGE_USERS, state=OPEN)
    first = ["ses_live", "ses_deploy", "ses_failed", *(f"ses_old{i}" for i in range(5))]
    assert latest(at) == first  # keyset page of 8; archived and globex never
    labels = [label for label, _ in links(at.tabs[0])]
    assert labels[1] == "Deploy the \\<b\\>API\\</b\\>"  # user text shown literally
    at.button(key=keys.HIS_MORE).click().run()
    assert latest(at) == [*first, *(f"ses_old{i}" for i in range(5, 10))]
    assert keys.HIS_MORE not in [b.key for b in at.button]  # no older page left


def test_status_filter_and_title_search(history_app) -> None:
    at = history_app(keys.PAGE_USERS, state=OPEN)
    at.sidebar.pills(key=keys.HIS_STATUS).set_value(["failed"]).run()
    assert latest(at) == ["ses_failed"]
    at.sidebar.pills(key=keys.HIS_STATUS).set_value([]).run()
    at.sidebar.text_input(key=keys.HIS_Q).set_value("DEPLOY").run()
    assert latest(at) == ["ses_deploy"]
    assert "newest 5,000 sessions" in " ".join(c.value for c in at.sidebar.caption)
    at.sidebar.text_input(key=keys.HIS_Q).set_value("nothing like it").run()
    assert latest(at) == [] and "No sessions match." in [c.value for c in at.sidebar.caption]


def test_recently_viewed_keeps_the_sessions_opened_here(history_app) -> None:
    at = history_app(DETAILS, session="ses_failed", state=OPEN)
    at.query_params[keys.P_SESSION] = "ses_deploy"
    at.switch_page(DETAILS).run()
    at.run()  # the panel runs before the page, so it lists the pushed ids from the next run
    assert viewed(at) == ["ses_deploy", "ses_failed"]


def test_a_session_chosen_on_user_sessions_is_first_in_the_open_panel(history_app) -> None:
    """The click reruns the panes' fragment and the open panel's, not the whole page."""
    at = history_app(keys.PAGE_USER, user="usr_ann", session="ses_failed", state=OPEN)
    at.radio(key=keys.US_LIST).set_value("ses_deploy").run()
    assert not at.exception
    assert not [r for r in at.radio if r.key == keys.US_LIST]  # the list was not drawn again
    assert viewed(at)[:2] == ["ses_deploy", "ses_failed"]


def test_recently_viewed_shows_nothing_of_another_org(history_app) -> None:
    state = OPEN | {sidebar_sessions.VIEWED: ["ses_globex", "ses_gone", "ses_live"]}
    at = history_app(keys.PAGE_USERS, state=state)
    assert viewed(at) == ["ses_live"]
    assert "Globex" not in " ".join(label for label, _ in links(at.sidebar))


def test_remember_puts_a_session_first_once_and_keeps_eight(monkeypatch) -> None:
    import streamlit as st

    monkeypatch.setattr(st, "session_state", {})
    for i in range(10):
        sidebar_sessions.remember(f"ses_{i}")
    sidebar_sessions.remember("ses_5")
    newest_first = ["ses_5", "ses_9", "ses_8", "ses_7", "ses_6", "ses_4", "ses_3", "ses_2"]
    assert st.session_state[sidebar_sessions.VIEWED] == newest_first
