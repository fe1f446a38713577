"""The Admin page's cached boundary: one st.cache_data wrapper per query, named TTLs.

Same pattern as components/data.py (its engine and connections): arguments are plain
hashable values, AdminFilter included. The writes (bulk actions, audit entries) do not
go through here; `sessions_changed` forgets what a write made stale.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import sqlalchemy as sa
import streamlit as st

from charts import admin as charts
from components import data
from components.data import connect
from queries import admin, analytics, audit, paths, tokens, traffic
from queries.admin import AdminFilter
from queries.page import Page
from queries.tokens import TokenInfo
from sessionscope import clock, rollup
from sessionscope.db import begin_write, is_postgres

# Seconds. The table moves as sessions start and end; analytics are heavy and change
# slowly (a few minutes late is fine for trends); the audit log is read right after a write
# here, and sessions_changed clears it then anyway.
TABLE_TTL = 30
ANALYTICS_TTL = 300
AUDIT_TTL = 30
SERVERS_TTL = 600
# Short: an exporter's traffic moves "last used" (at most once a minute per token), and
# tokens_changed clears the list after a create or revoke here anyway.
TOKENS_TTL = 15
MAX_ENTRIES = 256
PAGE_SIZE = 50
# The analytics sort hundreds of thousands of durations; PostgreSQL's default work_mem
# (4 MB) sends those sorts to disk. Raised for the analytics transaction only.
ANALYTICS_WORK_MEM = "64MB"
ROLLUP_CHECK_TTL = 3600  # the rollup moves once a day; look again hourly

_log = logging.getLogger(__name__)


@st.cache_resource(ttl=ROLLUP_CHECK_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _settled(org_id: str, day: date) -> bool:
    """Move the org's rollup up to the day before yesterday, once per process and day.

    A write in a read path, on purpose: it rolls up one day's sessions (the first view of
    the day pays for it, about 0.2 s at a million sessions). On a read-only connection it
    fails, is logged, and the analytics read those days live instead: slower, never wrong.
    """
    try:
        with begin_write(data.engine()) as conn:
            return rollup.settle(conn, org_id=org_id)
    except sa.exc.DBAPIError as exc:
        _log.warning("rollup of %s not settled (%s); analytics read live", org_id, exc.orig)
        return False


def _query(engine: sa.Engine, fn: Callable[..., Any], org_id: str, flt: AdminFilter) -> Any:
    """fn(conn, org_id=..., flt=...) on its own connection (it runs in a worker thread)."""
    with engine.connect() as conn:
        if is_postgres(conn):
            # SET LOCAL takes no parameters; set_config(..., is_local => true) is the same.
            conn.execute(sa.select(sa.func.set_config("work_mem", ANALYTICS_WORK_MEM, sa.true())))
        return fn(conn, org_id=org_id, flt=flt)


# --- the sessions table -----------------------------------------------------------------------


@st.cache_data(ttl=TABLE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def sessions_page(org_id: str, flt: AdminFilter, sort: str, after: tuple | None) -> Page:
    with connect() as conn:
        return admin.list_sessions(
            conn, org_id=org_id, flt=flt, sort=sort, after=after, limit=PAGE_SIZE
        )


@st.cache_data(ttl=TABLE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def session_count(org_id: str, flt: AdminFilter) -> int:
    with connect() as conn:
        return admin.count_sessions(conn, org_id=org_id, flt=flt)


@st.cache_data(ttl=SERVERS_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def servers(org_id: str) -> pd.DataFrame:
    with connect() as conn:
        return admin.servers(conn, org_id=org_id)


def matching_ids(org_id: str, flt: AdminFilter, *, limit: int) -> list[str]:
    """Ids of up to `limit` sessions matching the filter, newest first (for a bulk action).

    Not cached: it is read right before a write, which must act on what is there now.
    """
    ids: list[str] = []
    after = None
    with connect() as conn:
        while len(ids) < limit:
            page = admin.list_sessions(
                conn, org_id=org_id, flt=flt, after=after, limit=min(1000, limit - len(ids))
            )
            ids += page.rows["id"].tolist()
            if page.next_cursor is None:
                break
            after = page.next_cursor
    return ids


# --- analytics --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Analytics:
    """Everything the Analytics tab draws for one period (and the cards' previous period)."""

    kpis: analytics.Kpis
    kpis_before: analytics.Kpis | None
    figures: Mapping[str, go.Figure]  # chart name (CHARTS) -> its figure, never mutated


# Chart name -> (the query of its data, the figure builder).
_CHARTS: dict[str, tuple[Callable[..., pd.DataFrame], Callable[[pd.DataFrame], go.Figure]]] = {
    "per_day": (analytics.sessions_per_day, charts.sessions_per_day),
    "success": (analytics.success_rate_per_day, charts.success_rate),
    "durations": (analytics.duration_percentiles_per_day, charts.duration_percentiles),
    "tools": (analytics.tool_stats, charts.top_tools),
    "users": (analytics.top_users, charts.top_users),
    "funnel": (analytics.workflow_funnel, charts.workflow_funnel),
}
CHARTS = tuple(_CHARTS)
# The slowest queries (200-400 ms each at 1,000,000 sessions): submitted first.
_SLOWEST = ("tools", "users")
# The queries are independent: run side by side, on their own pooled connections, they
# take about as long as the slowest one instead of the sum (the pool has 5 + 5 connections).
_PARALLEL = 4


# A resource, not st.cache_data: the figures are kept as built (shared, never mutated:
# st.plotly_chart serialises a copy) instead of being pickled and unpickled on every hit,
# so a warm Admin page does no figure work at all.
@st.cache_resource(ttl=ANALYTICS_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def analytics_of(org_id: str, flt: AdminFilter, before: AdminFilter | None) -> Analytics:
    """The KPIs of `flt` and of `before` (the previous period, if any) and every chart.

    The queries run in worker threads while this thread builds each figure as soon as its
    data arrives, so the figures of the quick queries cost nothing: they are drawn while the
    slow ones are still in the database.
    """
    _settled(org_id, clock.now().date())
    engine = data.engine()  # here: worker threads have no Streamlit context for the cache
    with ThreadPoolExecutor(_PARALLEL) as pool:
        # The slowest first, so they start before the pool is busy with the quick ones.
        order = sorted(_CHARTS, key=lambda name: name not in _SLOWEST)
        pending = {
            pool.submit(_query, engine, _CHARTS[name][0], org_id, flt): name for name in order
        }
        now = pool.submit(_query, engine, analytics.kpis, org_id, flt)
        prev = pool.submit(_query, engine, analytics.kpis, org_id, before) if before else None
        figures = {}
        for done in as_completed(pending):
            name = pending[done]
            figures[name] = _CHARTS[name][1](done.result())
        return Analytics(
            kpis=now.result(),
            kpis_before=prev.result() if prev else None,
            figures={name: figures[name] for name in CHARTS},
        )


# --- tool paths and MCP traffic ----------------------------------------------------------------


# The panels read the rollup for settled days, but window or group the calls of the live
# days (and of every day under a filter the rollup cannot answer: user or title text, a
# click-through narrowing): on a large organization with a cold database cache that can take
# longer than a page may wait. Each panel query is cut off after PANEL_TIMEOUT on
# PostgreSQL; the panel then says so, and that is cached like a result, so the next visits
# do not wait again.
PANEL_TIMEOUT = "8s"
_CANCELED = "57014"  # PostgreSQL's query_canceled (statement_timeout)


@dataclass(frozen=True)
class ToolPaths:
    """The Tool paths panel of one period: queries.paths' frames (None: cut off after
    PANEL_TIMEOUT), loops and tickets_per_tool with the previous period's figures beside."""

    sequences: pd.DataFrame | None
    loops: pd.DataFrame | None
    before_error: pd.DataFrame | None
    before_ticket: pd.DataFrame | None
    tickets_per_tool: pd.DataFrame | None


@dataclass(frozen=True)
class Traffic:
    """The MCP traffic panel of one period, each frame (None: cut off after PANEL_TIMEOUT)
    with the previous period's figures beside."""

    clients: pd.DataFrame | None
    transports: pd.DataFrame | None
    targets: pd.DataFrame | None


def _bounded(fn: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame | None]:
    """fn, cut off after PANEL_TIMEOUT on PostgreSQL (None then)."""

    def run(conn: sa.Connection, *, org_id: str, flt: AdminFilter) -> pd.DataFrame | None:
        if is_postgres(conn):  # local to _query's transaction, as work_mem is
            conn.execute(
                sa.select(sa.func.set_config("statement_timeout", PANEL_TIMEOUT, sa.true()))
            )
        try:
            return fn(conn, org_id=org_id, flt=flt)
        except sa.exc.OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != _CANCELED:
                raise
            _log.warning(
                "%s of %s cut off after %s", getattr(fn, "__name__", fn), org_id, PANEL_TIMEOUT
            )
            return None

    return run


def _run_all(
    org_id: str, jobs: Mapping[str, tuple[Callable[..., Any], AdminFilter | None]]
) -> dict[str, Any]:
    """Each job's fn(conn, org_id=..., flt=...) side by side, bounded (None for a job without
    a filter or cut off); the panels' queries are independent, as the charts' are."""
    engine = data.engine()  # here: worker threads have no Streamlit context for the cache
    with ThreadPoolExecutor(_PARALLEL) as pool:
        futures = {
            name: pool.submit(_query, engine, _bounded(fn), org_id, flt)
            for name, (fn, flt) in jobs.items()
            if flt is not None
        }
        return {name: futures[name].result() if name in futures else None for name in jobs}


def _beside(
    now: pd.DataFrame | None, before: pd.DataFrame | None, keys: list[str], values: list[str]
) -> pd.DataFrame | None:
    return None if now is None else traffic.compare(now, before, keys, values)


@st.cache_data(ttl=ANALYTICS_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def tool_paths_of(org_id: str, flt: AdminFilter, before: AdminFilter | None) -> ToolPaths:
    """The Tool paths panel of `flt`'s period (the previous one's tickets and loops beside)."""
    got = _run_all(
        org_id,
        {
            "sequences": (paths.sequences, flt),
            "loops": (paths.loops, flt),
            "loops_before": (partial(paths.loops, limit=None), before),
            "before_error": (paths.before_error, flt),
            "before_ticket": (paths.before_ticket, flt),
            "tickets": (paths.tickets_per_tool, flt),
            "tickets_before": (partial(paths.tickets_per_tool, limit=None), before),
        },
    )
    return ToolPaths(
        sequences=got["sequences"],
        loops=_beside(got["loops"], got["loops_before"], ["tool_name"], ["sessions"]),
        before_error=got["before_error"],
        before_ticket=got["before_ticket"],
        tickets_per_tool=_beside(got["tickets"], got["tickets_before"], ["last_tool"], ["tickets"]),
    )


@st.cache_data(ttl=ANALYTICS_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def traffic_of(org_id: str, flt: AdminFilter, before: AdminFilter | None) -> Traffic:
    """The MCP traffic panel of `flt`'s period, each row with the previous period's figures."""
    got = _run_all(
        org_id,
        {
            "targets": (traffic.targets, flt),
            "targets_before": (partial(traffic.targets, limit=None), before),
            "clients": (traffic.clients, flt),
            "clients_before": (partial(traffic.clients, limit=None), before),
            "transports": (traffic.transports, flt),
            "transports_before": (partial(traffic.transports, limit=None), before),
        },
    )
    counts = ["sessions", "calls", "errors"]
    return Traffic(
        clients=_beside(
            got["clients"], got["clients_before"], ["client_name", "client_version"], counts
        ),
        transports=_beside(got["transports"], got["transports_before"], ["transport"], counts),
        targets=_beside(
            got["targets"],
            got["targets_before"],
            ["method", "target"],
            ["calls", "errors", "error_rate", "p95_ms"],
        ),
    )


# --- audit log --------------------------------------------------------------------------------


@st.cache_data(ttl=AUDIT_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def audit_page(
    org_id: str, actor_q: str | None, actions: tuple[str, ...], before: tuple | None
) -> Page:
    with connect() as conn:
        return audit.entries(
            conn, org_id=org_id, actor_q=actor_q, actions=actions, before=before, limit=PAGE_SIZE
        )


@st.cache_data(ttl=AUDIT_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def audit_actions(org_id: str) -> list[str]:
    with connect() as conn:
        return audit.actions(conn, org_id=org_id)


# --- ingest tokens ----------------------------------------------------------------------------


@st.cache_data(ttl=TOKENS_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def ingest_tokens(org_id: str) -> list[TokenInfo]:
    """The organization's ingest tokens (names and dates; the secrets are never stored)."""
    with connect() as conn:
        return tokens.for_org(conn, org_id=org_id)


# --- after a write ----------------------------------------------------------------------------

_SESSION_CACHES = (
    sessions_page,
    session_count,
    analytics_of,
    tool_paths_of,
    traffic_of,
)


def sessions_changed() -> None:
    """Forget every cached view of the org's sessions after archive/restore here."""
    for cached in _SESSION_CACHES:
        cached.clear()
    audit_written()
    # The explorer pages list sessions too; archived ones must leave (or return to) them.
    data.sessions_listed_changed()
    data.history_latest.clear()
    data.history_viewed.clear()
    data.history_stats.clear()


def tokens_changed() -> None:
    """A token was created or revoked here: the list and the audit view must show it."""
    ingest_tokens.clear()
    audit_written()


def audit_written() -> None:
    """A new audit entry exists: the audit view must show it."""
    audit_page.clear()
    audit_actions.clear()
