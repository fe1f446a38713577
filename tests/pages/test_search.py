"""The Search page in AppTest on both backends: results with marked text and links to the
call, the phrase and filters in the URL, hostile params dropped with a message, and nothing
of another organization."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from components import keys
from tests import factories as f
from tests.pages.client import Client, Open
from tests.pages.datasets import ADMIN, ANALYST, DataSet, acme_and_globex, ann_and_bob
from tests.pages.explorer_view import texts

GLOBEX_ADMIN = "admin@globex.example"
MARK = ":orange-background[**"


def build(engine: sa.Engine) -> None:
    """acme: ses_new (Ann, failed) and ses_old (Bob, completed) mention Müller; a call with
    markup in its payload; an archived session. globex: its own Müller session."""
    with engine.begin() as conn:
        acme, globex = acme_and_globex(conn)
        ann, bob = ann_and_bob(conn, acme)
        srv = f.server(conn, acme, id="srv_acme", name="Acme MCP")
        new = f.session(conn, acme, ann, srv, id="ses_new", title="New one", status="failed")
        f.tool_call(conn, new, id="tc_new1", seq=1, input={"customer": "Herr Müller"})
        f.tool_call(conn, new, id="tc_new2", seq=2, input={"note": "<b>bold</b> **x** Müller"})
        old_at = new["started_at"] - timedelta(days=3)
        old = f.session(conn, acme, bob, srv, id="ses_old", title="Old one", started_at=old_at)
        f.tool_call(conn, old, id="tc_old1", output={"who": "MÜLLER GmbH"})
        arch = f.session(conn, acme, ann, srv, id="ses_arch", archived_at=old_at)
        f.tool_call(conn, arch, id="tc_arch", input={"who": "Müller archived"})
        g_user = f.end_user(conn, globex, id="usr_g")
        g_srv = f.server(conn, globex, id="srv_globex")
        g_ses = f.session(conn, globex, g_user, g_srv, id="ses_globex")
        f.tool_call(conn, g_ses, id="tc_globex", input={"who": "Müller of Globex"})


@pytest.fixture()
def app(client: Client, data_set: DataSet) -> Open:
    """The Search page opened by a typed link (direct: the Users page, which reads `q` too,
    does not run first)."""
    return client(data_set(build), keys.PAGE_SEARCH, direct=True)


def _links(at: AppTest) -> dict[str, str]:
    return {p.proto.query_string: p.value for p in at.get("page_link")}


def _marked(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if MARK in m.value]


def test_results_mark_the_match_and_link_each_call(app: Open) -> None:
    at = app(q="müller")
    assert not at.exception
    shown = texts(at)
    assert shown.index("New one") < shown.index("Old one")  # newest first
    assert "archived" not in shown and "Globex" not in shown
    marked = _marked(at)
    assert len(marked) == 3
    assert any(":orange-background[**MÜLLER**]" in m for m in marked)
    # Markup in a payload is shown as text: escaped before the match is marked.
    markup = next(m for m in marked if "bold" in m)
    assert "<b>" not in markup and r"\<b\>" in markup and r"\*\*x\*\*" in markup
    links = _links(at)
    assert "user=usr_ann&session=ses_new&item=tc_new1" in links
    assert "user=usr_bob&session=ses_old&item=tc_old1" in links


def test_the_box_and_filters_write_the_url(app: Open) -> None:
    at = app()
    assert not at.exception
    assert any("Type a word or phrase" in i.value for i in at.info)  # the empty state
    at.text_input(key=keys.SEARCH_Q).input("Müller").run()
    assert at.query_params[keys.P_Q] == "Müller"
    assert len(_marked(at)) == 3
    at.multiselect(key=keys.SEARCH_STATUS).select("failed").run()
    assert at.query_params[keys.P_S_STATUS] == "failed"
    assert "Old one" not in texts(at) and "New one" in texts(at)
    at.text_input(key=keys.SEARCH_USER).input("bob-2").run()
    assert at.query_params[keys.P_S_USER] == "bob-2"
    assert any("No session holds" in i.value for i in at.info)


@pytest.mark.parametrize(
    ("params", "kept_title"),
    [
        ({"server": "srv_acme", "status": "completed"}, "Old one"),
        ({"user": "usr_ann"}, "New one"),
        ({"from": "2000-01-01", "to": "2099-12-31"}, "New one"),
    ],
)
def test_filters_from_a_link(app: Open, params: dict[str, str], kept_title: str) -> None:
    at = app(q="Müller", **params)
    assert not at.exception and not at.warning
    assert kept_title in texts(at)
    for name, value in params.items():
        assert at.query_params[name] == value
        widget_value = {
            "server": lambda: at.selectbox(key=keys.SEARCH_SERVER).value,
            "status": lambda: ",".join(at.multiselect(key=keys.SEARCH_STATUS).value),
            "user": lambda: at.text_input(key=keys.SEARCH_USER).value,
            "from": lambda: at.date_input(key=keys.SEARCH_FROM).value.isoformat(),
            "to": lambda: at.date_input(key=keys.SEARCH_TO).value.isoformat(),
        }[name]()
        assert widget_value == value  # the widget shows what the URL says


@pytest.mark.parametrize(
    ("params", "dropped"),
    [
        ({"q": "Mül\x07ler"}, "q"),
        ({"q": "x" * 10_240}, "q"),
        ({"q": "Müller", "status": "bogus"}, "status"),
        ({"q": "Müller", "server": "srv_globex"}, "server"),
        ({"q": "Müller", "user": "usr_g"}, "user"),
        ({"q": "Müller", "user": "<script>"}, "user"),
        ({"q": "Müller", "from": "yesterday"}, "from"),
        ({"q": "Müller", "to": "2026-13-45"}, "to"),
        ({"q": "Müller", "from": "2026-12-01", "to": "2026-01-01"}, "from"),
    ],
)
def test_hostile_params_get_a_message_and_leave_the_url(
    app: Open, params: dict[str, str], dropped: str
) -> None:
    at = app(**params)
    assert not at.exception
    assert any("were not valid and were removed" in w.value for w in at.warning)
    assert dropped not in at.query_params
    assert "Globex" not in texts(at)


def test_a_nul_in_the_link_searches_nothing(app: Open) -> None:
    """AppTest's query string does not carry a NUL through to the page; whatever arrives,
    no error and no results."""
    at = app(q="Mül\x00ler")
    assert not at.exception and not _marked(at)


def test_special_characters_are_searched_literally(app: Open) -> None:
    for q in ("%", "_", ".*", "**x**", "<b>"):
        at = app(q=q)
        assert not at.exception and not at.warning
        shown = texts(at)
        if q in ("**x**", "<b>"):
            assert "New one" in shown and "Old one" not in shown
        else:
            assert "No session holds" in shown


@pytest.mark.parametrize("email", [GLOBEX_ADMIN])
def test_another_org_sees_only_its_own(app: Open, email: str) -> None:
    at = app(q="müller", email=email)
    assert not at.exception
    shown = texts(at)
    assert "New one" not in shown and "Old one" not in shown
    assert [qs for qs in _links(at) if "item=" in qs] == [
        "user=usr_g&session=ses_globex&item=tc_globex"
    ]
    # acme's ids in a globex link are dropped like made-up ones
    at = app(q="müller", email=email, user="usr_ann", server="srv_acme")
    assert "user" not in at.query_params and "server" not in at.query_params


def test_admin_and_analyst_of_acme_see_the_same_results(app: Open) -> None:
    as_admin = _links(app(q="müller", email=ADMIN))
    as_analyst = _links(app(q="müller", email=ANALYST))
    assert as_admin == as_analyst and len([q for q in as_admin if "item=" in q]) == 3


def test_compare_link_between_two_results(app: Open) -> None:
    at = app(q="müller")
    at.multiselect(key=keys.SEARCH_COMPARE).select("ses_new").select("ses_old").run()
    assert not at.exception
    compare = [qs for qs, label in _links(at).items() if label == "Compare these two"]
    assert compare == ["a=ses_new&b=ses_old"]
