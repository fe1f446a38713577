"""Hostile input (issue 7, item 2): every query param and every search box, with Hypothesis.

Values: empty, blank, very long (100 KB), unicode (emoji, right-to-left, a bidi override),
control characters (NUL included: PostgreSQL refuses it in text), SQL injection, HTML and
<script>, and whatever Hypothesis makes up. For each: no exception, no database error shown
in place of the page, nothing of the other organization, a short message where the value is
invalid, and the URL keeps exactly the valid values. What a valid value is comes from the URL
contract (README, DESIGN.md), written out here again rather than imported from the app.

Links are opened cold (one AppTest run each); typed values go through one AppTest per box.
The real-browser half of the issue (payloads render as text and run nothing) needs a browser
and belongs in tests/browser.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from components import keys, sidebar_sessions
from components.admin import keys as ak
from queries import audit, sessions, users
from queries import history as history_q
from queries.admin import AdminFilter, count_sessions, list_sessions
from tests.pages.client import Open, open_direct
from tests.pages.datasets import ADMIN as ADMIN_EMAIL
from tests.pages.explorer_view import card_ids, leaked, texts

USERS, USER, SESSION, ADMIN = keys.PAGE_USERS, keys.PAGE_USER, keys.PAGE_SESSION, keys.PAGE_ADMIN

# The named hostile kinds, each an explicit example of every test below.
EMPTY = ""
BLANK = "   "
LONG = "x" * 100_000  # 100 KB
NUL = "ses_long\x00"
CONTROL = "\x1b[31mred\x07\tbell\r\n"
UNICODE = "Ünïcødé 🎉 مرحبا שלום 𝔘"
BIDI = "evil\u202etxt.exe"  # a right-to-left override: not printable
SQL = "' OR '1'='1' --"
SQL_DROP = "x'; DROP TABLE sessions; --"
LIKE = "%_\\"  # LIKE wildcards and the escape character: literal text to a search
HTML = '<script>alert(1)</script><img src=x onerror="alert(1)">'
NAMED = (EMPTY, BLANK, LONG, NUL, CONTROL, UNICODE, BIDI, SQL, SQL_DROP, LIKE, HTML)

# Anything else: unicode text (control characters included, no surrogates: a URL cannot
# carry them), long runs of one character, and the named kinds glued to text. A run stays
# under 30,000 characters: one character may take 12 in the URL (%F0%9F%8E%89), and Streamlit
# ignores a whole query string over 524,288 characters (see the test for that below).
HOSTILE = st.one_of(
    st.text(max_size=60),
    st.builds(lambda c, n: c * n, st.characters(), st.integers(150, 30_000)),
    st.builds(lambda a, b: a + b, st.sampled_from(NAMED), st.text(max_size=10)),
)
DATES = st.dates(date(1990, 1, 1), date(2110, 12, 31)).map(date.isoformat)

STATUSES = ("active", "paused", "completed", "failed")
MAX_SEARCH = 200
MIN_DATE, MAX_DATE = date(2000, 1, 1), date(2099, 12, 31)
DB_ERROR = "database is not available"
_UNESCAPED_TAG = re.compile(r"(?<!\\)<\s*(script|img)", re.IGNORECASE)

FEW = settings(
    max_examples=3,
    deadline=None,
    database=None,  # nothing written under the project
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def named_examples(test: Callable) -> Callable:
    """Every named hostile kind as an explicit Hypothesis example of `test`."""
    for value in NAMED:
        test = example(value=value)(test)
    return test


# --- what the contract says a value means -------------------------------------------------------


def is_search(value: str) -> bool:
    """A search text: at most 200 printable characters once stripped (so no NUL)."""
    text = value.strip()
    return len(text) <= MAX_SEARCH and text.isprintable()


def is_date(value: str) -> bool:
    text = value.strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return False
    try:
        return MIN_DATE <= date.fromisoformat(text) <= MAX_DATE
    except ValueError:
        return False


def choices(value: str, allowed: tuple[str, ...]) -> tuple[bool, str | None]:
    """(valid, what the URL keeps) for a comma-separated list of choices."""
    tokens = [t.strip() for t in value.split(",") if t.strip()]
    if all(t in allowed for t in tokens):
        return True, value
    kept = ",".join(dict.fromkeys(t for t in tokens if t in allowed))
    return False, kept or None


@dataclass(frozen=True)
class Param:
    """One query param of one page, what a valid value is, and what a bad one must do."""

    page: str
    name: str
    kind: str  # id | search | status | date | server
    message: str  # in the warning a bad value gets
    base: dict[str, str] = field(default_factory=dict)  # other params of the link
    kept: dict[str, str] = field(default_factory=dict)  # the URL after a bad id

    @property
    def id(self) -> str:
        return f"{self.page.split('/')[-1].removesuffix('.py')}-{self.name}"

    def expect(self, value: str) -> tuple[bool, dict[str, str]]:
        """(is the value bad, the URL afterwards) by the URL contract."""
        given = {**self.base, self.name: value}
        if not value.strip():
            return False, given  # blank is as good as absent: no message, nothing rewritten
        if self.kind == "id":  # no made-up value names a row; an id of ours is not hostile
            return True, self.kept
        if self.kind == "search":
            good = is_search(value)
            return not good, given if good else self.base
        if self.kind == "date":
            good = is_date(value)
            return not good, given if good else self.base
        allowed = STATUSES if self.kind == "status" else ("srv_gh",)
        good, kept = choices(value, allowed)
        return not good, {**self.base, **({self.name: kept} if kept else {})}


ADMIN_BAD = "Some filters in this link were not valid and were removed"
PARAMS = [
    Param(USERS, "q", "search", "This search was not valid"),
    Param(USER, "user", "id", "user is not available"),
    Param(
        USER,
        "session",
        "id",
        "session is not available for this user",
        {"user": "usr_ann"},
        {"user": "usr_ann"},
    ),
    Param(
        USER,
        "item",
        "id",
        "This link's item is not",
        {"user": "usr_ann", "session": "ses_long"},
        {"user": "usr_ann", "session": "ses_long"},
    ),
    Param(SESSION, "session", "id", "session is not available"),
    Param(ADMIN, "status", "status", ADMIN_BAD),
    Param(ADMIN, "user", "search", ADMIN_BAD),
    Param(ADMIN, "from", "date", ADMIN_BAD),
    Param(ADMIN, "to", "date", ADMIN_BAD),
    Param(ADMIN, "q", "search", ADMIN_BAD),
    Param(ADMIN, "server", "server", ADMIN_BAD),
]


def check_page(at: AppTest, value: str) -> None:
    """What holds for every value anywhere: no traceback, no database error, no globex, every
    message short, and user text in markdown escaped (so HTML in it is never markup)."""
    assert not at.exception, at.exception
    shown = texts(at)
    assert DB_ERROR not in shown, shown[:500]
    assert leaked(at, [value]) == []
    assert all(len(w.value) < 400 for w in at.warning), [w.value[:100] for w in at.warning]
    for kind in ("markdown", "caption", "warning", "info", "error", "title", "header", "subheader"):
        for element in at.get(kind):
            assert not _UNESCAPED_TAG.search(str(element.value)), element.value[:200]


# --- every query param, opened cold from a link -------------------------------------------------


@pytest.mark.parametrize("param", PARAMS, ids=lambda p: p.id)
def test_hostile_link_params(app: Open, param: Param) -> None:
    @FEW
    @given(value=st.one_of(HOSTILE, DATES) if param.kind == "date" else HOSTILE)
    @example(value="2026-11-01")  # a valid value of the date, status and search params
    @example(value="failed, completed,failed")
    @named_examples
    def opened(value: str) -> None:
        at = open_direct(param.page, email=ADMIN_EMAIL, **param.base, **{param.name: value})
        check_page(at, value)
        bad, url = param.expect(value)
        warnings = " ".join(w.value for w in at.warning)
        if bad:
            assert param.message in warnings, (value[:80], warnings)
        else:
            assert not at.warning, (value[:80], warnings)
        assert dict(at.query_params) == url, value[:80]

    opened()


def test_a_query_string_over_streamlits_limit_is_ignored_whole(app: Open) -> None:
    """Streamlit drops a query string over 524,288 characters before the page runs (it logs
    "Ignoring query string"), so the page is the one without params: no error, nothing shown
    from it. The browser's address bar keeps it; the app never sees it to clean it."""
    huge = "🎉" * 50_000  # 600,000 characters once percent-encoded
    at = open_direct(USER, email=ADMIN_EMAIL, user="usr_ann", session=huge)
    check_page(at, huge)
    assert not at.warning and not at.button  # not even Ann's cards: no `user` either
    assert "Choose a user on the Users page" in texts(at)


# --- every search box, typed (set_value skips max_chars, like a forged request) -----------------


def _cards(at: AppTest) -> bool:
    return bool(card_ids(at))


def _history_cards(at: AppTest) -> bool:
    return bool(at.sidebar.get("page_link"))


def _table(at: AppTest) -> bool:
    return bool(at.dataframe)


@dataclass(frozen=True)
class Box:
    name: str
    page: str
    key: str
    param: str | None  # the URL param the box writes, if any
    nothing: str  # what the box's results say when nothing matches
    found: Callable[[AppTest], bool]  # are there results
    base: dict[str, str] = field(default_factory=dict)
    state: dict[str, object] = field(default_factory=dict)


BOXES = [
    Box("users", USERS, keys.USERS_SEARCH, "q", "No users match this search.", _table),
    Box(
        "user-titles",
        USER,
        keys.US_TITLE,
        keys.P_TITLE,
        "No sessions match these filters.",
        _cards,
        {"user": "usr_ann"},
    ),
    Box(
        "history",
        USERS,
        keys.HIS_Q,
        None,
        "No sessions match.",
        _history_cards,
        state={sidebar_sessions.KEEP_OPEN: True},
    ),
    Box("admin-user", ADMIN, ak.F_USER, "user", "No sessions match these filters.", _table),
    Box("admin-title", ADMIN, ak.F_Q, "q", "No sessions match these filters.", _table),
    Box(
        "admin-audit-actor",
        ADMIN,
        ak.AUDIT_ACTOR,
        ak.P_ACTOR,
        "No audit entries match.",
        _table,
        {ak.P_TAB: ak.TAB_AUDIT},
    ),
]


@pytest.mark.parametrize("box", BOXES, ids=lambda b: b.name)
def test_hostile_search_boxes(app: Open, box: Box) -> None:
    at = open_direct(box.page, email=ADMIN_EMAIL, state=box.state, **box.base)
    assert not at.exception

    @FEW
    @given(value=HOSTILE)
    @named_examples
    def typed(value: str) -> None:
        at.text_input(key=box.key).set_value(value).run()
        check_page(at, value)
        # Results, or a line saying there are none; a NUL matches nothing (no text holds one).
        assert box.found(at) != (box.nothing in texts(at)), value[:80]
        if "\x00" in value[:MAX_SEARCH] and box.param is None:
            assert box.nothing in texts(at)
        if box.param is None:
            return
        text = value[:MAX_SEARCH].strip()  # the box keeps max_chars, its param the stripped text
        url = dict(at.query_params)
        if not text:
            assert box.param not in url
        elif is_search(text):
            assert url.get(box.param) == text and not at.warning
        else:
            assert box.param not in url and at.warning, value[:80]

    typed()


# --- the search queries themselves, on both backends -------------------------------------------

ORG = "org_acme"


@pytest.mark.parametrize("text", [NUL, "\x00", LONG[:5000], SQL, SQL_DROP, LIKE, HTML, UNICODE])
def test_every_search_query_takes_any_text(explorer_engine: sa.Engine, text: str) -> None:
    """Each query a search box feeds: any text is a literal substring, never SQL and never an
    error (a NUL matches nothing instead of making PostgreSQL refuse the statement)."""
    flt = AdminFilter(title_q=text)
    with explorer_engine.connect() as conn:
        assert users.search(conn, org_id=ORG, q=text).rows.empty
        assert sessions.for_user(conn, org_id=ORG, end_user_id="usr_ann", title_q=text).rows.empty
        assert history_q.latest(conn, org_id=ORG, title_q=text).rows.empty
        assert history_q.by_ids(conn, org_id=ORG, ids=["ses_long"], title_q=text).empty
        assert audit.entries(conn, org_id=ORG, actor_q=text).rows.empty
        assert count_sessions(conn, org_id=ORG, flt=flt) == 0
        assert list_sessions(conn, org_id=ORG, flt=flt).rows.empty


# Names, emails and distinct ids of acme's two users, to search in.
ACME_USERS = {
    "usr_ann": ("ann@corp.example", "Ann Lee", "ann-1"),
    "usr_bob": ("bob@corp.example", "Bob <b>Stone</b>", "bob-2"),
    "usr_wes": ("usr_wes@users.example", "Wes Park", "wes-3"),
}


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(alphabet="anbo<>@.-_%\\ LSe1", min_size=1, max_size=4))
@example(text="%")
@example(text="_")
@example(text="<b>")
def test_user_search_is_a_literal_case_insensitive_substring(
    explorer_engine: sa.Engine, text: str
) -> None:
    if not text.strip():
        return  # blank is no search at all
    needle = text.strip().lower()
    expected = {
        uid for uid, fields in ACME_USERS.items() if any(needle in f.lower() for f in fields)
    }
    with explorer_engine.connect() as conn:
        found = set(users.search(conn, org_id=ORG, q=text).rows["id"])
    assert found == expected
