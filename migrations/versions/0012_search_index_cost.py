"""search index cost: SQLite's payload index (0009) written in batches, with less text

Index structures only; no table of the data contract changes. PostgreSQL: nothing (0009's GIN
indexes stay as they are). Search results do not change: the index stays a superset filter
of the exact comparison (queries.textmatch), which still decides.

Measured on 0009's SQLite index: most of the cost of a row was not its text but FTS5 writing
out its in-memory index at each statement savepoint: a writer inserting one row per
statement (the ingest does, through executemany) made one FTS5 segment per row, then merged
them. (Ingest into a fresh SQLite database, bench.ingest's 20,480 spans, alternating runs on a
shared 2-core machine: with 0009's index 0.60-0.75 of the throughput without any, with this
one 0.80-0.90.) So, on SQLite:

- A new call or ticket gets its `search_docs` row at once (the same documents as 0009) and is
  queued in `search_docs_pending`. When PENDING_BATCH documents are queued, the queue's
  trigger indexes them all in one statement and empties it. A queued document is a candidate
  of every search (queries.search adds the queue to the FTS matches).
- `search_fts` is an external-content FTS5 table (content: the view `search_docs_text`, each
  document's text computed from its row, NULL while queued), so the text is not stored a
  second time, with columnsize=0 (no ranking is used). A document leaves the index by FTS5's
  'delete' command with the text computed from the OLD row: the expression that indexed it.
  (FTS5's 'rebuild', and 'integrity-check' with rank 1, cannot read that view: it calls
  json_tree. The plain 'integrity-check' works.)
- The text of a JSON payload is the stored JSON text without the characters " \\ : , { } [ ]
  (queries.search never asks the index for a query holding one, and a substring without
  them never spans them). When it holds a `\\u` escape (SQLAlchemy writes "Müller" as
  "M\\u00fcller") and is valid JSON, a newline and its keys and string values as json_tree
  reads them ("Müller") follow. Text that is not valid JSON (an outside writer's) is indexed
  the same way, never refused. Error messages and ticket text as they are. (0009 indexed only
  the json_tree text, which missed numbers written otherwise than SQLite prints them, 1.50 or
  1e-05, and the letter after a backslash, the `n` of `\\n`.)
- `ix_search_docs_session` (0009) is dropped: no query reads search_docs by session.

Everything stays in the writing transaction, in SQL of SQLite only (no function of the app),
so outside writers with plain sqlite3 keep the index too. The upgrade re-indexes every row
already there (search_docs is kept); the downgrade restores 0009's FTS table, index and
triggers and re-indexes every row.

Revision ID: 0012
Revises: 0011
"""

# ruff: noqa: S608 - every statement here is built from this file's own constants (and 0009's),
# no input.
from __future__ import annotations

from types import ModuleType

from alembic import context, op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

PENDING_BATCH = 256  # documents queued before one statement indexes them

# 0009's definitions (_JSON_TEXT, _SOURCES, _KEPT, FTS_COLUMNS, its trigger statements), for the
# downgrade and the parts that stay the same. A migration file is loaded by path, not imported,
# so it is read from Alembic's own script directory (Script.module), not copied.
_BASE_REVISION = "0009"


def _base() -> ModuleType:
    script = context.script.get_revision(_BASE_REVISION)
    if script is None:  # not reachable: 0009 precedes 0012 in the chain
        raise LookupError(f"revision {_BASE_REVISION} not found")
    return script.module


# The keys and string values of {col} as they read (json_tree decodes "M\\u00fcller" to
# "Müller"), from 0009's _JSON_TEXT but without numbers, true, false and null: the stored text
# has them as written, and SQLite's printing of a number may change between its versions
# (the 'delete' of a document must give the text that indexed it).
_TREE_TEXT = (
    "(SELECT group_concat(trim(CASE WHEN typeof(key) = 'text' THEN key ELSE '' END || ' ' ||"
    " CASE WHEN type = 'text' THEN atom ELSE '' END), ' ') FROM json_tree({col}))"
)
# A substring of the JSON text that holds none of these characters never spans one of them:
# queries.search uses the index only for such queries (_JSON_PUNCTUATION: " \ : , { } [ ]), so
# the indexed text leaves them out (fewer trigrams to write, none a query could use).
STRIPPED = (34, 92, 58, 44, 123, 125, 91, 93)  # as char() codes
_STRIP = "{col}"
for _code in STRIPPED:
    _STRIP = f"replace({_STRIP}, char({_code}), '')"
# char(92, 117) is `\u`: the only escape queries.textmatch's folding rewrites (ss_fold_json), so
# text without one is compared as stored.
JSON_TEXT = (
    "CASE WHEN {col} IS NULL THEN NULL"
    f" WHEN instr({{col}}, char(92, 117)) = 0 OR NOT json_valid({{col}}) THEN {_STRIP}"
    f" ELSE {_STRIP} || char(10) || coalesce({_TREE_TEXT}, '') END"
)

# kind -> (source table, FTS columns, SQL of their text from the row `{row}`)
_SOURCES = {
    "call": (
        "tool_calls",
        ("input", "output", "error"),
        (
            JSON_TEXT.format(col="{row}.input"),
            JSON_TEXT.format(col="{row}.output"),
            "{row}.error_message",
        ),
    ),
    "ticket": (
        "support_tickets",
        ("title", "summary", "context"),
        ("{row}.title", "{row}.summary", "{row}.context"),
    ),
}
PENDING = "search_docs_pending"  # "search_docs…": migrations/env.py keeps it out of autogenerate
CONTENT = "search_docs_text"


def _sql(statement: str) -> None:
    op.get_bind().exec_driver_sql(statement)


def _doc(kind: str, row: str) -> str:
    return f"(SELECT docid FROM search_docs WHERE kind = '{kind}' AND item_id = {row}.id)"


def _queue(kind: str) -> list[str]:
    return [
        "INSERT INTO search_docs (kind, item_id, org_id, session_id) "
        f"VALUES ('{kind}', NEW.id, NEW.org_id, NEW.session_id)",
        f"INSERT INTO {PENDING} (docid) VALUES (last_insert_rowid())",
    ]


def _unindex(kind: str) -> list[str]:
    """Statements taking the OLD row's document out: FTS5 'delete' with the text that indexed
    it (a queued document has none in the index), then the queue and search_docs."""
    _, columns, texts = _SOURCES[kind]
    old = ", ".join(t.format(row="OLD") for t in texts)
    return [
        f"INSERT INTO search_fts (search_fts, rowid, {', '.join(columns)}) "
        f"SELECT 'delete', d.docid, {old} FROM search_docs AS d "
        f"WHERE d.kind = '{kind}' AND d.item_id = OLD.id "
        f"AND NOT EXISTS (SELECT 1 FROM {PENDING} AS p WHERE p.docid = d.docid)",
        f"DELETE FROM {PENDING} WHERE docid = {_doc(kind, 'OLD')}",
        f"DELETE FROM search_docs WHERE kind = '{kind}' AND item_id = OLD.id",
    ]


def _index(kind: str, *, queued: bool) -> str:
    """The statement indexing the queued documents of `kind` (or all of them)."""
    table, columns, texts = _SOURCES[kind]
    values = ", ".join(t.format(row="t") for t in texts)
    docs = "search_docs AS d"
    if queued:  # CROSS JOIN: from the queue (the planner would scan every document of kind)
        docs = f"{PENDING} AS p CROSS JOIN {docs} ON d.docid = p.docid"
    return (
        f"INSERT INTO search_fts (rowid, {', '.join(columns)}) SELECT d.docid, {values} "
        f"FROM {docs} JOIN {table} AS t ON t.id = d.item_id WHERE d.kind = '{kind}'"
    )


def _content_view(fts_columns: tuple[str, ...]) -> str:
    arms = []
    for kind, (table, columns, texts) in _SOURCES.items():
        text = {c: t.format(row="t") for c, t in zip(columns, texts, strict=True)}
        values = ", ".join(
            f"CASE WHEN p.docid IS NULL THEN {text[c]} END AS {c}" if c in text else f"NULL AS {c}"
            for c in fts_columns
        )
        arms.append(
            f"SELECT d.docid AS docid, {values} FROM search_docs AS d "
            f"JOIN {table} AS t ON t.id = d.item_id "
            f"LEFT JOIN {PENDING} AS p ON p.docid = d.docid WHERE d.kind = '{kind}'"
        )
    return f"CREATE VIEW {CONTENT} AS {' UNION ALL '.join(arms)}"


def _drop_triggers(base: ModuleType) -> None:
    for table, _, _ in base._SOURCES.values():
        for suffix in ("ai", "ad", "au"):
            _sql(f"DROP TRIGGER IF EXISTS {table}_search_{suffix}")


def _sqlite_upgrade() -> None:
    base = _base()
    _drop_triggers(base)
    _sql("DROP TABLE search_fts")
    _sql("DROP INDEX IF EXISTS ix_search_docs_session")
    _sql(f"CREATE TABLE {PENDING} (docid INTEGER PRIMARY KEY)")
    _sql(_content_view(base.FTS_COLUMNS))
    _sql(
        f"CREATE VIRTUAL TABLE search_fts USING fts5({', '.join(base.FTS_COLUMNS)}, "
        f"tokenize = 'trigram case_sensitive 0', content = '{CONTENT}', "
        "content_rowid = 'docid', columnsize = 0)"
    )
    for kind, (table, _, _) in _SOURCES.items():
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in base._KEPT[kind])
        triggers = {
            "ai": (f"AFTER INSERT ON {table} FOR EACH ROW", _queue(kind)),
            "ad": (f"AFTER DELETE ON {table} FOR EACH ROW", _unindex(kind)),
            # as 0009: only a change of what is indexed (redaction) re-indexes the row
            "au": (
                f"AFTER UPDATE ON {table} FOR EACH ROW WHEN {changed}",
                _unindex(kind) + _queue(kind),
            ),
        }
        for suffix, (head, body) in triggers.items():
            _sql(f"CREATE TRIGGER {table}_search_{suffix} {head} BEGIN {'; '.join(body)}; END")
    flush = [_index(kind, queued=True) for kind in _SOURCES] + [f"DELETE FROM {PENDING}"]
    _sql(
        f"CREATE TRIGGER {PENDING}_flush AFTER INSERT ON {PENDING} FOR EACH ROW "
        f"WHEN (SELECT count(*) FROM {PENDING}) >= {PENDING_BATCH} "
        f"BEGIN {'; '.join(flush)}; END"
    )
    # Every document already there (search_docs is 0009's); none is queued. Not FTS5's
    # 'rebuild': it cannot read a view that calls json_tree ("SQL logic error", SQLite 3.40).
    for kind in _SOURCES:
        _sql(_index(kind, queued=False))


def _sqlite_downgrade() -> None:
    base = _base()
    _drop_triggers(base)
    _sql(f"DROP TRIGGER IF EXISTS {PENDING}_flush")
    _sql("DROP TABLE IF EXISTS search_fts")
    _sql(f"DROP VIEW IF EXISTS {CONTENT}")
    _sql(f"DROP TABLE IF EXISTS {PENDING}")
    # 0009's index, table, triggers and backfill, in its own statements.
    _sql("CREATE INDEX IF NOT EXISTS ix_search_docs_session ON search_docs (session_id)")
    _sql(
        f"CREATE VIRTUAL TABLE search_fts USING fts5({', '.join(base.FTS_COLUMNS)}, "
        "tokenize = 'trigram case_sensitive 0')"
    )
    for kind, (table, columns, texts) in base._SOURCES.items():
        on = f"ON {table} FOR EACH ROW BEGIN"
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in base._KEPT[kind])
        on_change = f"ON {table} FOR EACH ROW WHEN {changed} BEGIN"
        triggers = {
            "ai": (f"AFTER INSERT {on}", base._insert_doc(kind, "NEW")),
            "ad": (f"AFTER DELETE {on}", base._delete_doc(kind)),
            "au": (
                f"AFTER UPDATE {on_change}",
                base._delete_doc(kind) + base._insert_doc(kind, "NEW"),
            ),
        }
        for suffix, (head, body) in triggers.items():
            _sql(f"CREATE TRIGGER {table}_search_{suffix} {head} {'; '.join(body)}; END")
        values = ", ".join(t.format(row="t") for t in texts)
        _sql(
            f"INSERT INTO search_fts (rowid, {', '.join(columns)}) SELECT d.docid, {values} "
            f"FROM {table} AS t JOIN search_docs AS d ON d.kind = '{kind}' AND d.item_id = t.id"
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_downgrade()
