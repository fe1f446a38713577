"""Organization isolation (issue 7, item 1): every page and every query param, every role.

An acme viewer given ids of globex (users, sessions, tool calls, tickets), of archived rows,
or made up, must see nothing of globex, get a message, see the param leave the URL, and get
exactly the page a made-up id gives: so the page never tells whether the id exists elsewhere.
Non-members and signed-out viewers get their frame page and nothing else, whatever the link.

Each page is opened two ways: `link` runs "/" first (which forwards to Users) and then
switches to the page, like a viewer clicking through; `direct` opens the path itself on the
first run, like a link typed or pasted. Data: tests/pages/datasets/explorer.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from sessionscope import clock
from tests.pages.admin_view import shown as table_ids
from tests.pages.client import Open, open_direct
from tests.pages.datasets import ADMIN as ADMIN_EMAIL
from tests.pages.datasets import ANALYST
from tests.pages.explorer_view import leaked, rendered, texts

USERS, USER, SESSION, ADMIN = keys.PAGE_USERS, keys.PAGE_USER, keys.PAGE_SESSION, keys.PAGE_ADMIN
STRANGER = "stranger@elsewhere.example"
CONSULTANT = "consultant@partner.example"  # analyst in acme, admin in globex
MODES = ("link", "direct")

ACME_SESSIONS = {"ses_long", "ses_live", "ses_big", "ses_bob_empty", "ses_flow"} | {
    f"ses_ann{i:02d}" for i in range(60)
}


@pytest.fixture(autouse=True)
def one_instant(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every page of a test is rendered at the same instant. The tests below compare two pages
    text for text, and a relative time ("22 d ago") read from the clock would differ between
    them whenever a row's age crossed a whole day, hour or minute in between."""
    instant = clock.now()
    monkeypatch.setattr(clock, "now", lambda: instant)


# --- helpers ------------------------------------------------------------------------------------


def opener(app, mode: str) -> Open:
    return app if mode == "link" else open_direct


def table_sessions(at: AppTest) -> set[str]:
    """Session ids in the Admin table, if it is shown."""
    return set(table_ids(at)) if at.dataframe else set()


def test_the_leak_check_sees_globex_where_it_is_shown(app: Open) -> None:
    """A control: globex's own admin is shown globex's data, and `leaked` says so."""
    at = open_direct(USER, email="admin@globex.example", user="usr_gus", session="ses_globex")
    assert {"Gus Secret", "gus@globex.example", "Globex secret plan"} <= set(leaked(at))
    assert leaked(open_direct(USERS, email="admin@globex.example")) != []  # a table cell


# --- one param at a time: foreign, archived and made-up ids look the same ----------------------


@dataclass(frozen=True)
class Case:
    """Opening `page` with `base` plus param=value for each bad value."""

    page: str
    param: str
    bad: tuple[str, ...]  # other organization's ids, archived rows, another user's rows
    made_up: str
    message: str  # in a warning, the same for every bad value
    kept: dict[str, str]  # the URL afterwards
    base: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.page.split('/')[-1].removesuffix('.py')}-{self.param}"


CASES = [
    Case(
        USER,
        "user",
        ("usr_gus", "gus-9"),  # globex's user by id and by distinct id
        "usr_nobody",
        "user is not available in your organization",
        {},
        {"session": "ses_globex", "item": "tc_globex"},
    ),
    Case(
        USER,
        "session",
        ("ses_globex", "ses_archived", "ses_bob_empty"),  # ...and another acme user's session
        "ses_nobody",
        "session is not available for this user",
        {"user": "usr_ann"},
        {"user": "usr_ann", "item": "tc_globex"},
    ),
    Case(
        USER,
        "item",
        ("tc_globex", "sr_globex", "tc_archived", "tc_big"),  # tc_big: another session's
        "sr_nobody",
        "item is not available in this session",
        {"user": "usr_ann", "session": "ses_long"},
        {"user": "usr_ann", "session": "ses_long"},
    ),
    Case(
        SESSION,
        "session",
        ("ses_globex", "ses_archived", "tc_globex", "sr_globex"),
        "ses_nobody",
        "session is not available",
        {},
    ),
]


def _check_bad_ids(open_: Open, case: Case, email: str) -> None:
    baseline = open_(case.page, email=email, **case.base, **{case.param: case.made_up})
    assert not baseline.exception
    assert any(case.message in w.value for w in baseline.warning), texts(baseline)
    assert dict(baseline.query_params) == case.kept
    for value in case.bad:
        at = open_(case.page, email=email, **case.base, **{case.param: value})
        assert not at.exception, value
        assert leaked(at, case.base.values()) == [], value
        # The very page a made-up id gives: nothing tells that the id exists somewhere.
        assert texts(at) == texts(baseline), value
        assert dict(at.query_params) == case.kept, value


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("email", [ANALYST, ADMIN_EMAIL])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_ids_of_another_org_or_archived_look_made_up(
    app: Open, case: Case, email: str, mode: str
) -> None:
    _check_bad_ids(opener(app, mode), case, email)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_a_member_of_both_orgs_sees_nothing_of_the_other_one_here(app: Open, case: Case) -> None:
    """The consultant is in globex too, but looking at acme: globex ids are still not here."""
    at = open_direct(case.page, email=CONSULTANT, **case.base, **{case.param: case.bad[0]})
    assert not at.exception
    assert any(case.message in w.value for w in at.warning)
    assert leaked(at, case.base.values(), sidebar=False) == []  # the switcher names Globex
    assert dict(at.query_params) == case.kept


# --- searches: another org's names match nothing, exactly like made-up text ---------------------


@dataclass(frozen=True)
class Search:
    page: str
    param: str
    foreign: tuple[str, ...]
    made_up: str
    message: str

    @property
    def id(self) -> str:
        return f"{self.page.split('/')[-1].removesuffix('.py')}-{self.param}"


SEARCHES = [
    Search(
        USERS,
        "q",
        ("Gus", "gus@globex.example", "gus-9", "usr_gus"),
        "nobody-at-all",
        "No users match this search.",
    ),
    Search(
        ADMIN,
        "user",
        ("usr_gus", "gus-9", "gus@globex.example", "Gus Secret"),
        "nobody-at-all",
        "No sessions match these filters.",
    ),
    Search(ADMIN, "q", ("Globex secret plan", "secret"), "nobody at all", "No sessions match"),
]


@pytest.mark.parametrize("search", SEARCHES, ids=lambda s: s.id)
def test_searching_for_another_orgs_names_finds_nothing(app: Open, search: Search) -> None:
    """A search is valid text, so it stays in the URL; it just matches nothing of globex."""
    baseline = open_direct(search.page, email=ADMIN_EMAIL, **{search.param: search.made_up})
    assert search.message in texts(baseline)
    for value in search.foreign:
        at = open_direct(search.page, email=ADMIN_EMAIL, **{search.param: value})
        assert not at.exception, value
        assert leaked(at, [value]) == [], value
        assert not at.dataframe or at.dataframe[0].value.empty, value
        assert texts(at) == texts(baseline), value
        assert dict(at.query_params) == {search.param: value}, value


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "completed"},
        {"from": "2026-11-01", "to": "2026-11-01"},  # the day globex's session started
        {"status": "completed,active,paused,failed", "from": "2026-10-01", "to": "2026-11-30"},
    ],
)
def test_admin_filters_show_only_this_orgs_unarchived_sessions(
    app: Open, params: dict[str, str]
) -> None:
    at = open_direct(ADMIN, email=ADMIN_EMAIL, **params)
    assert not at.exception and not at.warning
    shown = table_sessions(at)
    assert shown and shown <= ACME_SESSIONS  # never ses_globex, never ses_archived
    assert leaked(at) == []


# --- roles: who may see which page, whatever the link says ---------------------------------------

LINKS = [
    (USERS, {"q": "Gus"}),
    (USER, {"user": "usr_ann", "session": "ses_long", "item": "tc_long001"}),
    (USER, {"user": "usr_gus", "session": "ses_globex", "item": "tc_globex"}),
    (SESSION, {"session": "ses_long"}),
    (SESSION, {"session": "ses_globex"}),
    (ADMIN, {"user": "usr_gus", "status": "completed", "from": "2026-11-01", "q": "secret"}),
]
_ACME_TEXT = ("Ann Lee", "ann@corp", "Triage", "Routine session", "tool_1", "Export fails")


def _link_id(link: tuple[str, dict[str, str]]) -> str:
    page, params = link
    return page.split("/")[-1].removesuffix(".py") + "-" + "-".join(params.values())


ADMINS_ONLY = "Admins only. Ask an admin of your organization if you need this page."


@pytest.mark.parametrize("mode", ["root", "direct"])
@pytest.mark.parametrize("email", [STRANGER, None], ids=["non-member", "signed-out"])
@pytest.mark.parametrize("link", LINKS, ids=_link_id)
def test_non_members_and_signed_out_viewers_see_no_data_of_any_org(
    app: Open, link: tuple[str, dict[str, str]], email: str | None, mode: str
) -> None:
    """`root`: "/" with the link's params (a non-member's navigation has no explorer page to
    switch to); `direct`: the page's path typed."""
    page, params = link

    def open_(**params: str) -> AppTest:
        return (
            app(None, email=email, **params)
            if mode == "root"
            else open_direct(page, email=email, **params)
        )

    at = open_(**params)
    assert not at.exception
    if email is None:
        assert [t.value for t in at.title] == ["Sessionscope"] and "No identity" in texts(at)
    elif page == ADMIN and mode == "direct":  # refused like an analyst (and audited)
        assert [e.value for e in at.error] == [ADMINS_ONLY] and not at.title
    else:
        assert [t.value for t in at.title] == ["No access"]
    assert not at.dataframe and not at.get("page_link") and not at.metric
    shown = rendered(at)
    assert leaked(at, params.values()) == []
    assert not [t for t in _ACME_TEXT if t in shown]
    # The same page for any link: a stranger cannot probe which ids exist.
    assert texts(at) == texts(open_(session="ses_nobody"))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("email", [ANALYST, CONSULTANT])
def test_analysts_typing_admin_get_admins_only_and_nothing_else(
    app: Open, email: str, mode: str
) -> None:
    """The consultant is an admin in globex, which gives nothing on acme's Admin page."""
    params = {"user": "usr_gus", "q": "secret", "status": "completed"}
    at = opener(app, mode)(ADMIN, email=email, **params)
    assert not at.exception
    assert [e.value for e in at.error] == [ADMINS_ONLY]
    assert not at.dataframe and not at.metric and not at.get("plotly_chart")
    assert leaked(at, params.values(), sidebar=False) == []
