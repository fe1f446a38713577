"""components.data.connect, the pages' reads: on PostgreSQL in autocommit (no BEGIN and
ROLLBACK round trips), and the connection it hands back to the pool still runs the next
write in a transaction."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from components import data
from sessionscope.schema import organizations
from tests import factories


def test_a_write_after_a_read_on_the_same_connection_is_still_one_transaction(
    fresh_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data, "engine", lambda: fresh_engine)
    with data.connect() as conn:
        assert conn.execute(sa.select(sa.literal(1))).scalar() == 1
        read_on = conn.connection.driver_connection
        if fresh_engine.dialect.name == "postgresql":
            assert read_on.autocommit
    with pytest.raises(RuntimeError), fresh_engine.begin() as conn:
        assert conn.connection.driver_connection is read_on  # the pool's one connection
        factories.org(conn, id="org_half", slug="half")
        raise RuntimeError("the write fails half-way")
    with fresh_engine.connect() as conn:
        assert conn.execute(sa.select(organizations.c.id)).all() == []
