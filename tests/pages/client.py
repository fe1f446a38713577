"""The one way the page tests open the real app in AppTest, on any database: make_app_client
(as Datasette's tests open theirs), behind two-line fixtures in tests/pages/conftest.py.

    with make_app_client(engine, monkeypatch) as open_:
        at = open_(keys.PAGE_USER, user="usr_ann")  # "/" first, then the page: a click
        at = open_(keys.PAGE_ADMIN, direct=True)  # the page on the first run: a typed link
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from components import keys
from harness.apptest import ServedAppTest
from sessionscope.settings import PROJECT_ROOT
from tests.pages.datasets import ANALYST

APP = str(PROJECT_ROOT / "dashboard_app.py")
RUN_TIMEOUT_S = 60

Open = Callable[..., AppTest]
Client = Callable[..., Open]  # the `client` fixture: client(engine, path=None, **defaults)

URL_PATHS = {
    keys.PAGE_USERS: keys.PATH_USERS,
    keys.PAGE_USER: keys.PATH_USER,
    keys.PAGE_SESSION: keys.PATH_SESSION,
    keys.PAGE_ADMIN: keys.PATH_ADMIN,
    keys.PAGE_SEARCH: keys.PATH_SEARCH,
    keys.PAGE_COMPARE: keys.PATH_COMPARE,
}


def open_app(
    path: str | None = None,
    *,
    email: str | None = ANALYST,
    direct: bool = False,
    state: dict[str, Any] | None = None,
    st_user: dict[str, object] | None = None,
    st_secrets: dict[str, object] | None = None,
    **params: str | list[str],
) -> AppTest:
    """The app after a link to `path` (None: "/") with `params` was opened cold.

    `direct`: the page runs first, as a link typed or pasted; otherwise "/" runs first (it
    forwards to Users) and then the page, as a viewer clicking through. `email` arrives as a
    proxy header would (None: signed out); `st_user` replaces st.user whole (an OIDC login
    sets is_logged_in), `st_secrets` st.secrets (an [auth] section); `state` goes into
    session state before the first run (e.g. an open panel). Needs make_app_client's set-up.
    """
    at = ServedAppTest(APP, default_timeout=RUN_TIMEOUT_S)
    at.user = st_user if st_user is not None else {"email": email} if email else {}
    at.secrets = st_secrets or {}
    for name, value in (state or {}).items():
        at.session_state[name] = value
    for name, value in params.items():
        at.query_params[name] = value
    if direct:
        # A browser asks for /user by its URL path, and st.Page's script hash is the hash of
        # that path. Before a first run AppTest.switch_page knows pages only by file name
        # (admin.py is /admin, but user_sessions.py is not /user), so request the hash a
        # browser's /user gets.
        at._page_hash = calc_hash(URL_PATHS[path])
        return at.run()
    at.run()
    if path:
        at.switch_page(path).run()
    return at


open_direct = functools.partial(open_app, direct=True)


def clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


@contextmanager
def make_app_client(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, path: str | None = None, **defaults: Any
) -> Iterator[Open]:
    """open(path, **options) -> open_app on `engine`'s database, with caches cleared before
    and after. `path` and `defaults` are the opener's defaults (a fixture's page and viewer).
    """
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("SESSIONSCOPE_DEMO", raising=False)
    clear_caches()

    def open_(page: str | None = path, /, **options: Any) -> AppTest:
        return open_app(page, **(defaults | options))

    try:
        yield open_
    finally:
        from components import data

        data.engine().dispose()
        clear_caches()
