"""Case folding for text search that agrees on SQLite and PostgreSQL, for any language.

PostgreSQL's lower() follows the database's character type (C.UTF-8 and the usual locales
fold "MÜLLER" and "ΕΛΛΆΔΑ"); SQLite's lower() folds ASCII only, and SQLite holds JSON as the
text it was given, where the default serializer writes "Müller" as "M\\u00fcller". So every
SQLite connection gets two deterministic SQL functions (registered by sessionscope.db):

    ss_lower(text)       -> str.lower(text)
    ss_fold_json(text)   -> the JSON text with \\uXXXX escapes of non-ASCII characters turned
                            back into the characters (as PostgreSQL's jsonb text shows them),
                            then str.lower()

queries.textmatch compiles its matches to lower() on PostgreSQL and to these on SQLite.
"""

from __future__ import annotations

import re
import sqlite3

SQLITE_LOWER = "ss_lower"
SQLITE_FOLD_JSON = "ss_fold_json"

# A backslash escape: an escaped backslash (kept, so "\\\\u00fc" stays literal text), a \uXXXX
# (with its low surrogate when it is a high one), or any other one-character escape (kept).
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})(?:\\u([dD][c-fC-F][0-9a-fA-F]{2}))?|.)", re.DOTALL)


def _unescape(match: re.Match[str]) -> str:
    high, low = match.group(1), match.group(2)
    if high is None:
        return match.group(0)
    code = int(high, 16)
    if code < 0x7F:  # ASCII controls and quotes stay escaped, as PostgreSQL writes them
        return match.group(0)
    if low is not None and 0xD800 <= code < 0xDC00:
        return chr(0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00))
    if low is not None:  # not a pair: fold the first, keep the second as it was
        return chr(code) + match.group(0)[6:]
    return chr(code) if not 0xD800 <= code < 0xE000 else match.group(0)


def lower(text: str | None) -> str | None:
    """Unicode lower case (NULL stays NULL)."""
    return None if text is None else text.lower()


def fold_json(text: str | None) -> str | None:
    """JSON text with its non-ASCII \\u escapes decoded, in Unicode lower case."""
    if text is None:
        return None
    if "\\" in text:
        text = _ESCAPE.sub(_unescape, text)
    return text.lower()


def register_sqlite(dbapi_conn: sqlite3.Connection) -> None:
    """Add ss_lower and ss_fold_json to a SQLite connection (deterministic: usable in
    indexes and by the planner)."""
    dbapi_conn.create_function(SQLITE_LOWER, 1, lower, deterministic=True)
    dbapi_conn.create_function(SQLITE_FOLD_JSON, 1, fold_json, deterministic=True)
