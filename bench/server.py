"""Server-side figures: AppTest script-run times of each page state, the raw SQL time of the
statements each run issues, and the run time of an empty page.

Every state is opened once (frame resolved), then its run is timed with the caches cleared
(cold) or after the same run (warm); each figure is the median of `runs` after a warm-up.
The raw SQL is replayed on the DB-API connection itself (psycopg on PostgreSQL, sqlite3 on
SQLite): the statements a cold run issued, in order, with their parameters, in one
transaction that is rolled back.
"""

from __future__ import annotations

import itertools
import logging
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from components import keys
from components.viewer import VIEWER
from harness.apptest import ServedAppTest
from sessionscope.db import make_engine
from sessionscope.settings import PROJECT_ROOT

APP = str(PROJECT_ROOT / "dashboard_app.py")
NAIVE_APP = str(PROJECT_ROOT / "bench" / "naive_app.py")
EMPTY_APP = str(PROJECT_ROOT / "bench" / "empty_app.py")
BARE_APP = str(PROJECT_ROOT / "bench" / "bare_app.py")
ANALYST, ADMIN, ORG = "analyst@acme.example", "admin@acme.example", "org_acme"
HEAVY_USER, HUGE_SESSION = "usr_demo_heavy", "ses_demo_huge"
NAIVE = "Naive baseline: item selected"


@dataclass(frozen=True)
class State:
    name: str
    page: str  # keys.PAGE_* of the real app, or NAIVE_APP
    params: dict[str, str] = field(default_factory=dict)
    email: str = ANALYST
    admin_tab: str | None = None


@dataclass
class Timing:
    cold_ms: float
    warm_ms: float
    sql_ms: float  # the raw SQL of a cold run
    statements: int


def pick_ids(url: str) -> dict[str, str]:
    """The heavy user's newest session with tool calls, the next one, and its first call."""
    engine = make_engine(url)
    with engine.connect() as conn:
        two = (
            conn.execute(
                sa.text(
                    "SELECT id FROM sessions WHERE end_user_id = :u AND total_tool_calls > 0 "
                    "AND archived_at IS NULL ORDER BY started_at DESC, id DESC LIMIT 2"
                ),
                {"u": HEAVY_USER},
            )
            .scalars()
            .all()
        )
        item = conn.execute(
            sa.text("SELECT id FROM tool_calls WHERE session_id = :s ORDER BY seq LIMIT 1"),
            {"s": two[0]},
        ).scalar_one()
    engine.dispose()
    return {"user": HEAVY_USER, "session": two[0], "other_session": two[1], "item": item}


def states(ids: dict[str, str]) -> list[State]:
    user = {"user": ids["user"]}
    session = {**user, "session": ids["session"]}
    item = {**session, "item": ids["item"]}
    explorer, details = keys.PAGE_USER, keys.PAGE_SESSION
    return [
        State("Users", keys.PAGE_USERS),
        State("User sessions: no selection", explorer, user),
        State("User sessions: session selected", explorer, session),
        State("User sessions: item selected", explorer, item),
        State("Session details: normal", details, {"session": ids["session"]}),
        State("Session details: 20,000 calls", details, {"session": HUGE_SESSION}),
        State("Admin analytics, last 30 days", keys.PAGE_ADMIN, {}, ADMIN, "Analytics"),
        State(NAIVE, NAIVE_APP, item),
    ]


def _quiet() -> None:
    """Clearing caches outside a script run logs a warning each time."""
    for name in list(logging.Logger.manager.loggerDict):
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)


def _clear() -> None:
    st.cache_data.clear()
    from components.admin import data as admin_data

    admin_data.analytics_of.clear()


def _as_local_browser() -> None:
    """AppTest has no websocket peer (st.context.ip_address is a stand-in), so the frame would
    refuse the identity header as from an unknown peer: the bench, like the tests
    (tests/conftest.py), runs as a browser on this machine's loopback."""
    from components import identity

    identity.peer_address = lambda: None


def _open(state: State) -> AppTest:
    _as_local_browser()
    if state.page == NAIVE_APP:
        at = AppTest.from_file(NAIVE_APP, default_timeout=1800)
    else:
        at = AppTest.from_file(APP, default_timeout=600)
        at.user = {"email": state.email}
        # The admin's visit is audited once per session: mark it done, so the bench writes
        # nothing (safe on a shared database).
        at.session_state["adm_audited"] = {("admin.view", ORG, state.email)}
        if state.admin_tab:
            at.query_params["tab"] = state.admin_tab  # the open tab is in the URL
        at.run()
        at.switch_page(state.page)
    for name, value in state.params.items():
        at.query_params[name] = value
    return at


def _run_ms(state: State, *, cold: bool) -> float:
    at = _open(state)
    if cold:
        _clear()
    started = time.perf_counter()
    at.run()
    elapsed = (time.perf_counter() - started) * 1000
    if at.exception:
        raise RuntimeError(f"{state.name}: {at.exception[0].message}")
    if state.page != NAIVE_APP and at.session_state[VIEWER] is None:
        raise RuntimeError(f"{state.name}: the frame found no viewer (sign-in refused?)")
    return elapsed


def click_runs(url: str, ids: dict[str, str], runs: int) -> dict[str, float]:
    """The runs that clicks start on User sessions, item selected: a timeline row (the
    details' fragment alone) and a card (the timeline's and the details'), each on another
    option than the shown one, in turn (its reads cold on a first visit, warm once the
    options go round; the rest of the page's warm), with a full run, untimed, between
    clicks. Medians of `runs` after a warm-up, in ms, beside a warm full run of the state."""
    os.environ["DATABASE_URL"] = url
    st.cache_resource.clear()  # the engine of the previous data set
    _clear()
    state = next(s for s in states(ids) if s.name == "User sessions: item selected")
    _as_local_browser()
    at = ServedAppTest(APP, default_timeout=600)
    at.user = {"email": state.email}
    at.run()
    at.switch_page(state.page)
    for name, value in state.params.items():
        at.query_params[name] = value
    at.run()
    full = median_ms(lambda: _timed(at.run), runs)
    out = {"full_run_warm_ms": full}
    for name, key in (("item", keys.US_TL_ITEMS), ("session", keys.US_LIST)):
        options = list(at.radio(key=key).format_func.__self__)  # the list's {id: label}
        chosen = itertools.cycle([o for o in options if o != at.radio(key=key).value])

        def click(key: str = key, chosen: Iterator[str] = chosen) -> float:
            ms = _timed(at.radio(key=key).set_value(next(chosen)).run)
            if at.exception:
                raise RuntimeError(f"click: {at.exception[0].message}")
            at.run()  # the whole page again: the next click needs the list drawn
            return ms

        out[f"click_{name}_run_ms"] = median_ms(click, runs)
    return out


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def median_ms(fn: Callable[[], float], runs: int) -> float:
    fn()  # warm-up
    return statistics.median(fn() for _ in range(runs))


# The replay runs in one transaction of its own (SQLite's BEGIN IMMEDIATE is one of these).
_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextmanager
def _recording() -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(_TRANSACTION_CONTROL):
            seen.append((statement, params))

    sa.event.listen(sa.Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", record)


def raw_sql_ms(url: str, statements: list[tuple[str, Any]], runs: int) -> float:
    """The statements replayed on the bare DB-API connection, median of `runs`."""
    engine = make_engine(url)
    raw = engine.raw_connection()

    def once() -> float:
        cursor = raw.cursor()
        started = time.perf_counter()
        for statement, params in statements:
            cursor.execute(statement, params)
            if cursor.description is not None:
                cursor.fetchall()
        elapsed = (time.perf_counter() - started) * 1000
        raw.rollback()
        return elapsed

    try:
        return median_ms(once, runs)
    finally:
        raw.close()
        engine.dispose()


def empty_page_ms(runs: int, *, bare: bool = False) -> float:
    """A rerun of the app's frame around an empty page (or, bare, of a one-line Streamlit
    script), timed like the pages. Needs DATABASE_URL (the frame looks the viewer up)."""

    def once() -> float:
        _as_local_browser()
        at = AppTest.from_file(BARE_APP if bare else EMPTY_APP, default_timeout=600)
        at.user = {"email": ANALYST}
        at.run()
        started = time.perf_counter()
        at.run()
        if at.exception:
            raise RuntimeError(f"empty page: {at.exception[0].message}")
        if not bare and at.session_state[VIEWER] is None:
            raise RuntimeError("empty page: the frame found no viewer (sign-in refused?)")
        return (time.perf_counter() - started) * 1000

    return median_ms(once, runs)


def measure(url: str, state: State, runs: int) -> Timing:
    """Cold and warm run times of a state on the database at `url`, and its raw SQL time."""
    os.environ["DATABASE_URL"] = url
    st.cache_resource.clear()  # the engine of the previous data set
    _quiet()
    cold = median_ms(lambda: _run_ms(state, cold=True), runs)
    warm = median_ms(lambda: _run_ms(state, cold=False), runs)
    at = _open(state)
    _clear()
    with _recording() as seen:
        at.run()
    return Timing(cold, warm, raw_sql_ms(url, seen, runs), len(seen))
