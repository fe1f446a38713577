"""Script-run times of the User sessions page under AppTest, on whatever DATABASE_URL names.

    DATABASE_URL=... .venv/bin/python -m bench.page_times [--user usr_demo_heavy] [--runs 7]

Each state is timed cold (caches cleared before the run) and warm (the same run again),
as the median of --runs runs after one warm-up. Run it against the small and the large
data set in one sitting so the figures compare.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from sessionscope.db import make_engine
from sessionscope.settings import PROJECT_ROOT, load_settings

APP = str(PROJECT_ROOT / "dashboard_app.py")
PAGE = "app_pages/user_sessions.py"
VIEWER = {"email": "analyst@acme.example"}


def _open(params: dict[str, str]) -> AppTest:
    """A page with the frame already resolved once, ready for the timed run."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.user = VIEWER
    at.run()
    at.switch_page(PAGE)
    for name, value in params.items():
        at.query_params[name] = value
    return at


def _median_ms(fn: Callable[[], float], runs: int) -> float:
    fn()  # warm-up
    return statistics.median(fn() for _ in range(runs))


def time_state(params: dict[str, str], *, cold: bool, runs: int) -> float:
    def once() -> float:
        at = _open(params)
        if cold:
            st.cache_data.clear()
        start = time.perf_counter()
        at.run()
        elapsed = (time.perf_counter() - start) * 1000
        assert not at.exception, at.exception
        return elapsed

    return _median_ms(once, runs)


def pick(user: str) -> dict[str, str]:
    """The user's newest session and its first tool call, read straight from the database."""
    engine = make_engine(load_settings().database_url)
    with engine.connect() as conn:
        session_id = conn.execute(
            sa.text("SELECT id FROM sessions WHERE end_user_id = :u AND total_tool_calls > 0 "
                    "ORDER BY started_at DESC LIMIT 1"), {"u": user},
        ).scalar_one()  # fmt: skip
        item = conn.execute(
            sa.text("SELECT id FROM tool_calls WHERE session_id = :s ORDER BY seq LIMIT 1"),
            {"s": session_id},
        ).scalar_one()
    engine.dispose()
    return {"user": user, "session": session_id, "item": item}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--user", default="usr_demo_heavy")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    ids = pick(args.user)
    states = {
        "cold (no selection)": {"user": ids["user"]},
        "session selected": {"user": ids["user"], "session": ids["session"]},
        "item selected": ids,
    }
    for name, params in states.items():
        cold = time_state(params, cold=True, runs=args.runs)
        warm = time_state(params, cold=False, runs=args.runs)
        print(f"{name:22} cache cold {cold:7.1f} ms   cache warm {warm:7.1f} ms")


if __name__ == "__main__":
    main()
