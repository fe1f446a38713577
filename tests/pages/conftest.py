"""AppTest fixtures: the real app on a hand-built data set, on each backend.

`data_set(build)` is that data set's database (built once per backend in a run; read only),
`client(engine)` an opener on any database (tests/pages/client.py). Fixtures built from
them are two lines:

    @pytest.fixture()
    def app(client, data_set):
        return client(data_set(explorer.build))
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from components import keys
from tests.conftest import DatabaseFactory
from tests.pages.client import Client, Open, make_app_client
from tests.pages.datasets import ADMIN, Build, DataSet, DataSets, explorer
from tests.pages.datasets import admin as admin_data


@pytest.fixture(scope="session")
def data_sets(databases: DatabaseFactory) -> DataSets:
    return DataSets(databases)


@pytest.fixture()
def data_set(backend: str, data_sets: DataSets) -> DataSet:
    """data_set(build) -> the database `build` filled on `backend`, once per run; read only."""

    def get(build: Build) -> sa.Engine:
        return data_sets.get(build, backend)

    return get


@pytest.fixture()
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    """client(engine, path=None, **defaults) -> open(path, **options): see make_app_client."""
    with ExitStack() as stack:

        def on(engine: sa.Engine, path: str | None = None, **defaults: Any) -> Open:
            return stack.enter_context(make_app_client(engine, monkeypatch, path, **defaults))

        yield on


@pytest.fixture()
def explorer_engine(data_set: DataSet) -> sa.Engine:
    """The explorer data set (tests/pages/datasets/explorer.py); tests must not write to it."""
    return data_set(explorer.build)


@pytest.fixture()
def app(client: Client, explorer_engine: sa.Engine) -> Open:
    """open(path, email=..., **params) -> AppTest on the explorer data set."""
    return client(explorer_engine)


@pytest.fixture()
def fresh(backend: str, databases: DatabaseFactory) -> Iterator[sa.Engine]:
    """The Admin data set in a database of its own, for a test that writes."""
    engine = databases.engine(backend)
    admin_data.build(engine)
    yield engine
    engine.dispose()  # a database per test: close its pool (see tests/conftest.fresh_engine)


@pytest.fixture()
def admin(client: Client, data_set: DataSet) -> Open:
    """open(email=ADMIN, **params) -> /admin opened cold on the shared Admin data set (visits
    add admin.view entries there, which no reading test counts)."""
    return client(data_set(admin_data.build), keys.PAGE_ADMIN, email=ADMIN, direct=True)


@pytest.fixture()
def writer(client: Client, fresh: sa.Engine) -> Open:
    """open(email=ADMIN, **params) -> /admin opened cold on `fresh`, for a test that writes."""
    return client(fresh, keys.PAGE_ADMIN, email=ADMIN, direct=True)


@pytest.fixture()
def demo(client: Client, demo_engine: sa.Engine) -> Open:
    """open(path=Session details, **params) -> AppTest on the seeded demo data set (read
    only)."""
    return client(demo_engine, keys.PAGE_SESSION)


@pytest.fixture()
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine executes while the test runs."""
    seen: list[str] = []

    def record(conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(sa.Engine, "before_cursor_execute", record)
    yield seen
    event.remove(sa.Engine, "before_cursor_execute", record)
