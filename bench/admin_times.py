"""Times of the Admin page under AppTest and the raw SQL of its analytics, on DATABASE_URL.

    DATABASE_URL=... .venv/bin/python -m bench.admin_times [--runs 5] [--org org_acme]

Read only: the page's `admin.view` audit entry is marked as already written, so nothing is
inserted (safe on a shared benchmark database). States, each timed cold (st.cache_data and
the figure cache cleared before the run; the engine kept) and warm (the same run again),
as the median of --runs runs after one warm-up:

- the Analytics tab with no date range in the URL (the page shows the last 30 days),
- the Analytics tab over all sessions (from the first session's day to today),
- the Sessions tab (table and count) with no filter.

Then the raw SQL time of every query the Analytics tab issues for the first two states
(median of --runs, each in its own transaction with the page's analytics settings).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from queries import analytics
from queries.admin import AdminFilter
from sessionscope.db import is_postgres, make_engine
from sessionscope.settings import PROJECT_ROOT, load_settings

APP = str(PROJECT_ROOT / "dashboard_app.py")
PAGE = "app_pages/admin.py"


def _open(email: str, org_id: str, tab: str, params: dict[str, str]) -> AppTest:
    """The admin page opened once (frame resolved), ready for the timed run."""
    at = AppTest.from_file(APP, default_timeout=300)
    at.user = {"email": email}
    at.session_state["adm_audited"] = {("admin.view", org_id, email)}  # no audit write
    at.session_state["adm_tab"] = tab
    at.run()
    at.switch_page(PAGE)
    for name, value in params.items():
        at.query_params[name] = value
    return at


def _quiet() -> None:
    """Clearing caches outside a script run logs a warning each time: keep the output readable."""
    for name in list(logging.Logger.manager.loggerDict):
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)


def _clear() -> None:
    from components import admin_data

    _quiet()
    st.cache_data.clear()
    admin_data.figure.clear()


def _median_ms(fn: Callable[[], float], runs: int) -> float:
    fn()  # warm-up
    return statistics.median(fn() for _ in range(runs))


def time_page(email: str, org_id: str, tab: str, params: dict[str, str], *, runs: int) -> tuple:
    def once(cold: bool) -> float:
        at = _open(email, org_id, tab, params)
        if cold:
            _clear()
        else:
            at.run()
        start = time.perf_counter()
        at.run()
        elapsed = (time.perf_counter() - start) * 1000
        assert not at.exception, at.exception
        return elapsed

    return _median_ms(lambda: once(True), runs), _median_ms(lambda: once(False), runs)


def analytics_queries(flt: AdminFilter) -> dict[str, Callable]:
    """Every query of the Analytics tab for the period `flt`, as the page issues them."""
    before = analytics.previous_period(flt)
    calls = {
        "kpis": (analytics.kpis, flt),
        "sessions_per_day": (analytics.sessions_per_day, flt),
        "success_rate_per_day": (analytics.success_rate_per_day, flt),
        "duration_percentiles_per_day": (analytics.duration_percentiles_per_day, flt),
        "tool_stats": (analytics.tool_stats, flt),
        "top_users": (analytics.top_users, flt),
        "workflow_funnel": (analytics.workflow_funnel, flt),
    }
    if before is not None:
        calls["kpis (previous period)"] = (analytics.kpis, before)
    return calls


def time_sql(engine: sa.Engine, org_id: str, flt: AdminFilter, *, runs: int) -> dict[str, float]:
    from components.admin_data import ANALYTICS_WORK_MEM

    times: dict[str, float] = {}
    for name, (fn, f) in analytics_queries(flt).items():

        def once(fn: Callable = fn, f: AdminFilter = f) -> float:
            with engine.connect() as conn:
                if is_postgres(conn):
                    conn.execute(sa.text(f"SET LOCAL work_mem = '{ANALYTICS_WORK_MEM}'"))
                start = time.perf_counter()
                fn(conn, org_id=org_id, flt=f)
                return (time.perf_counter() - start) * 1000

        times[name] = _median_ms(once, runs)
    return times


def first_day(engine: sa.Engine, org_id: str) -> date:
    with engine.connect() as conn:
        first = conn.execute(
            sa.text("SELECT min(started_at) FROM sessions WHERE org_id = :o"), {"o": org_id}
        ).scalar_one()
    return first.date() if isinstance(first, datetime) else date.fromisoformat(str(first)[:10])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--org", default="org_acme")
    parser.add_argument("--email", default="admin@acme.example")
    args = parser.parse_args()
    _quiet()
    from components.admin_analytics import period

    engine = make_engine(load_settings().database_url)
    today = datetime.now(UTC).date()
    since = first_day(engine, args.org)
    default = period(AdminFilter(), today=today)
    everything = AdminFilter(date_from=since, date_to=today)
    states = {
        "Analytics, no range (last 30 days)": ("Analytics", {}, default),
        "Analytics, all sessions": (
            "Analytics",
            {"from": since.isoformat(), "to": today.isoformat()},
            everything,
        ),
        "Sessions tab, no filter": ("Sessions", {}, None),
    }
    for name, (tab, params, _) in states.items():
        cold, warm = time_page(args.email, args.org, tab, params, runs=args.runs)
        print(f"page  {name:36} cold {cold:8.1f} ms   warm {warm:7.1f} ms")
    for name, (_, _, flt) in states.items():
        if flt is None:
            continue
        times = time_sql(engine, args.org, flt, runs=args.runs)
        for query, ms in times.items():
            print(f"sql   {name:36} {query:30} {ms:8.1f} ms")
        print(f"sql   {name:36} {'total':30} {sum(times.values()):8.1f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()
