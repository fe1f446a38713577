"""No lost work: bulk archive/restore and resume interrupted part-way, and run concurrently.

Interrupted (an error injected at a precise statement, the writing process killed, the
connection terminated by the server) they leave every row of every table they touch exactly
as before. Run at once by two viewers (two engines, a forced interleaving: the second starts
while the first is part-way) they give the result of one after the other, with exactly one
audit entry per change, and never hang (every join is bounded, so a deadlock fails the test).

tests/test_bulk.py and tests/test_resume.py already cover a Python error part-way (in the
progress callback, in audit.record) and a free-running race of resumes on one engine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from sessionscope import bulk, rollup, schema
from sessionscope.db import make_engine
from sessionscope.errors import AlreadyResumed
from sessionscope.resume import ResumeResult, resume
from sessionscope.settings import PROJECT_ROOT
from tests import factories
from tests.conftest import DatabaseFactory
from tests.factories import T0
from tests.workflow_sessions import committed_session

ANN, BOB = "ann@acme.example", "bob@acme.example"  # two admins, each with their own app
SETTLE_AT = T0 + timedelta(days=9)  # the sessions' day is settled: the rollup is in play
NOW_A = T0 + timedelta(days=10)
NOW_B = NOW_A + timedelta(minutes=1)
EARLIER = T0 - timedelta(days=30)
WAIT_S = 60  # upper bound on any wait; reached only when something hangs
TOUCHED = (
    schema.sessions,
    schema.session_states,
    schema.session_stages,
    schema.audit_log,
    schema.rollup_marks,
    schema.rollup_sessions,
    schema.rollup_durations,
    schema.rollup_tools,
)
ROLLUPS = (schema.rollup_sessions, schema.rollup_durations, schema.rollup_tools)


def contents(engine: Engine, tables: tuple[sa.Table, ...] = TOUCHED) -> dict[str, list[Any]]:
    """Every row of every table a bulk change or a resume writes, in a stable order."""
    with engine.connect() as conn:
        return {t.name: sorted(map(tuple, conn.execute(sa.select(t))), key=repr) for t in tables}


def sessions_world(engine: Engine, *, archived: tuple[int, ...] = ()) -> str:
    """Sessions ses_n1..ses_n8 of one org on one settled day; the n in `archived` archived."""
    with engine.begin() as conn:
        org = factories.org(conn, id="org_nlw")
        user, srv = factories.end_user(conn, org), factories.server(conn, org)
        for n in range(1, 9):
            start = T0 + timedelta(hours=n)
            factories.session(
                conn,
                org,
                user,
                srv,
                id=f"ses_n{n}",
                started_at=start,
                last_activity_at=start + timedelta(minutes=5),
                completed_at=start + timedelta(minutes=5),
                archived_at=EARLIER if n in archived else None,
            )
        rollup.settle(conn, org_id=org["id"], now=SETTLE_AT)
    return org["id"]


def ids(*numbers: int) -> list[str]:
    return [f"ses_n{n}" for n in numbers]


def resumable(engine: Engine) -> dict[str, Any]:
    """A paused workflow session at state version 2 (tests/workflow_sessions.py), rollup settled."""
    ses = committed_session(engine, admins=(ANN, BOB))
    with engine.begin() as conn:
        rollup.settle(conn, org_id=ses["org_id"], now=SETTLE_AT)
    return ses


def resume_kwargs(ses: dict[str, Any], actor: str, now: datetime) -> dict[str, Any]:
    return {
        "org_id": ses["org_id"],
        "session_id": ses["id"],
        "actor": actor,
        "expected_version": 2,
        "now": now,
    }


def _is(statement: str, prefix: str) -> bool:
    return " ".join(statement.split()).upper().startswith(prefix)


# --- an error injected at one statement -------------------------------------------------------


class Injected(Exception):
    pass


@pytest.fixture()
def fail_on(fresh_engine: Engine) -> Iterator[Callable[[str], None]]:
    """fail_on(prefix): the first statement starting with prefix raises instead of running."""
    armed: list[str] = []

    def before(conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if armed and _is(statement, armed[0]):
            armed.clear()
            raise Injected(statement.split()[0:3])

    event.listen(fresh_engine, "before_cursor_execute", before)
    yield armed.append
    event.remove(fresh_engine, "before_cursor_execute", before)


@pytest.mark.parametrize("action", ["archive", "restore"])
def test_bulk_failing_at_its_audit_insert_leaves_every_table_as_it_was(
    fresh_engine: Engine, fail_on: Callable[[str], None], action: str
) -> None:
    """The last statement fails: sessions and the settled-day rollup were rewritten by then."""
    org_id = sessions_world(fresh_engine, archived=(1, 2, 3, 4, 5) if action == "restore" else ())
    before = contents(fresh_engine)
    fail_on("INSERT INTO AUDIT_LOG")
    with pytest.raises(Injected):
        bulk.run_in_transaction(
            fresh_engine,
            getattr(bulk, action),
            org_id=org_id,
            actor=ANN,
            session_ids=ids(1, 2, 3, 4, 5, 6),
            chunk_size=2,
            now=NOW_A,
        )
    assert contents(fresh_engine) == before


def test_resume_failing_at_its_rollup_refresh_leaves_every_table_as_it_was(
    fresh_engine: Engine, fail_on: Callable[[str], None]
) -> None:
    ses = resumable(fresh_engine)
    before = contents(fresh_engine)
    fail_on("INSERT INTO ROLLUP_SESSIONS")  # after the session and its new state are written
    with pytest.raises(Injected):
        resume(fresh_engine, **resume_kwargs(ses, ANN, NOW_A))
    assert contents(fresh_engine) == before


# --- the writing process killed, the connection terminated ------------------------------------

# Runs one operation in its own process and stops right after the first statement starting
# with PAUSE_AT has run, inside the transaction: prints "PAUSED <backend pid>", then waits
# for a line on stdin before going on.
WORKER = r"""
import json, sys
from datetime import datetime
from sqlalchemy import event
from sessionscope import bulk, resume
from sessionscope.db import make_engine

url, op, pause_at, kwargs = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
kwargs["now"] = datetime.fromisoformat(kwargs["now"])
engine = make_engine(url)
paused = []

@event.listens_for(engine, "after_cursor_execute")
def pause(conn, cursor, statement, params, context, executemany):
    if not paused and " ".join(statement.split()).upper().startswith(pause_at):
        paused.append(1)
        info = getattr(conn.connection.dbapi_connection, "info", None)
        print("PAUSED", getattr(info, "backend_pid", 0), flush=True)
        sys.stdin.readline()

if op == "resume":
    resume.resume(engine, **kwargs)
else:
    bulk.run_in_transaction(engine, getattr(bulk, op), **kwargs)
print("DONE", flush=True)
"""


class Worker:
    """The WORKER script in a child process, paused part-way through its transaction."""

    def __init__(self, engine: Engine, op: str, pause_at: str, kwargs: dict[str, Any]) -> None:
        url = engine.url.render_as_string(hide_password=False)
        args = {**kwargs, "now": kwargs["now"].isoformat()}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, url, op, pause_at, json.dumps(args)],
            cwd=PROJECT_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("PAUSED"):
            self.proc.kill()
            _, err = self.proc.communicate(timeout=WAIT_S)
            pytest.fail(f"the worker did not reach {pause_at!r}: {line!r}\n{err}")
        self.backend_pid = int(line.split()[1])

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL: no rollback, no goodbye to the database
        self.proc.wait(timeout=WAIT_S)

    def go_on(self) -> tuple[int, str, str]:
        out, err = self.proc.communicate("\n", timeout=WAIT_S)
        return self.proc.returncode, out, err


BULK_PAUSE = "UPDATE SESSIONS"  # the first chunk is written, three are left
RESUME_PAUSE = "INSERT INTO SESSION_STATES"  # the session and its new state are written


def _start(engine: Engine, op: str) -> Worker:
    if op == "resume":
        ses = resumable(engine)
        return Worker(engine, op, RESUME_PAUSE, resume_kwargs(ses, ANN, NOW_A))
    org_id = sessions_world(engine, archived=(1, 2, 3, 4, 5) if op == "restore" else ())
    kwargs = {"org_id": org_id, "actor": ANN, "session_ids": ids(1, 2, 3, 4, 5, 6, 7)}
    return Worker(engine, op, BULK_PAUSE, {**kwargs, "chunk_size": 2, "now": NOW_A})


@pytest.mark.parametrize("op", ["archive", "restore", "resume"])
def test_a_writer_killed_part_way_leaves_every_table_as_it_was(
    fresh_engine: Engine, op: str
) -> None:
    """SIGKILL of the process part-way: SQLite discards the uncommitted WAL frames when the
    next connection opens the file, PostgreSQL aborts the transaction of the lost client."""
    before = contents(fresh_engine)  # the empty database: _start commits the world below
    worker = _start(fresh_engine, op)
    assert contents(fresh_engine) != before  # the world is committed; the change is not
    before = contents(fresh_engine)
    worker.kill()
    assert contents(fresh_engine) == before
    with fresh_engine.begin() as conn:  # and nothing is left locked
        conn.execute(sa.update(schema.sessions).values(title="written after the kill"))


@pytest.mark.parametrize("op", ["archive", "restore", "resume"])
def test_a_connection_terminated_part_way_leaves_every_table_as_it_was(
    databases: DatabaseFactory, op: str
) -> None:
    """PostgreSQL-only: pg_terminate_backend from another session while the transaction is
    part-way. SQLite has no server and no connection to cut; a killed writer (above) is its
    equivalent."""
    engine = databases.engine("postgresql")
    worker = _start(engine, op)
    before = contents(engine)
    with engine.connect() as admin:
        killed = admin.execute(
            sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": worker.backend_pid}
        )
        assert killed.scalar_one() is True
    code, out, err = worker.go_on()
    assert code != 0 and "DONE" not in out
    assert "OperationalError" in err, err  # the next statement found the connection gone
    assert contents(engine) == before


# --- two viewers at once ----------------------------------------------------------------------


class Viewer(threading.Thread):
    """One viewer's operation on its own engine, in a thread; its outcome kept for the test."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self._fn = fn
        self.outcome: Any = None

    def run(self) -> None:
        try:
            self.outcome = self._fn()
        except BaseException as exc:  # every outcome is checked by the test
            self.outcome = exc

    def finish(self) -> Any:
        self.join(timeout=WAIT_S)
        assert not self.is_alive(), "a viewer is still waiting: a deadlock or a lost wake-up"
        return self.outcome


class Gate:
    """Holds the first viewer right after a statement, inside its transaction, until opened."""

    def __init__(self, engine: Engine, after: str) -> None:
        self.reached, self.opened = threading.Event(), threading.Event()

        def hold(conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
            if not self.reached.is_set() and after in " ".join(statement.split()).upper():
                self.reached.set()
                self.opened.wait(WAIT_S)

        event.listen(engine, "after_cursor_execute", hold)

    def wait_reached(self) -> None:
        assert self.reached.wait(WAIT_S), "the first viewer never reached the gate"


class Watch:
    """Tells when the second viewer is stuck behind the first one's transaction, or done.

    PostgreSQL: its backend shows a lock wait in pg_stat_activity. SQLite: it is about to
    take the write lock (BEGIN IMMEDIATE, or a first write), which the first viewer holds.
    A second viewer that needs nothing the first one holds may simply finish first.
    """

    _SQLITE_WRITE = ("BEGIN IMMEDIATE", "UPDATE", "INSERT", "DELETE")

    def __init__(self, engine: Engine) -> None:
        self.pids: set[int] = set()
        self.writing = threading.Event()

        def seen(conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
            if conn.dialect.name == "postgresql":
                self.pids.add(conn.connection.dbapi_connection.info.backend_pid)
            elif any(_is(statement, w) for w in self._SQLITE_WRITE):
                self.writing.set()

        event.listen(engine, "before_cursor_execute", seen)

    def wait_stuck_or_done(self, viewer: Viewer, observer: Engine) -> None:
        query = sa.text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE pid = ANY(:pids) AND wait_event_type = 'Lock'"
        )
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            if not viewer.is_alive() or self.writing.is_set():
                return
            if observer.dialect.name == "postgresql" and self.pids:
                with observer.connect() as conn:
                    if conn.execute(query, {"pids": list(self.pids)}).scalar_one():
                        return
            time.sleep(0.01)
        pytest.fail("the second viewer neither finished nor waited for the first one")


@pytest.fixture()
def two_viewers(fresh_engine: Engine) -> Iterator[tuple[Engine, Engine]]:
    """Ann's and Bob's apps: two engines (two pools, as two app processes) on one database."""
    url = fresh_engine.url.render_as_string(hide_password=False)
    ann, bob = make_engine(url), make_engine(url)
    yield ann, bob
    ann.dispose()
    bob.dispose()


def race(
    fresh_engine: Engine,
    viewers: tuple[Engine, Engine],
    first: Callable[[Engine], Any],
    second: Callable[[Engine], Any],
    gate_after: str,
) -> tuple[Any, Any]:
    """first() held at its gate; second() started and seen stuck behind it (or done); then
    the gate opens and both end."""
    ann, bob = viewers
    gate, watch = Gate(ann, gate_after), Watch(bob)
    a = Viewer(lambda: first(ann))
    a.start()
    try:
        gate.wait_reached()
        b = Viewer(lambda: second(bob))
        b.start()
        watch.wait_stuck_or_done(b, fresh_engine)
    finally:
        gate.opened.set()
    return a.finish(), b.finish()


def audit_rows(engine: Engine) -> list[dict[str, Any]]:
    a = schema.audit_log.c
    with engine.connect() as conn:
        stmt = sa.select(schema.audit_log).order_by(a.created_at, a.id)
        return [dict(r) for r in conn.execute(stmt).mappings()]


def archived(engine: Engine) -> dict[str, datetime | None]:
    s = schema.sessions.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(s.id, s.archived_at).order_by(s.id))
        return {i: at if at is None or at.tzinfo else at.replace(tzinfo=UTC) for i, at in rows}


def assert_rollup_true(engine: Engine, org_id: str) -> None:
    """The settled-day rollup is what rebuilding it from the sessions now gives."""
    kept = contents(engine, ROLLUPS)
    with engine.connect() as conn, conn.begin() as trans:
        rollup.refresh_days(conn, org_id=org_id, days={T0.date()})
        rebuilt = {
            t.name: sorted(map(tuple, conn.execute(sa.select(t))), key=repr) for t in ROLLUPS
        }
        trans.rollback()
    assert kept == rebuilt


def test_two_viewers_resuming_one_session_one_wins(
    fresh_engine: Engine, two_viewers: tuple[Engine, Engine]
) -> None:
    """Bob presses Resume while Ann's resume of the same session is part-way: Bob waits for
    Ann's transaction (row lock on PostgreSQL, write lock on SQLite), then is told the
    session moved on. One new version, one audit entry."""
    ses = resumable(fresh_engine)
    won, lost = race(
        fresh_engine,
        two_viewers,
        lambda e: resume(e, **resume_kwargs(ses, ANN, NOW_A)),
        lambda e: resume(e, **resume_kwargs(ses, BOB, NOW_B)),
        gate_after="FROM SESSIONS",  # Ann has read (and on PostgreSQL locked) the session
    )
    assert isinstance(won, ResumeResult), won
    assert isinstance(lost, AlreadyResumed), lost
    assert "version 3, not 2" in str(lost)
    entries = audit_rows(fresh_engine)
    assert [(e["id"], e["actor_email"], e["target_id"]) for e in entries] == [
        (won.audit_id, ANN, ses["id"])
    ]
    st = schema.session_states.c
    with fresh_engine.connect() as conn:
        versions = conn.execute(sa.select(st.version).where(st.session_id == ses["id"]))
        assert sorted(versions.scalars()) == [1, 2, 3]
    assert_rollup_true(fresh_engine, ses["org_id"])


Change = tuple[str, list[str], datetime | None, datetime]  # actor, selection, value, at


def serially(
    start: dict[str, datetime | None], *changes: Change
) -> tuple[dict[str, datetime | None], dict[str, list[str]]]:
    """The archived_at of every session, and the ids each actor's entry names, after the
    changes run one after the other (a row already at the value is skipped, as bulk does)."""
    state, named = dict(start), {}
    for actor, selection, value, at in changes:
        target = at if value is not None else None
        moved = [i for i in selection if (state[i] is None) != (target is None)]
        state.update(dict.fromkeys(moved, target))
        named[actor] = moved
    return state, named


def audit_ids(engine: Engine) -> dict[str, list[str]]:
    """Per actor, the ids their one audit entry names as changed."""
    entries = audit_rows(engine)
    assert len({e["actor_email"] for e in entries}) == len(entries), entries
    return {e["actor_email"]: (e["detail"] or {}).get("ids", []) for e in entries}


ARCHIVE, RESTORE = NOW_A, None  # the value a change sets (archive: its `now`)


def _bulk_as(
    actor: str, action: Callable[..., object], ids: list[str], *, org_id: str, now: datetime
) -> Callable[[Engine], object]:
    """One admin's bulk change of `ids` in two-id chunks, for race()."""
    return lambda engine: bulk.run_in_transaction(
        engine, action, org_id=org_id, actor=actor, session_ids=ids, chunk_size=2, now=now
    )


@pytest.mark.parametrize(
    ("ann_does", "start_archived"),
    [("archive", ()), ("restore", (1, 2, 3, 4))],
)
def test_two_viewers_bulk_changing_overlapping_selections(
    fresh_engine: Engine,
    two_viewers: tuple[Engine, Engine],
    ann_does: str,
    start_archived: tuple[int, ...],
) -> None:
    """Bob archives sessions 8..2 while Ann's archive/restore of 1..6 is part-way (her first
    chunk written). Neither fails nor hangs; the result is the two changes one after the
    other (either order), and each audit entry names exactly the sessions its change moved."""
    org_id = sessions_world(fresh_engine, archived=start_archived)
    before = archived(fresh_engine)
    ann_ids, bob_ids = ids(1, 2, 3, 4, 5, 6), ids(8, 7, 6, 5, 4, 3, 2)
    a, b = race(
        fresh_engine,
        two_viewers,
        _bulk_as(ANN, getattr(bulk, ann_does), ann_ids, org_id=org_id, now=NOW_A),
        _bulk_as(BOB, bulk.archive, bob_ids, org_id=org_id, now=NOW_B),
        gate_after="UPDATE SESSIONS",
    )
    assert isinstance(a, bulk.BulkResult), a
    assert isinstance(b, bulk.BulkResult), b
    ann: Change = (ANN, ann_ids, ARCHIVE if ann_does == "archive" else RESTORE, NOW_A)
    bob: Change = (BOB, bob_ids, ARCHIVE, NOW_B)
    outcome = (archived(fresh_engine), audit_ids(fresh_engine))
    assert outcome in (serially(before, ann, bob), serially(before, bob, ann)), outcome
    assert (a.changed, b.changed) == (len(outcome[1][ANN]), len(outcome[1][BOB]))
    assert_rollup_true(fresh_engine, org_id)
