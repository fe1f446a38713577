"""payload search: an index over tool call payloads and ticket text, kept by the database

Index structures only; no table of the data contract changes.

- SQLite: `search_docs` (one row per tool call or ticket: its kind, id, organization and
  session, under an INTEGER rowid) and `search_fts`, an FTS5 table with the trigram
  tokenizer (case_sensitive 0) whose rowid is the search_docs row. The text of a JSON
  payload is its keys and values as they read (json_tree: "Müller", not "M\\u00fcller",
  which is how SQLAlchemy stores it); error messages and ticket text as they are.
  Triggers on tool_calls and support_tickets (INSERT, UPDATE, DELETE) keep both in the
  writing transaction, so ingest, import, sync, redaction and retention keep the index with
  no code of their own. The FTS rowid is not the tool_calls rowid: VACUUM may renumber the
  rowids of a table without an INTEGER PRIMARY KEY.
- PostgreSQL: when the server offers the pg_trgm extension, the extension and GIN trigram
  indexes on the lower-cased payload text (lower(input::text), lower(output::text),
  lower(error_message); title, summary, context), which serve LIKE '%...%' on them.
  Without pg_trgm (e.g. the embedded test server) nothing is created and search scans
  (correct, slower); see queries/search.py. Building the indexes reads every tool call:
  on millions of rows the upgrade takes minutes.

Existing rows are indexed by the upgrade. Downgrade drops every structure added here.

Revision ID: 0009
Revises: 0008
"""

# ruff: noqa: S608 - every statement here is built from this file's own constants, no input.
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The text of a JSON value on SQLite: its keys (not array positions) and scalar values, so
# any substring of the JSON text that holds no JSON punctuation is a substring of it (the
# index is a superset filter; queries.search decides with the same comparison as PostgreSQL).
# Text that is not valid JSON (an outside writer's) is indexed as it is, never refused.
_JSON_TEXT = (
    "CASE WHEN {col} IS NULL THEN NULL WHEN json_valid({col}) THEN ("
    "SELECT group_concat(trim(CASE WHEN typeof(key) = 'text' THEN key ELSE '' END || ' ' ||"
    " CASE WHEN type IN ('true', 'false', 'null') THEN type ELSE coalesce(atom, '') END), ' ')"
    " FROM json_tree({col})) ELSE {col} END"
)

# kind -> (source table, FTS columns, SQL of their text from the row `{row}`)
_SOURCES = {
    "call": (
        "tool_calls",
        ("input", "output", "error"),
        (
            _JSON_TEXT.format(col="{row}.input"),
            _JSON_TEXT.format(col="{row}.output"),
            "{row}.error_message",
        ),
    ),
    "ticket": (
        "support_tickets",
        ("title", "summary", "context"),
        ("{row}.title", "{row}.summary", "{row}.context"),
    ),
}
# The columns whose change the UPDATE triggers re-index.
_KEPT = {
    "call": ("id", "org_id", "session_id", "input", "output", "error_message"),
    "ticket": ("id", "org_id", "session_id", "title", "summary", "context"),
}
FTS_COLUMNS = ("input", "output", "error", "title", "summary", "context")

# name -> (table, indexed expression) on PostgreSQL, with gin_trgm_ops.
# The expressions are exactly those queries.textmatch compares (lower(CAST(x AS TEXT)) LIKE
# lower(:pattern)), so the planner can use them; pg_trgm serves LIKE '%...%' on them.
PG_INDEXES = {
    "ix_tool_calls_input_trgm": ("tool_calls", "lower(input::text)"),
    "ix_tool_calls_output_trgm": ("tool_calls", "lower(output::text)"),
    "ix_tool_calls_error_message_trgm": ("tool_calls", "lower(error_message)"),
    "ix_support_tickets_title_trgm": ("support_tickets", "lower(title)"),
    "ix_support_tickets_summary_trgm": ("support_tickets", "lower(summary)"),
    "ix_support_tickets_context_trgm": ("support_tickets", "lower(context)"),
}


def _sql(statement: str) -> None:
    op.get_bind().exec_driver_sql(statement)


def _insert_doc(kind: str, row: str) -> list[str]:
    """Statements indexing the row named `row` (NEW in a trigger, t in the backfill)."""
    table, columns, texts = _SOURCES[kind]
    values = ", ".join(t.format(row=row) for t in texts)
    return [
        f"INSERT INTO search_docs (kind, item_id, org_id, session_id) "
        f"VALUES ('{kind}', {row}.id, {row}.org_id, {row}.session_id)",
        f"INSERT INTO search_fts (rowid, {', '.join(columns)}) VALUES ("
        f"(SELECT docid FROM search_docs WHERE kind = '{kind}' AND item_id = {row}.id), "
        f"{values})",
    ]


def _delete_doc(kind: str) -> list[str]:
    doc = f"(SELECT docid FROM search_docs WHERE kind = '{kind}' AND item_id = OLD.id)"
    return [
        f"DELETE FROM search_fts WHERE rowid = {doc}",
        f"DELETE FROM search_docs WHERE kind = '{kind}' AND item_id = OLD.id",
    ]


def _sqlite_upgrade() -> None:
    _sql(
        "CREATE TABLE search_docs (docid INTEGER PRIMARY KEY, kind TEXT NOT NULL, "
        "item_id TEXT NOT NULL, org_id TEXT NOT NULL, session_id TEXT)"
    )
    _sql("CREATE UNIQUE INDEX uq_search_docs_kind_item ON search_docs (kind, item_id)")
    _sql("CREATE INDEX ix_search_docs_session ON search_docs (session_id)")
    _sql(
        f"CREATE VIRTUAL TABLE search_fts USING fts5({', '.join(FTS_COLUMNS)}, "
        "tokenize = 'trigram case_sensitive 0')"
    )
    for kind, (table, _, _) in _SOURCES.items():
        on = f"ON {table} FOR EACH ROW BEGIN"
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _KEPT[kind])
        on_change = f"ON {table} FOR EACH ROW WHEN {changed} BEGIN"
        triggers = {
            "ai": (f"AFTER INSERT {on}", _insert_doc(kind, "NEW")),
            "ad": (f"AFTER DELETE {on}", _delete_doc(kind)),
            # A change of what is indexed (redaction rewrites payloads): drop the old entry,
            # index the new row. Other updates (ingest renumbering seq) leave it alone.
            "au": (f"AFTER UPDATE {on_change}", _delete_doc(kind) + _insert_doc(kind, "NEW")),
        }
        for suffix, (head, body) in triggers.items():
            _sql(f"CREATE TRIGGER {table}_search_{suffix} {head} {'; '.join(body)}; END")
        # Backfill the rows already there, in the same statements the trigger runs.
        _sql(
            f"INSERT INTO search_docs (kind, item_id, org_id, session_id) "
            f"SELECT '{kind}', id, org_id, session_id FROM {table}"
        )
        _, columns, texts = _SOURCES[kind]
        values = ", ".join(t.format(row="t") for t in texts)
        _sql(
            f"INSERT INTO search_fts (rowid, {', '.join(columns)}) SELECT d.docid, {values} "
            f"FROM {table} AS t JOIN search_docs AS d ON d.kind = '{kind}' AND d.item_id = t.id"
        )


def _pg_has_trgm() -> bool:
    query = "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
    return op.get_bind().exec_driver_sql(query).first() is not None


def _pg_upgrade() -> None:
    if not _pg_has_trgm():
        return  # search scans; queries.search.index_kind says which
    try:
        # A role that may not create it (pg_trgm is trusted from PostgreSQL 13, so a database
        # owner may) leaves search scanning rather than failing the upgrade.
        with op.get_bind().begin_nested():
            _sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError:
        return
    # Maintenance: a build reads every tool call (minutes on millions), far past the app's
    # statement timeout, which `sessionscope db upgrade` connects with. This transaction only.
    _sql("SET LOCAL statement_timeout = 0")
    for name, (table, expression) in PG_INDEXES.items():
        _sql(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (({expression}) gin_trgm_ops)"
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _pg_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table, _, _ in _SOURCES.values():
            for suffix in ("ai", "ad", "au"):
                _sql(f"DROP TRIGGER IF EXISTS {table}_search_{suffix}")
        _sql("DROP TABLE IF EXISTS search_fts")
        _sql("DROP TABLE IF EXISTS search_docs")
        return
    for name in PG_INDEXES:
        _sql(f"DROP INDEX IF EXISTS {name}")
    # The extension stays: other objects of the database may use it now.
