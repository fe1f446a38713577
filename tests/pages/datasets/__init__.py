"""The page tests' hand-built data sets, one module each with `build(engine)`, and the cache
that builds each of them once per backend in a run.

explorer: every pane state of the explorer (most page tests); admin: analytics worked out
by hand; history: the sidebar's sessions; workflow: a paused workflow to resume; protocol:
MCP protocol requests beside tool calls; redacted: a call the redaction rules changed.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from tests import factories as f
from tests.conftest import DatabaseFactory

ADMIN, ANALYST = "admin@acme.example", "analyst@acme.example"

Build = Callable[[sa.Engine], object]
DataSet = Callable[[Build], sa.Engine]  # the `data_set` fixture: data_set(build) -> engine


class DataSets:
    """Each data set in a database of its own, built the first time a test asks for it on a
    backend and shared by the rest of the run: tests read it and never write to it (a test
    that writes builds its data set in a fresh database)."""

    def __init__(self, databases: DatabaseFactory) -> None:
        self._databases = databases
        self._built: dict[tuple[Build, str], sa.Engine] = {}

    def get(self, build: Build, backend: str) -> sa.Engine:
        if (build, backend) not in self._built:
            engine = self._databases.engine(backend)
            build(engine)
            self._built[build, backend] = engine
        return self._built[build, backend]


def acme_and_globex(conn: sa.Connection) -> tuple[f.Row, f.Row]:
    """The two organizations of the explorer and Admin data sets, with acme's admin and
    analyst and globex's admin as members."""
    acme = f.org(conn, id="org_acme", slug="acme", name="Acme Corp")
    globex = f.org(conn, id="org_globex", slug="globex", name="Globex")
    f.member(conn, acme, email=ADMIN, role="admin")
    f.member(conn, acme, email=ANALYST, role="analyst")
    f.member(conn, globex, email="admin@globex.example", role="admin")
    return acme, globex


def ann_and_bob(conn: sa.Connection, acme: f.Row) -> tuple[f.Row, f.Row]:
    """acme's two end users of the explorer and Admin data sets (Bob's name is markup)."""
    ann = f.end_user(
        conn,
        acme,
        id="usr_ann",
        distinct_id="ann-1",
        email="ann@corp.example",
        display_name="Ann Lee",
    )
    bob = f.end_user(
        conn,
        acme,
        id="usr_bob",
        distinct_id="bob-2",
        email="bob@corp.example",
        display_name="Bob <b>Stone</b>",
    )
    return ann, bob
