"""Search semantics shared by every payload search: a case-insensitive, literal substring of
the stored text (JSON payloads as JSON text), in any language, on SQLite and PostgreSQL.

The needle is bound, never spliced; LIKE's % and _ (and the escape character) are escaped,
so wildcards and regex characters match themselves. Folding: lower() on PostgreSQL (Unicode
under the database's character type), the ss_lower / ss_fold_json functions that
sessionscope.db registers on every SQLite connection (see sessionscope.textfold). Text with a
NUL character matches nothing: PostgreSQL text cannot hold one.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from queries.page import LIKE_ESCAPE, like_pattern
from sessionscope.textfold import SQLITE_FOLD_JSON, SQLITE_LOWER


class _Lower(FunctionElement[str]):
    """Unicode lower case of plain text."""

    type = sa.Text()
    inherit_cache = True


class _FoldJson(FunctionElement[str]):
    """Unicode lower case of JSON text as PostgreSQL's jsonb shows it (non-ASCII unescaped)."""

    type = sa.Text()
    inherit_cache = True


@compiles(_Lower)
@compiles(_FoldJson)
def _pg_lower(element: FunctionElement[str], compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(_Lower, "sqlite")
def _sqlite_lower(element: _Lower, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{SQLITE_LOWER}({compiler.process(element.clauses, **kw)})"


@compiles(_FoldJson, "sqlite")
def _sqlite_fold_json(element: _FoldJson, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{SQLITE_FOLD_JSON}({compiler.process(element.clauses, **kw)})"


def _pattern(q: str) -> sa.ColumnElement[str]:
    return _Lower(sa.literal(like_pattern(q), sa.Text))


def _unindexed(text: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
    """The same text (NULL stays NULL) in an expression no trigram index is built on."""
    return text.concat(sa.literal_column("''", sa.Text))


def text_contains(
    col: sa.ColumnElement[Any], q: str, *, indexed: bool = True
) -> sa.ColumnElement[bool]:
    """Does plain text `col` contain `q` (any case)? NULL does not. `indexed=False`: compare
    without the PostgreSQL trigram index (see any_contains)."""
    if "\x00" in q:
        return sa.false()
    text = col if indexed else _unindexed(col)
    return _Lower(text).like(_pattern(q), escape=LIKE_ESCAPE)


def json_contains(
    col: sa.ColumnElement[Any], q: str, *, indexed: bool = True
) -> sa.ColumnElement[bool]:
    """Does the JSON text of `col` contain `q` (any case)? SQL NULL does not."""
    if "\x00" in q:
        return sa.false()
    text = sa.cast(col, sa.Text)
    return _FoldJson(text if indexed else _unindexed(text)).like(_pattern(q), escape=LIKE_ESCAPE)


def any_contains(
    q: str,
    *,
    texts: tuple[sa.ColumnElement[Any], ...] = (),
    jsons: tuple = (),
    indexed: bool = True,
) -> sa.ColumnElement[bool]:
    """Does any of these plain-text or JSON columns contain `q`?

    `indexed=False` for rows already narrowed to one session: there PostgreSQL's planner
    would AND the session's rows with a common term's organization-wide trigram matches
    (hundreds of thousands of rows, about 200 ms at 5,000,000 calls) instead of reading
    the session's few thousand rows; the same comparison, in an expression the index does
    not serve, leaves it the session's index."""
    conds = [text_contains(c, q, indexed=indexed) for c in texts]
    conds += [json_contains(c, q, indexed=indexed) for c in jsons]
    return sa.or_(*conds)
