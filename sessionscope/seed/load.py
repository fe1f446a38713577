"""Loading: the seed's entry points, SQLite through Core executemany, PostgreSQL through COPY;
one transaction each."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sessionscope import rollup, schema
from sessionscope.db import is_postgres, safe_url
from sessionscope.errors import DatabaseUnavailable
from sessionscope.seed import content
from sessionscope.seed.config import TABLE_COLUMNS, TABLES, SeedConfig
from sessionscope.seed.generate import Batch, Generator
from sessionscope.seed.progress import Progress


@dataclass(frozen=True)
class SeedReport:
    """Rows written per table, and how long it took."""

    backend: str
    counts: dict[str, int]
    elapsed_s: float
    phases: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        width = max(len(t) for t in self.counts)
        lines = [
            f"seeded {self.counts.get('sessions', 0):,} sessions "
            f"({sum(self.counts.values()):,} rows) into {self.backend} "
            f"in {self.elapsed_s:.1f} s"
        ]
        lines += [f"  {table:<{width}}  {count:>12,}" for table, count in self.counts.items()]
        if self.phases:
            lines.append("  " + ", ".join(f"{k} {v:.1f} s" for k, v in self.phases.items()))
        return "\n".join(lines)


def is_empty(engine: Engine) -> bool:
    """True when the database has no organization yet (the seed's precondition)."""
    _require_schema(engine)
    with engine.connect() as conn:
        return conn.execute(sa.select(schema.organizations.c.id).limit(1)).first() is None


def seed_database(engine: Engine, config: SeedConfig, *, progress: bool = False) -> SeedReport:
    """Write the demo data in one transaction; refuses a database that already has data."""
    if not is_empty(engine):
        raise DatabaseUnavailable(
            f"DATABASE_URL {safe_url(engine.url)} already has data: "
            "the seed only writes into an empty database (use --if-empty to skip it)"
        )
    bar = Progress(config.sessions, enabled=progress)
    started = time.perf_counter()
    batches = Generator(config).batches()
    if is_postgres(engine):
        counts, phases = _load_postgres(engine, batches, bar)
    else:
        counts, phases = _load_sqlite(engine, batches, bar)
    bar.close()
    phases["rollup"] = _settle_rollup(engine, config.now)
    elapsed = time.perf_counter() - started
    return SeedReport(engine.dialect.name, counts, elapsed, phases)


def _settle_rollup(engine: Engine, now: datetime) -> float:
    """Build the Admin analytics' daily rollup of the new data; seconds it took."""
    started = time.perf_counter()
    with engine.begin() as conn:
        if is_postgres(conn):
            conn.exec_driver_sql("SET LOCAL statement_timeout = 0")  # it reads every session
        for slug, _name in content.ORGS:
            rollup.settle(conn, org_id=f"org_{slug}", now=now)
        if is_postgres(conn):
            names = ", ".join(t.name for t in schema.ROLLUP_TABLES)
            conn.exec_driver_sql(f"ANALYZE {names}")  # our own table names, not input
    return time.perf_counter() - started


def _require_schema(engine: Engine) -> None:
    if not sa.inspect(engine).has_table("organizations"):
        raise DatabaseUnavailable(
            f"DATABASE_URL {safe_url(engine.url)} has no sessionscope tables: "
            "run `sessionscope db upgrade` first"
        )


def _text_json_table(name: str) -> sa.TableClause:
    """The table with its JSON columns typed as text: payloads arrive already serialised (one
    json.dumps per value, shared with COPY), and sa.JSON would encode them a second time."""
    table = schema.metadata.tables[name]
    columns = []
    for col in TABLE_COLUMNS[name]:
        col_type = table.c[col].type
        columns.append(sa.column(col, sa.Text() if isinstance(col_type, sa.JSON) else col_type))
    return sa.table(name, *columns)


def _load_sqlite(
    engine: Engine, batches: Iterator[Batch], bar: Progress
) -> tuple[dict[str, int], dict[str, float]]:
    counts = dict.fromkeys(TABLES, 0)
    inserts = {t: sa.insert(_text_json_table(t)) for t in TABLES}
    started = time.perf_counter()
    with engine.begin() as conn:
        for batch in batches:
            for table, rows in batch.rows.items():
                if rows:
                    cols = TABLE_COLUMNS[table]
                    conn.execute(
                        inserts[table], [dict(zip(cols, row, strict=True)) for row in rows]
                    )
                    counts[table] += len(rows)
            bar.advance(batch.sessions, sum(counts.values()))
    return counts, {"load": time.perf_counter() - started}


def _load_postgres(
    engine: Engine, batches: Iterator[Batch], bar: Progress
) -> tuple[dict[str, int], dict[str, float]]:
    """COPY every batch, then build indexes and foreign keys and ANALYZE, in one transaction.

    Foreign keys and secondary indexes are dropped before the load and recreated after it,
    from the definitions PostgreSQL itself reports. Measured at 100,000 sessions, the server
    spent 24 s of CPU loading with them in place (a foreign-key trigger per row, inserts at
    random places in the secondary B-trees) against 10 s without them plus 5 s to rebuild
    them. DDL is transactional: a failure anywhere rolls back to the schema as it was.
    """
    phases: dict[str, float] = {}
    mark = time.perf_counter()
    with engine.begin() as conn:
        # A bulk load is not a dashboard query (the engine's timeout is for those), and index
        # builds over millions of rows sort in memory instead of spilling to disk.
        conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
        _pg_truncate_for_freeze(conn)
        deferred = _pg_deferrable_ddl(conn)
        for drop, _ in deferred:
            conn.exec_driver_sql(drop)
        with _in_background(batches) as ready:
            counts = _pg_copy(conn, ready, bar)
        phases["load"], mark = time.perf_counter() - mark, time.perf_counter()
        bar.phase("building indexes and foreign keys")
        for _, create in reversed(deferred):  # indexes first, then the keys that use them
            conn.exec_driver_sql(create)
        if _pg_deferrable_ddl(conn) != deferred:  # cannot happen; if it did, roll it all back
            raise RuntimeError("seed: indexes or foreign keys differ from before the load")
        phases["indexes"], mark = time.perf_counter() - mark, time.perf_counter()
        bar.phase("ANALYZE")
        conn.exec_driver_sql("ANALYZE " + ", ".join(TABLES))  # our own constant table names
        phases["analyze"] = time.perf_counter() - mark
    return counts, phases


def _pg_truncate_for_freeze(conn: sa.Connection) -> None:
    """Lock the (empty) tables and TRUNCATE them, which lets COPY ... FREEZE load rows already
    frozen and all-visible. Measured at 100,000 sessions: without FREEZE the first scan of
    tool_calls took 1.0 s instead of 0.2 s because it rewrote all 34,000 pages (hint bits),
    and index-only scans fetched every row from the heap until a VACUUM."""
    # Tables that refer to organizations (ingest_tokens, org_policies...) must be named too:
    # TRUNCATE refuses a table another one refers to. They are empty as well.
    tables = (*TABLES, *_referring_to_organizations())
    conn.exec_driver_sql(
        f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE"
    )  # our own table names
    for name in tables:
        table = schema.metadata.tables[name]
        if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
            raise DatabaseUnavailable(
                f"table {name} is not empty: the seed needs an empty database"
            )
    conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)}")  # our own table names


def _referring_to_organizations() -> list[str]:
    return [
        t.name
        for t in schema.metadata.sorted_tables
        if t.name not in TABLES
        and any(fk.column.table is schema.organizations for fk in t.foreign_keys)
    ]


# Statements to drop and to recreate each foreign key and each index that backs no constraint,
# written by the server from its catalog (pg_get_*def), so the recreated ones are identical.
_PG_DEFERRABLE_DDL = sa.text(
    """
    SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
           format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
                  pg_get_constraintdef(c.oid)),
           0 AS pass, c.conname AS name
      FROM pg_constraint c
     WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(:tables)
    UNION ALL
    SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid),
           1 AS pass, i.indexrelid::regclass::text AS name
      FROM pg_index i
     WHERE i.indrelid::regclass::text = ANY(:tables)
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                        WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
     ORDER BY pass, name
    """
)


def _pg_deferrable_ddl(conn: sa.Connection) -> list[tuple[str, str]]:
    rows = conn.execute(_PG_DEFERRABLE_DDL, {"tables": list(TABLES)}).all()
    return [(drop, create) for drop, create, _, _ in rows]


def _pg_copy(conn: sa.Connection, batches: Iterator[Batch], bar: Progress) -> dict[str, int]:
    from psycopg import sql

    copy_sql = {
        t: sql.SQL("COPY {} ({}) FROM STDIN WITH (FREEZE)").format(
            sql.Identifier(t), sql.SQL(", ").join(map(sql.Identifier, TABLE_COLUMNS[t]))
        )
        for t in TABLES
    }
    counts = dict.fromkeys(TABLES, 0)
    with conn.connection.driver_connection.cursor() as cur:
        for batch in batches:
            for table, rows in batch.rows.items():
                if not rows:
                    continue
                with cur.copy(copy_sql[table]) as copy:
                    for row in rows:
                        copy.write_row(row)
                counts[table] += len(rows)
            bar.advance(batch.sessions, sum(counts.values()))
    return counts


@contextmanager
def _in_background(batches: Iterator[Batch], depth: int = 2) -> Iterator[Iterator[Batch]]:
    """Generate batches in a thread while the caller COPYs earlier ones. psycopg releases the
    GIL while it waits for the server, so generation overlaps the server's work; `depth`
    bounds how many batches wait in memory. An error in the thread re-raises in the caller;
    leaving the block (normally or not) stops the thread."""
    handoff: queue.Queue[Batch | BaseException | None] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Batch | BaseException | None) -> None:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def produce() -> None:
        try:
            for batch in batches:
                put(batch)
                if stop.is_set():
                    return
            put(None)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(exc)

    def consume() -> Iterator[Batch]:
        while (item := handoff.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item

    worker = threading.Thread(target=produce, name="seed-generator", daemon=True)
    worker.start()
    try:
        yield consume()
    finally:
        stop.set()
        worker.join()
