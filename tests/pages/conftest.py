"""AppTest fixtures: the real app against the hand-built data set on each backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
import streamlit as st
from sqlalchemy import event
from streamlit.testing.v1 import AppTest

from sessionscope.settings import PROJECT_ROOT
from tests.conftest import DatabaseFactory
from tests.pages import explorer_data

APP = str(PROJECT_ROOT / "dashboard_app.py")
RUN_TIMEOUT_S = 60

_built: dict[str, sa.Engine] = {}


@pytest.fixture()
def explorer_engine(backend: str, databases: DatabaseFactory) -> sa.Engine:
    """The page-test data set on `backend`, built once per run; tests must not write to it."""
    if backend not in _built:
        engine = databases.engine(backend)
        explorer_data.build(engine)
        _built[backend] = engine
    return _built[backend]


def _clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture()
def app(
    explorer_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., AppTest]]:
    """open(path, email=..., **params) -> AppTest after the run, like a link opened cold."""
    monkeypatch.setenv("DATABASE_URL", explorer_engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("SESSIONSCOPE_DEMO", raising=False)
    _clear_caches()

    def open_(
        path: str | None = None,
        *,
        email: str | None = "analyst@acme.example",
        st_user: dict[str, object] | None = None,
        st_secrets: dict[str, object] | None = None,
        **params: str,
    ) -> AppTest:
        """`email` arrives as a proxy header would; `st_user` replaces st.user whole (an OIDC
        login sets is_logged_in), `st_secrets` st.secrets (an [auth] section). `params` are
        the URL's."""
        at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S)
        at.user = st_user if st_user is not None else {"email": email} if email else {}
        at.secrets = st_secrets or {}
        for name, value in params.items():
            at.query_params[name] = value
        at.run()
        if path:
            at.switch_page(path).run()
        return at

    yield open_
    from components import data

    data.engine().dispose()
    _clear_caches()


@pytest.fixture()
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine executes while the test runs."""
    seen: list[str] = []

    def record(conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(sa.Engine, "before_cursor_execute", record)
    yield seen
    event.remove(sa.Engine, "before_cursor_execute", record)


@pytest.fixture()
def fresh(backend: str, databases: DatabaseFactory) -> Iterator[sa.Engine]:
    """The Admin data set in a database of its own, for a test that writes."""
    from tests.pages import admin_data_set

    engine = databases.engine(backend)
    admin_data_set.build(engine)
    yield engine
    engine.dispose()  # a database per test: close its pool (see tests/conftest.fresh_engine)
