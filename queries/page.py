"""Small types shared by the explorer queries: a page of rows, LIKE patterns, keyset cursors."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

LIKE_ESCAPE = "\\"


# eq=False: comparing two DataFrames field by field is ambiguous, so pages compare by identity.
@dataclass(frozen=True, eq=False)
class Page:
    """One page of rows and the cursor of the next page (None when there is no more)."""

    rows: pd.DataFrame
    next_cursor: tuple | None


def like_pattern(text: str) -> str:
    """Escape LIKE wildcards (and the escape char itself) in text and wrap it in %...%."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(col: sa.ColumnElement[Any], text: str) -> sa.ColumnElement[bool]:
    """Case-insensitive literal substring match, lowered in SQL on both sides for both backends.

    Text with a NUL character matches nothing on either backend: PostgreSQL text cannot hold
    one, and psycopg refuses to send it as a parameter (an error, not an empty result).
    """
    if "\x00" in text:
        return sa.false()
    pattern = sa.func.lower(sa.literal(like_pattern(text), sa.String))
    return sa.func.lower(col).like(pattern, escape=LIKE_ESCAPE)


_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_NON_STRICT = {"<": "<=", ">": ">=", "<=": "<=", ">=": ">="}


def row_compare(
    cols: Sequence[sa.ColumnElement[Any]], key: Sequence[Any], op: str
) -> sa.ColumnElement[bool]:
    """(cols) op (key) as a row value, plus a bound on the leading column so the index seeks."""
    values = [sa.literal(v, c.type) for c, v in zip(cols, key, strict=True)]
    lead = _OPS[_NON_STRICT[op]](cols[0], values[0])
    return sa.and_(lead, _OPS[op](sa.tuple_(*cols), sa.tuple_(*values)))


def to_datetime(value: datetime | str) -> datetime:
    """A cursor's timestamp, given as a datetime or an ISO string."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def iso(value: datetime | None) -> str | None:
    """A timestamp as an ISO string for a cursor (hashable, fits in session state)."""
    return None if value is None else value.isoformat()


def frame(result: sa.CursorResult[Any]) -> pd.DataFrame:
    """A result as a DataFrame that keeps its columns when empty."""
    return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))


def page_of(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    limit: int,
    key: Callable[[Mapping[str, Any]], tuple],
) -> Page:
    """A Page from up to limit+1 fetched rows: the extra row only says there is more."""
    more = len(rows) > limit
    rows = list(rows[:limit])
    cursor = key(rows[-1]) if more and rows else None
    return Page(pd.DataFrame([dict(r) for r in rows], columns=list(columns)), cursor)
