"""SQL building blocks both backends compute alike: a timestamp's UTC day and its microseconds.

Shared by the queries and by the core's rollup and export (the documented core-to-queries
arrow), so they live apart from any one page's queries.
"""

from __future__ import annotations

import sqlalchemy as sa

from sessionscope.db import is_postgres

_UTC = sa.literal_column("'UTC'")  # a literal, not a bind: GROUP BY must match the SELECT text


def day_bucket(conn: sa.Connection, col: sa.ColumnElement) -> sa.ColumnElement:
    """The UTC calendar day of a timestamp column, as a DATE (datetime.date in Python)."""
    if is_postgres(conn):
        return sa.cast(sa.func.timezone(_UTC, col), sa.Date)
    return sa.func.date(col, type_=sa.Date)  # SQLite keeps naive UTC text


def epoch_us(conn: sa.Connection, col: sa.ColumnElement) -> sa.ColumnElement[int]:
    """Microseconds since 1970 of a timestamp column, as an integer, exact on both backends."""
    if is_postgres(conn):
        return sa.cast(sa.extract("epoch", col) * 1_000_000, sa.BigInteger)
    # SQLite keeps SQLAlchemy's 'YYYY-MM-DD HH:MM:SS.ffffff' text (the date range filters
    # compare that text too): whole seconds from the first 19 characters, then the micros.
    seconds = sa.cast(sa.func.strftime("%s", sa.func.substr(col, 1, 19)), sa.Integer)
    return seconds * 1_000_000 + sa.cast(sa.func.substr(col, 21, 6), sa.Integer)


def sum_int(
    col: sa.ColumnElement[int], where: sa.ColumnElement[bool] | None = None
) -> sa.ColumnElement[int]:
    """sum(col) [FILTER (WHERE where)], 0 when no row, an integer (not numeric) on PostgreSQL."""
    total = sa.func.sum(col) if where is None else sa.func.sum(col).filter(where)
    return sa.cast(sa.func.coalesce(total, 0), sa.BigInteger)


def rate(part: sa.ColumnElement, whole: sa.ColumnElement) -> sa.ColumnElement[float]:
    """part / whole as a float, NULL when whole is 0."""
    return sa.cast(part, sa.Float) / sa.func.nullif(whole, 0)
