"""Who the viewer is (issue 15, findings 1-4 and 9): forged or unsafe identities get a page
saying why and nothing else; emails compare in any case; database details for admins only;
a reload loop on /admin cannot fill the audit log."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from components import identity, keys
from sessionscope import proxies, schema
from sessionscope.settings import PROJECT_ROOT
from tests.pages.client import open_app
from tests.pages.explorer_view import rendered

ADMIN_PAGE = keys.PAGE_ADMIN
GLOBEX_ADMIN = "admin@globex.example"
GOOD_AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "x" * 43,
    "client_id": "sessionscope",
    "client_secret": "s3cret",
    "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration",
}
EXAMPLE_AUTH = tomllib.loads((PROJECT_ROOT / ".streamlit/secrets.example.toml").read_text())["auth"]
HEADERS = {"X-Forwarded-Email": "email"}


def oidc(email: str, **claims: object) -> dict[str, object]:
    """st.user after a login (or with a cookie signed by a known secret)."""
    return {"email": email, "is_logged_in": True, **claims}


def audit_rows(engine: sa.Engine, email: str, action: str) -> int:
    a = schema.audit_log.c
    with engine.connect() as conn:
        query = sa.select(sa.func.count()).where(a.actor_email == email, a.action == action)
        return conn.execute(query).scalar_one()


def shows_nothing_of_the_data(at: AppTest) -> None:
    assert not at.exception and not at.dataframe
    text = rendered(at)
    for secret in ("Ann Lee", "Gus Secret", "Globex", "Acme Corp"):
        assert secret not in text


@pytest.fixture()
def option() -> Iterator[Callable[[str, Any], None]]:
    """Set a Streamlit config option for this test (as a flag on the command line would)."""
    saved: dict[str, Any] = {}

    def set_(name: str, value: Any) -> None:
        saved.setdefault(name, st_config.get_option(name))
        st_config.set_option(name, value)

    yield set_
    for name, value in saved.items():
        st_config.set_option(name, value)


# --- finding 1: a proxy header only from the allow-listed proxy ------------------------------


def test_a_forged_header_from_outside_the_allow_list_gets_the_refusal_and_no_audit_view(
    app, explorer_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(identity, "peer_address", lambda: "203.0.113.9")
    views = audit_rows(explorer_engine, GLOBEX_ADMIN, "admin.view")
    at = app(ADMIN_PAGE, email=GLOBEX_ADMIN)
    assert [t.value for t in at.title] == ["Sign-in header refused"]
    assert at.error[0].value.startswith("Sign-in header refused: this server only accepts")
    shows_nothing_of_the_data(at)
    assert audit_rows(explorer_engine, GLOBEX_ADMIN, "admin.view") == views


def test_loopback_is_not_believed_once_the_allow_list_leaves_it_out(
    app, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(proxies.SETTING, "10.0.0.0/8")  # AppTest's peer is loopback
    at = app(email=GLOBEX_ADMIN)
    assert [t.value for t in at.title] == ["Sign-in header refused"]
    shows_nothing_of_the_data(at)


def test_a_header_from_an_allow_listed_proxy_is_honoured(
    app, option, monkeypatch: pytest.MonkeyPatch
) -> None:
    option("server.address", "0.0.0.0")  # on 127.0.0.1 only loopback could connect
    monkeypatch.setenv(proxies.SETTING, "10.0.0.0/8")
    monkeypatch.setattr(identity, "peer_address", lambda: "10.0.0.5")
    at = app(email=GLOBEX_ADMIN)
    assert not at.exception
    assert list(at.dataframe[0].value["display_name"]) == ["Gus Secret"]


def test_a_header_sent_twice_is_refused_as_an_appending_proxy_would_send_it(
    app, option, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client's forged header first, the proxy's own after it: Streamlit takes the first."""
    from streamlit.runtime.context import StreamlitHeaders

    option("server.trustedUserHeaders", HEADERS)
    sent = [("X-Forwarded-Email", GLOBEX_ADMIN), ("x-forwarded-email", "analyst@acme.example")]
    monkeypatch.setattr(identity, "handshake_headers", lambda: StreamlitHeaders(sent))
    at = app(ADMIN_PAGE, email=GLOBEX_ADMIN)
    assert [t.value for t in at.title] == ["Sign-in header refused"]
    assert "X-Forwarded-Email came more than once" in at.error[0].value
    shows_nothing_of_the_data(at)


def test_a_bad_allow_list_names_the_setting(app, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as env:  # undone before the fixture disposes of the engine
        env.setenv(proxies.SETTING, "proxy.internal")
        at = app(email=GLOBEX_ADMIN)
    assert [t.value for t in at.title] == ["This server is misconfigured"]
    assert proxies.SETTING in at.error[0].value and "database" not in at.error[0].value
    shows_nothing_of_the_data(at)


def test_oidc_and_a_trusted_header_together_refuse_to_run(app, option) -> None:
    option("server.trustedUserHeaders", HEADERS)
    at = app(st_user=oidc(GLOBEX_ADMIN), st_secrets={"auth": GOOD_AUTH})
    assert [t.value for t in at.title] == ["Sign-in is misconfigured"]
    assert "[auth]" in at.error[0].value and "server.trustedUserHeaders" in at.error[0].value
    shows_nothing_of_the_data(at)


# --- finding 2: no sign-in with a placeholder or short cookie secret -------------------------


@pytest.mark.parametrize(
    ("secret", "problem"),
    [(EXAMPLE_AUTH["cookie_secret"], "placeholder"), ("too-short", "shorter than 32 bytes")],
)
def test_a_cookie_signed_with_a_weak_secret_opens_nothing(app, secret: str, problem: str) -> None:
    at = app(
        ADMIN_PAGE,
        st_user=oidc(GLOBEX_ADMIN),
        st_secrets={"auth": {**GOOD_AUTH, "cookie_secret": secret}},
    )
    assert [t.value for t in at.title] == ["Sign-in is off"]
    message = at.error[0].value
    assert problem in message and "`[auth] cookie_secret`" in message
    assert ".streamlit/secrets.toml" in message and "secrets.token_urlsafe(32)" in message
    shows_nothing_of_the_data(at)


def test_a_weak_secret_offers_no_sign_in_button(app) -> None:
    at = app(st_user={"is_logged_in": False}, st_secrets={"auth": EXAMPLE_AUTH})
    assert [t.value for t in at.title] == ["Sign-in is off"] and not at.button


def test_a_strong_secret_offers_sign_in(app) -> None:
    at = app(st_user={"is_logged_in": False}, st_secrets={"auth": GOOD_AUTH})
    assert [b.label for b in at.button] == ["Sign in"]


# --- finding 3: demo mode only on loopback with no sign-in -----------------------------------


def test_demo_mode_beside_oidc_refuses_instead_of_making_visitors_admin(
    app, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSIONSCOPE_DEMO", "1")
    at = app(st_user={"is_logged_in": False}, st_secrets={"auth": GOOD_AUTH})
    assert [t.value for t in at.title] == ["Demo mode refused"]
    assert "[auth]" in at.error[0].value and not at.info  # no demo banner
    shows_nothing_of_the_data(at)


@pytest.mark.parametrize(
    ("name", "value", "why"),
    [
        ("server.address", "0.0.0.0", "`0.0.0.0`"),
        ("server.address", None, "every interface"),
        ("server.trustedUserHeaders", HEADERS, "server.trustedUserHeaders"),
    ],
)
def test_demo_mode_refuses_off_loopback_or_beside_a_header(
    app, option, monkeypatch: pytest.MonkeyPatch, name: str, value: Any, why: str
) -> None:
    monkeypatch.setenv("SESSIONSCOPE_DEMO", "1")
    option(name, value)
    at = app(email=None)
    assert [t.value for t in at.title] == ["Demo mode refused"] and why in at.error[0].value
    shows_nothing_of_the_data(at)


# --- finding 4: OIDC: verified emails, compared in any case ----------------------------------


def test_an_unverified_oidc_email_is_refused_with_a_sign_out(app) -> None:
    at = app(st_user=oidc(GLOBEX_ADMIN, email_verified=False), st_secrets={"auth": GOOD_AUTH})
    assert [t.value for t in at.title] == ["Email not verified"]
    assert [b.label for b in at.button] == ["Sign out"]
    shows_nothing_of_the_data(at)


def test_an_email_in_another_case_with_spaces_is_the_same_member_and_audited_normalised(
    app, explorer_engine: sa.Engine
) -> None:
    views = audit_rows(explorer_engine, GLOBEX_ADMIN, "admin.view")
    at = app(ADMIN_PAGE, st_user=oidc("  Admin@GLOBEX.example "), st_secrets={"auth": GOOD_AUTH})
    assert not at.exception and [t.value for t in at.title] == ["Admin"]
    assert audit_rows(explorer_engine, GLOBEX_ADMIN, "admin.view") == views + 1


# --- finding 9: database details for admins only; admin.denied rate-limited ------------------


def test_a_reload_loop_on_admin_writes_one_denial_per_ten_minutes(
    app, explorer_engine: sa.Engine, backend: str
) -> None:
    email = f"reloader-{backend}@nowhere.example"  # no membership: refused, org-less
    for _ in range(3):  # three browser sessions, as a script reloading would open
        at = app(ADMIN_PAGE, email=email)
        assert "Admins only" in at.error[0].value
    assert audit_rows(explorer_engine, email, "admin.denied") == 1


@pytest.mark.parametrize(
    ("email", "admin"), [("analyst@acme.example", False), ("admin@acme.example", True)]
)
def test_only_admins_see_which_database_is_down(
    app, explorer_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, email: str, admin: bool
) -> None:
    from components import data

    def down(*args: object) -> None:  # the viewer is known; the Users query fails
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(data, "users_page", down)
    at = app(email=email)
    assert not at.exception and at.button(key="frame_retry")
    message = at.error[0].value
    assert message.startswith("The database is not available right now")
    where = explorer_engine.url.database.rsplit("/", 1)[-1]  # the SQLite file or PG database
    assert (where in message) is admin and ("server closed" in message) is admin


def test_a_visitor_nobody_knows_yet_sees_no_host_port_or_name(monkeypatch) -> None:
    """The database is down before anyone's role is known: nobody gets its address."""
    import streamlit as st

    st.cache_resource.clear()
    url = "postgresql+psycopg://viewer:pw@127.0.0.1:1/ordersdb"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("SESSIONSCOPE_DEMO", raising=False)
    try:
        at = open_app(email="stranger@nowhere.example")
        assert not at.exception and "DATABASE_URL" in at.error[0].value
        for detail in ("127.0.0.1", ":1", "ordersdb", "viewer", "refused"):
            assert detail not in rendered(at), detail
    finally:
        st.cache_resource.clear()
