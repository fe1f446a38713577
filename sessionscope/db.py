"""Engine construction: one place that knows SQLite and PostgreSQL differ.

Every failure to build or reach the engine becomes a DatabaseUnavailable whose
message names DATABASE_URL, says what is wrong and never shows the password.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from urllib.parse import quote, quote_plus

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from sessionscope.errors import DatabaseUnavailable
from sessionscope.textfold import register_sqlite

# Small pool: a Streamlit process serves a handful of concurrent script runs.
PG_POOL_SIZE = 5
PG_MAX_OVERFLOW = 5
PG_CONNECT_TIMEOUT_S = 5
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Execution option: how a transaction begins on SQLite (ignored elsewhere). "DEFERRED", the
# default, is a plain BEGIN. "IMMEDIATE" takes the write lock at BEGIN, waiting up to the busy
# timeout: a transaction that reads and then writes needs it, because under a deferred BEGIN
# SQLite will not upgrade a read snapshot that another writer has moved past and fails at once
# with "database is locked". Use begin_write() rather than setting it by hand.
SQLITE_BEGIN = "sqlite_begin"
_SQLITE_BEGIN_SQL = {"DEFERRED": "BEGIN", "IMMEDIATE": "BEGIN IMMEDIATE"}


def parse_url(raw: str) -> URL:
    """Parse a DATABASE_URL, mapping plain postgres URLs to the psycopg 3 driver we ship."""
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise DatabaseUnavailable(
            "DATABASE_URL is not a valid SQLAlchemy URL "
            "(expected e.g. postgresql+psycopg://user:pass@host/db or sqlite:///path.db)"
        ) from None
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def _passwords(url: URL) -> list[str]:
    """The password wherever a URL holds it: user:password@ or libpq's ?password=."""
    found = [url.password] if url.password else []
    in_query = url.query.get("password")
    found += [in_query] if isinstance(in_query, str) else list(in_query or ())
    return [str(p) for p in found if p]


def _mask(text: str, passwords: list[str]) -> str:
    """`text` with each password, as typed or percent-encoded, replaced by ***."""
    for password in passwords:
        for form in {password, quote(password, safe=""), quote_plus(password)}:
            text = text.replace(form, "***")
    return text


def safe_url(url: URL | str) -> str:
    """The URL with its password masked, for messages and logs."""
    if isinstance(url, str):
        try:
            url = make_url(url)
        except (ArgumentError, ValueError):
            return "<unparseable URL>"
    return _mask(url.render_as_string(hide_password=True), _passwords(url))


def make_engine(raw_url: str, *, statement_timeout_ms: int = 30_000) -> Engine:
    """Build an engine for SQLite (WAL, foreign keys) or PostgreSQL (pool, statement timeout)."""
    url = parse_url(raw_url)
    try:
        if url.get_backend_name() == "sqlite":
            return _sqlite_engine(url)
        if url.get_backend_name() == "postgresql":
            return _postgres_engine(url, statement_timeout_ms)
        return sa.create_engine(url)
    except NoSuchModuleError:
        raise DatabaseUnavailable(
            f"DATABASE_URL uses driver '{url.drivername}', which is not installed "
            "(use postgresql+psycopg://... or sqlite:///...)"
        ) from None
    except ModuleNotFoundError as exc:
        raise DatabaseUnavailable(
            f"DATABASE_URL uses driver '{url.drivername}', whose module {exc.name!r} is missing"
        ) from None


def _sqlite_engine(url: URL) -> Engine:
    if url.database and url.database != ":memory:":
        folder = Path(url.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a file where the folder should be, no permission, ...
            raise DatabaseUnavailable(
                f"DATABASE_URL {safe_url(url)} cannot be used: its folder {folder} "
                f"cannot be created ({exc.strerror or type(exc).__name__})"
            ) from None
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        # pysqlite's own transaction handling defers BEGIN; we emit it ourselves
        # (below) so reads see one snapshot and writes take the lock up front.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")  # a constant
        cur.close()
        register_sqlite(dbapi_conn)  # Unicode-aware lower() for search (sessionscope.textfold)

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        mode = conn.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        if mode not in _SQLITE_BEGIN_SQL:
            raise ValueError(
                f"{SQLITE_BEGIN}={mode!r}: expected one of {sorted(_SQLITE_BEGIN_SQL)}"
            )
        conn.exec_driver_sql(_SQLITE_BEGIN_SQL[mode])

    return engine


def begin_write(engine: Engine) -> AbstractContextManager[sa.Connection]:
    """engine.begin() for a transaction that reads, then writes what it read.

    On SQLite it begins IMMEDIATE (the write lock up front, so a concurrent writer waits for
    the commit instead of failing half-way); on PostgreSQL it is plain engine.begin().
    """
    return engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"}).begin()


def _postgres_engine(url: URL, statement_timeout_ms: int) -> Engine:
    return sa.create_engine(
        url,
        pool_size=PG_POOL_SIZE,
        max_overflow=PG_MAX_OVERFLOW,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={
            "connect_timeout": PG_CONNECT_TIMEOUT_S,
            "application_name": "sessionscope",
            # No JIT: PostgreSQL compiles a plan whose cost passes jit_above_cost, about
            # 90 ms per Tool paths query here, more than it saves on queries of well under a
            # second, which is what every page runs (bench/notes.md, the run of 2026-11-30 16:22).
            "options": f"-c statement_timeout={int(statement_timeout_ms)} -c jit=off",
        },
    )


def check_connection(engine: Engine) -> None:
    """Open one connection, or raise DatabaseUnavailable with a one-line reason."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except DBAPIError as exc:
        raise DatabaseUnavailable(describe_db_error(engine, exc)) from None


def describe_db_error(engine: Engine, exc: BaseException) -> str:
    """One line for a user: which database, and the driver's first line, password-free."""
    orig = getattr(exc, "orig", exc)
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    first = _mask(first, _passwords(engine.url))
    return f"DATABASE_URL {safe_url(engine.url)} cannot be used: {first}"


def is_postgres(conn_or_engine: sa.Connection | Engine) -> bool:
    return conn_or_engine.dialect.name == "postgresql"
