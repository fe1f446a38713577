"""Alembic environment: runs on the connection `sessionscope db upgrade` passes in,
or on DATABASE_URL when alembic is called directly."""

from __future__ import annotations

from alembic import context

from sessionscope.db import make_engine
from sessionscope.migrate import DROP_EVERYTHING, consented_to_drop_everything
from sessionscope.schema import metadata
from sessionscope.settings import load_settings


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    if consented_to_drop_everything():
        context.config.attributes[DROP_EVERYTHING] = True
    engine = make_engine(load_settings().database_url)
    # One transaction for the whole run, as sessionscope.migrate does: Alembic would commit
    # each SQLite step on its own, so a refused downgrade base would leave later steps undone.
    with engine.begin() as conn:
        _run(conn)


# Migration 0009's SQLite search index (search_docs, the FTS5 table search_fts and its shadow
# tables) is an index structure kept by triggers, not a table of the metadata: autogenerate
# must not propose dropping it.
_INDEX_TABLES = ("search_docs", "search_fts")


def _include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return not (type_ == "table" and name is not None and name.startswith(_INDEX_TABLES))


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=_include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline SQL generation is not supported; run `sessionscope db upgrade`.")
run_migrations_online()
