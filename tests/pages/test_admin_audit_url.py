"""The Admin page's view state in the URL: the open tab (`tab`, bound to the tabs) and the
audit log's filters (`actor`, `action`), read from a link, checked as hostile input, and
kept when another filter changes.

AppTest does not copy a bound widget's value into `at.query_params` (the browser does; see
tests/browser/test_admin_browser.py), so a tab chosen here shows in session state, and a
`tab` given in the link stays in `at.query_params` only as long as nothing drops it.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from streamlit.runtime.state.query_params import QueryParams
from streamlit.testing.v1 import AppTest

from components.admin import keys as ak
from sessionscope import audit
from tests.pages.admin_view import shown
from tests.pages.client import Open
from tests.pages.datasets import ADMIN
from tests.pages.explorer_view import texts

ANN, BOB = "ann@acme.example", "bob@acme.example"


@pytest.fixture()
def logged(writer: Open, fresh: sa.Engine) -> Open:
    """The Admin data set plus audit entries by two acme actors, and one of Globex whose
    action acme's log does not have."""
    with fresh.begin() as conn:
        for org, actor, action, ids in (
            ("org_acme", ANN, "sessions.archive", ["ses_a1"]),
            ("org_acme", BOB, "sessions.restore", ["ses_a1"]),
            ("org_acme", ANN, "sessions.export_csv", ["ses_a2", "ses_a3"]),
            ("org_globex", "admin@globex.example", "tokens.revoke", ["tok_g1"]),
        ):
            audit.record(
                conn,
                org_id=org,
                actor_email=actor,
                action=action,
                target_type="session",
                target_ids=ids,
            )
    return writer


def open_tab(at: AppTest) -> str:
    """Which tab's content the run drew (the tabs are lazy: only the open one runs)."""
    keys = {w.key for kind in ("text_input", "number_input") for w in at.get(kind)}
    keys |= {w.key for w in at.get("button_group")}
    drawn = [
        label
        for label, here in (
            (ak.TAB_SESSIONS, ak.SORT in keys),
            (ak.TAB_ANALYTICS, bool(at.get("plotly_chart"))),
            (ak.TAB_AUDIT, ak.AUDIT_ACTOR in keys),
            (ak.TAB_TOKENS, ak.TOK_NAME in keys),
            (ak.TAB_POLICY, ak.POL_DAYS in keys),
        )
        if here
    ]
    assert len(drawn) == 1, drawn
    return drawn[0]


def log(at: AppTest) -> list[tuple[str, str]]:
    """(who, action) of each audit entry shown, newest first."""
    if not at.dataframe:
        return []
    rows = at.dataframe[0].value
    return list(zip(rows["actor_email"], rows["action"], strict=True))


# --- the open tab ---------------------------------------------------------------------------


@pytest.mark.parametrize("label", ak.TAB_LABELS)
def test_a_link_opens_its_tab(logged, label: str) -> None:
    at = logged(tab=label)
    assert not at.exception and not at.warning
    assert at.session_state[ak.TABS] == label
    assert open_tab(at) == label


@pytest.mark.parametrize(
    "bad", ["Bogus", "audit log", "Audit log ", "<script>alert(1)</script>", "x" * 100_000]
)
def test_an_unknown_tab_is_dropped_with_a_message_and_sessions_open(logged, bad: str) -> None:
    at = logged(tab=bad, status="failed")
    assert not at.exception
    [warning] = at.warning
    assert "unknown `tab`" in warning.value and len(warning.value) < 400
    assert "<script>" not in warning.value
    assert dict(at.query_params) == {"status": "failed"}  # dropped, the filter kept
    assert open_tab(at) == ak.TAB_SESSIONS
    assert set(shown(at)) == {"ses_a2", "ses_p2"}


def test_the_default_tab_leaves_the_url(logged) -> None:
    at = logged(tab=ak.TAB_SESSIONS)
    assert not at.exception and not at.warning
    assert ak.P_TAB not in at.query_params and open_tab(at) == ak.TAB_SESSIONS


def test_the_tab_survives_a_filter_change(logged, monkeypatch) -> None:
    # The filter bar is in the Sessions and Analytics tabs; Analytics is not the default.
    at = logged(tab=ak.TAB_ANALYTICS, status="failed")
    sent: list[str] = []  # URL updates: each is a browser history entry
    send = QueryParams._send_query_param_msg
    monkeypatch.setattr(
        QueryParams, "_send_query_param_msg", lambda qp: (sent.append(str(qp)), send(qp))[1]
    )
    at.text_input(key=ak.F_Q).input("rollback").run()
    assert not at.exception
    assert dict(at.query_params) == {"tab": ak.TAB_ANALYTICS, "status": "failed", "q": "rollback"}
    assert open_tab(at) == ak.TAB_ANALYTICS
    at.pills(key=ak.F_STATUS).set_value([]).run()  # a removal keeps it too
    assert not at.exception
    assert dict(at.query_params) == {"tab": ak.TAB_ANALYTICS, "q": "rollback"}
    at.text_input(key=ak.F_USER).input("ann").run()
    sent.clear()
    at.button(key=ak.F_CLEAR).click().run()  # two params go, in one update
    assert not at.exception and len(sent) == 1
    assert dict(at.query_params) == {"tab": ak.TAB_ANALYTICS} and open_tab(at) == ak.TAB_ANALYTICS


def test_a_bad_filter_in_a_link_with_a_tab_keeps_the_tab(logged) -> None:
    at = logged(tab=ak.TAB_ANALYTICS, status="bogus", user="ann")
    assert not at.exception
    assert "unknown `status`" in at.warning[0].value
    assert dict(at.query_params) == {"tab": ak.TAB_ANALYTICS, "user": "ann"}
    assert open_tab(at) == ak.TAB_ANALYTICS


# --- the audit log's filters ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"actor": "ann"}, [(ANN, "sessions.export_csv"), (ANN, "sessions.archive")]),
        ({"action": "sessions.restore"}, [(BOB, "sessions.restore")]),
        (
            {"action": "sessions.restore,sessions.archive"},
            [(BOB, "sessions.restore"), (ANN, "sessions.archive")],
        ),
        ({"actor": "ANN", "action": "sessions.archive"}, [(ANN, "sessions.archive")]),
        ({"actor": "nobody"}, []),
    ],
)
def test_a_link_with_audit_filters_shows_the_filtered_log(logged, params, expected) -> None:
    at = logged(tab=ak.TAB_AUDIT, **params)
    assert not at.exception and not at.warning
    assert log(at) == expected
    assert dict(at.query_params) == {"tab": ak.TAB_AUDIT, **params}  # a valid link stays
    if not expected:
        assert "No audit entries match." in texts(at)


def test_the_audit_widgets_show_what_the_url_says(logged) -> None:
    at = logged(tab=ak.TAB_AUDIT, actor="bob", action="sessions.restore,sessions.archive")
    assert at.text_input(key=ak.AUDIT_ACTOR).value == "bob"
    assert at.multiselect(key=ak.AUDIT_ACTIONS).value == ["sessions.restore", "sessions.archive"]


def test_repeated_action_params_are_read_too(logged) -> None:
    at = logged(tab=ak.TAB_AUDIT, action=["sessions.restore", "sessions.archive"])
    assert not at.exception and not at.warning
    assert log(at) == [(BOB, "sessions.restore"), (ANN, "sessions.archive")]
    assert at.query_params["action"] == ["sessions.restore", "sessions.archive"]  # left as is


@pytest.mark.parametrize(
    ("params", "message", "kept", "expected"),
    [
        (
            {"action": "bogus"},
            "unknown `action` “bogus”",
            {},
            [
                (ADMIN, "admin.view"),  # this visit's
                (ANN, "sessions.export_csv"),
                (BOB, "sessions.restore"),
                (ANN, "sessions.archive"),
            ],
        ),
        (
            {"action": "sessions.restore,bogus"},
            "unknown `action`",
            {"action": "sessions.restore"},
            [(BOB, "sessions.restore")],
        ),
        (  # another organization's action: unknown here, like any other
            {"action": "tokens.revoke", "actor": "bob"},
            "unknown `action` “tokens\\.revoke”",  # Markdown-escaped
            {"actor": "bob"},
            [(BOB, "sessions.restore")],
        ),
        ({"actor": "x" * 100_000}, "`actor` is not a search text", {}, None),
        (
            {"actor": "a\x00b", "action": "sessions.restore"},
            "`actor` is not a search text",
            {"action": "sessions.restore"},
            [(BOB, "sessions.restore")],
        ),
        ({"action": "<img src=x onerror=alert(1)>"}, "unknown `action`", {}, None),
    ],
)
def test_bad_audit_params_are_dropped_with_a_message(
    logged, params, message, kept, expected
) -> None:
    at = logged(tab=ak.TAB_AUDIT, **params)
    assert not at.exception
    [warning] = at.warning
    assert message in warning.value and len(warning.value) < 400
    assert "<img src=x" not in warning.value  # escaped Markdown, never markup
    assert dict(at.query_params) == {"tab": ak.TAB_AUDIT, **kept}
    assert open_tab(at) == ak.TAB_AUDIT
    if expected is not None:
        assert log(at) == expected
    assert "tokens.revoke" not in {action for _, action in log(at)}
    assert "globex" not in texts(at).lower()


def test_an_audit_filter_writes_its_param_and_keeps_the_tab(logged) -> None:
    at = logged(tab=ak.TAB_AUDIT, status="failed")
    at.text_input(key=ak.AUDIT_ACTOR).input("bob").run()
    assert not at.exception
    assert dict(at.query_params) == {"tab": ak.TAB_AUDIT, "status": "failed", "actor": "bob"}
    assert log(at) == [(BOB, "sessions.restore")]
    at.multiselect(key=ak.AUDIT_ACTIONS).set_value(["sessions.archive"]).run()
    assert not at.exception
    assert at.query_params["action"] == "sessions.archive" and log(at) == []
    at.text_input(key=ak.AUDIT_ACTOR).input("").run()
    assert not at.exception
    assert dict(at.query_params) == {
        "tab": ak.TAB_AUDIT,
        "status": "failed",
        "action": "sessions.archive",
    }
    assert log(at) == [(ANN, "sessions.archive")]
    assert open_tab(at) == ak.TAB_AUDIT


def test_the_audit_log_is_for_admins_only_whatever_the_link(logged) -> None:
    at = logged(email="analyst@acme.example", tab=ak.TAB_AUDIT, actor="ann")
    assert not at.exception and not at.dataframe
    assert "ann@acme.example" not in texts(at)


def test_admin_is_the_actor_of_the_view_entry(logged) -> None:
    at = logged(tab=ak.TAB_AUDIT, actor=ADMIN, action="admin.view")
    assert not at.exception and not at.warning
    assert log(at) == [(ADMIN, "admin.view")]


def _clicking_script() -> None:
    """A stand-in for the analytics chart's on_select (admin_analytics._clicked): the
    callback narrows the filters and goes back to the Sessions tab in one URL update."""
    import streamlit as st

    from components import url
    from components.admin import filters as admin_filters
    from components.admin import keys as ak

    def clicked() -> None:
        url.change(user="usr_bob", q=None, **{ak.P_TAB: None})

    st.button("point", key="point", on_click=clicked)
    admin_filters.open_tab()
    st.tabs(list(ak.TAB_LABELS), key=ak.TABS, on_change=admin_filters.write_tab)
    st.write(f"open: {st.session_state[ak.TABS]}")


def test_a_callback_writes_params_and_switches_the_tab() -> None:
    at = AppTest.from_function(_clicking_script)
    at.query_params.update({"tab": ak.TAB_ANALYTICS, "q": "deploy", "status": "failed"})
    at.run()
    assert at.markdown[0].value == f"open: {ak.TAB_ANALYTICS}"
    at.button(key="point").click().run()
    assert not at.exception
    assert at.markdown[0].value == f"open: {ak.TAB_SESSIONS}"
    assert at.query_params["user"] == "usr_bob" and at.query_params["status"] == "failed"
    assert "q" not in at.query_params


def _one_change_script() -> None:
    import streamlit as st

    from components import url

    st.button("tab", key="tab", on_click=lambda: url.change(tab="Analytics", q=None))


def test_a_change_keeps_every_value_of_a_repeated_param() -> None:
    """status=completed&status=failed is two statuses: writing another param keeps both."""
    at = AppTest.from_function(_one_change_script)
    at.query_params.update({"status": ["completed", "failed"], "q": "deploy"})
    at.run()
    at.button(key="tab").click().run()
    assert not at.exception
    assert at.query_params["status"] == ["completed", "failed"]
    assert at.query_params["tab"] in ("Analytics", ["Analytics"]) and "q" not in at.query_params


def test_the_log_tab_has_no_session_filters_and_leaves_theirs_in_the_url(logged) -> None:
    at = logged(tab=ak.TAB_AUDIT, status="bogus", q="rollback")
    assert not at.exception
    assert not [w for w in at.text_input if w.key in (ak.F_Q, ak.F_USER)]
    assert not at.warning  # the filters are read (and a bad one dropped) where they apply
    assert dict(at.query_params) == {"tab": ak.TAB_AUDIT, "status": "bogus", "q": "rollback"}
