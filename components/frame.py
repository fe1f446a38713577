"""The picture frame around every page: who is looking, the banner, errors with a retry."""

from __future__ import annotations

import logging

import streamlit as st
from sqlalchemy.exc import DBAPIError, OperationalError

from components import data, identity, keys, sidebar_sessions
from components import format as fmt
from components.viewer import current_viewer_or_none, set_identity, set_viewer
from sessionscope import auth
from sessionscope.db import describe_db_error
from sessionscope.errors import ConfigError, DatabaseUnavailable
from sessionscope.settings import Settings, load_settings

log = logging.getLogger(__name__)


def resolve_viewer() -> auth.Viewer | None:
    """The viewer for this run, or None after rendering why there is none (login, refusal,
    no access)."""
    # Cleared first: database_error reads it to decide who may see the database's address,
    # so a failure below must not leave the previous run's (admin) viewer behind.
    set_viewer(None)
    try:
        who = identity.current(_settings())
    except auth.SignInRefused as exc:
        _refused(exc)
        return None
    if who is None:
        _signed_out()
        return None
    set_identity(who)
    memberships = data.memberships(who.email)
    if not memberships:
        _non_member_navigation(who).run()
        return None
    chosen = auth.choose_membership(memberships, org_slug=st.session_state.get(keys.ORG_SWITCH))
    viewer = auth.viewer_from(who, chosen)
    set_viewer(viewer)
    return viewer


def decorate(viewer: auth.Viewer) -> None:
    """The sidebar (organization switcher, who is signed in) and the demo banner.

    Called after st.navigation, so these belong to the frame around every page.
    """
    _sidebar(viewer, data.memberships(viewer.email))
    sidebar_sessions.history_panel(viewer.org_id)
    if viewer.source is auth.Source.DEMO:
        st.info(
            f"**Demo mode**: acting as {fmt.md(viewer.email)}, admin of {fmt.md(viewer.org_name)}, "
            "on generated data. Served on localhost only.",
            icon=":material/science:",
        )


def _non_member_navigation(identity: auth.Identity) -> st.navigation:
    """A non-member sees "No access" everywhere; /admin still runs its own check, so the
    attempt is refused as "admins only" and audited like an analyst's."""
    no_access = st.Page(
        lambda: _no_access(identity), title="No access", url_path="no-access", default=True
    )
    admin = st.Page(keys.PAGE_ADMIN, title="Admin", url_path=keys.PATH_ADMIN)
    return st.navigation([no_access, admin], position="hidden")


class Misconfigured(auth.SignInRefused):
    title = "This server is misconfigured"


def _settings() -> Settings:
    """The settings, or a refusal naming the bad one (not "database not available")."""
    try:
        return load_settings()
    except ConfigError as exc:
        raise Misconfigured(str(exc)) from None


def _refused(exc: auth.SignInRefused) -> None:
    """Why there is no viewer, and nothing else: no navigation, no data."""
    st.title(exc.title)
    st.error(str(exc), icon=":material/block:")
    if isinstance(exc, auth.UnverifiedEmail):
        st.button("Sign out", on_click=st.logout, icon=":material/logout:")


def _signed_out() -> None:
    st.title("Sessionscope")
    if auth.login_configured(st.user.to_dict()):
        st.write("Sign in to explore your organization's sessions.")
        st.button("Sign in", on_click=st.login, type="primary", icon=":material/login:")
        return
    st.warning(
        "No identity: this server has no sign-in configured. Configure OIDC in "
        "`.streamlit/secrets.toml` (`[auth]`), a trusted proxy header "
        "(`server.trustedUserHeaders`), or start the demo with `make run`.",
        icon=":material/lock:",
    )


def _no_access(identity: auth.Identity) -> None:
    st.title("No access")
    st.write("You are signed in as")
    st.code(identity.email, language=None)
    st.write(
        "but this address is not a member of any organization in Sessionscope. "
        "Ask an admin of your organization to add you."
    )
    if identity.source is auth.Source.OIDC:
        st.button("Sign out", on_click=st.logout, icon=":material/logout:")


def _sidebar(viewer: auth.Viewer, memberships: list) -> None:
    with st.sidebar:
        if len(memberships) > 1:
            st.selectbox(
                "Organization",
                [m.org_slug for m in memberships],
                format_func={m.org_slug: m.org_name for m in memberships}.get,
                key=keys.ORG_SWITCH,
            )
        st.caption(f"{fmt.md(viewer.email)} · {viewer.role} · {fmt.md(viewer.org_name)}")
        if viewer.source is auth.Source.OIDC:
            st.button("Sign out", on_click=st.logout, icon=":material/logout:")


def database_error(exc: BaseException) -> None:
    """A clear message and a retry instead of a traceback."""
    if _is_statement_timeout(exc):
        # The database is there; one query was too slow, so "not available" would mislead.
        st.error(
            f"A query took longer than the statement timeout ({_timeout_ms()}, "
            "SESSIONSCOPE_STATEMENT_TIMEOUT_MS) and was stopped. Retry, or narrow what the "
            "page shows.",
            icon=":material/timer_off:",
        )
        st.button("Retry", key=keys.RETRY, icon=":material/refresh:")
        return
    if isinstance(exc, DBAPIError):
        message = describe_db_error(data.engine(), exc) if _engine_ready() else str(exc.orig)
    elif isinstance(exc, DatabaseUnavailable | ConfigError):
        message = str(exc)
    else:  # pragma: no cover - only database errors come here
        raise exc
    log.warning("database not available: %s", message)  # password-free, as on the page
    viewer = current_viewer_or_none()
    if viewer is not None and viewer.is_admin:
        st.error(f"The database is not available right now.\n\n{message}", icon=":material/error:")
    else:
        # The message names the host, port and database (the driver's line does too), which
        # is for admins: anyone else gets the setting's name only (issue 15, finding 9).
        st.error(
            "The database is not available right now. Where it is (DATABASE_URL) and what "
            "went wrong are shown to your organization's admins and written to the server's "
            "log.",
            icon=":material/error:",
        )
    st.button("Retry", key=keys.RETRY, icon=":material/refresh:")


def _is_statement_timeout(exc: BaseException) -> bool:
    """PostgreSQL cancelled the statement for running past statement_timeout (SQLSTATE 57014
    is any cancel; only the timeout says so in its message)."""
    orig = getattr(exc, "orig", None)
    return (
        isinstance(exc, OperationalError)
        and getattr(orig, "sqlstate", None) == "57014"
        and "statement timeout" in str(orig)
    )


def _timeout_ms() -> str:
    try:
        return f"{load_settings().statement_timeout_ms:,} ms"
    except ConfigError:  # pragma: no cover - the engine is built from these same settings
        return "as configured"


def _engine_ready() -> bool:
    try:
        data.engine()
    except Exception:
        return False
    return True


def pages(viewer: auth.Viewer) -> dict[str, list[st.Page]]:
    """The navigation for this viewer: analysts never see Admin."""
    users = st.Page(
        keys.PAGE_USERS, title="Users", url_path=keys.PATH_USERS, icon=":material/group:"
    )
    # Streamlit serves the default page at "/", so /users would be "not found" if Users
    # were the default; a hidden default forwards "/" to /users, keeping the params.
    home = st.Page(
        lambda: st.switch_page(users, query_params=st.query_params.to_dict()),
        title="Home",
        url_path="home",
        default=True,
        visibility="hidden",
    )
    explore = [
        home,
        users,
        st.Page(
            keys.PAGE_SEARCH, title="Search", url_path=keys.PATH_SEARCH, icon=":material/search:"
        ),
        st.Page(
            keys.PAGE_USER,
            title="User sessions",
            url_path=keys.PATH_USER,
            icon=":material/person_search:",
        ),
        st.Page(
            keys.PAGE_SESSION,
            title="Session details",
            url_path=keys.PATH_SESSION,
            icon=":material/insights:",
        ),
        st.Page(
            keys.PAGE_COMPARE,
            title="Compare",
            url_path=keys.PATH_COMPARE,
            icon=":material/compare_arrows:",
        ),
    ]
    # Analysts get the admin page hidden, so a typed /admin reaches its role check
    # ("admins only", audited) instead of silently falling back to the default page.
    admin = st.Page(
        keys.PAGE_ADMIN,
        title="Admin",
        url_path=keys.PATH_ADMIN,
        icon=":material/admin_panel_settings:",
        visibility="visible" if viewer.is_admin else "hidden",
    )
    sections = (
        {"Explore": explore, "Admin": [admin]}
        if viewer.is_admin
        else {"Explore": [*explore, admin]}
    )
    return sections
