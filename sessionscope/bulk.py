"""The Admin page's bulk actions on many sessions: archive, restore, export; each audited once.

Every function runs in the caller's transaction and writes exactly one audit entry, so when
anything fails part-way the caller's rollback leaves every row as it was and no entry behind.
`run_in_transaction` gives that from an engine. Ids of another organization and unknown ids
are never touched and only counted, so a result never says whether they exist elsewhere.
"""

from __future__ import annotations

import csv
import heapq
import io
import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import sqlalchemy as sa

from queries.admin import sessions_by_ids
from sessionscope import audit, rollup
from sessionscope.db import begin_write
from sessionscope.schema import sessions, support_tickets, tool_calls

# Ids per UPDATE: one bound parameter each, far below SQLite's limit, and small enough that a
# progress bar moves on a large selection.
CHUNK_SIZE = 500
TIMELINE_BATCH = 500  # tool-call rows fetched at a time while exporting a long session
TARGET_TYPE = "session"

Progress = Callable[[int, int], None]
T = TypeVar("T")


@dataclass(frozen=True)
class BulkResult:
    """What an archive/restore did; requested == changed + skipped + not_found (distinct ids)."""

    action: str
    requested: int
    changed: int
    skipped: int  # this org's sessions already in the target state
    not_found: int  # unknown ids and other organizations' ids, counted but never named
    audit_id: str


def run_in_transaction(engine: sa.Engine, fn: Callable[..., T], **kwargs: Any) -> T:
    """fn(conn, **kwargs) in one transaction: committed if it returns, rolled back if it raises.

    Every fn here reads, then writes (at least its audit entry): begin_write() makes a
    concurrent change on SQLite wait for this one instead of failing with "database is locked".
    """
    with begin_write(engine) as conn:
        return fn(conn, **kwargs)


def _distinct(session_ids: Sequence[str]) -> list[str]:
    # A bare string is a Sequence[str] too; iterating it would act on one-letter "ids".
    if isinstance(session_ids, str):
        raise TypeError("session_ids must be a sequence of ids, not one string")
    return list(dict.fromkeys(session_ids))


def _chunks(ids: list[str], size: int) -> Iterator[list[str]]:
    if size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {size}")
    return (ids[i : i + size] for i in range(0, len(ids), size))


def archive(
    conn: sa.Connection,
    *,
    org_id: str,
    actor: str,
    session_ids: Sequence[str],
    now: datetime | None = None,
    progress: Progress | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> BulkResult:
    """Soft-delete the org's sessions among session_ids (set archived_at); nothing is removed.

    actor is the acting member's email. progress(done, total) is called after each chunk.
    """
    at = now or datetime.now(UTC)
    return _set_archived(
        conn, "sessions.archive", org_id, actor, session_ids, at, at, progress, chunk_size
    )


def restore(
    conn: sa.Connection,
    *,
    org_id: str,
    actor: str,
    session_ids: Sequence[str],
    now: datetime | None = None,
    progress: Progress | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> BulkResult:
    """Clear archived_at on the org's sessions among session_ids; same contract as archive."""
    at = now or datetime.now(UTC)
    return _set_archived(
        conn, "sessions.restore", org_id, actor, session_ids, None, at, progress, chunk_size
    )


def _set_archived(
    conn: sa.Connection,
    action: str,
    org_id: str,
    actor: str,
    session_ids: Sequence[str],
    value: datetime | None,
    at: datetime,
    progress: Progress | None,
    chunk_size: int,
) -> BulkResult:
    """Set archived_at to value, chunk by chunk, on the org's sessions not already there."""
    ids = _distinct(session_ids)
    changed: set[str] = set()
    found = done = 0
    # Rows are locked in id order whatever order they were selected in, so two changes of
    # overlapping selections wait for each other instead of deadlocking (PostgreSQL).
    for chunk in _chunks(sorted(ids), chunk_size):
        n_found, n_changed = _set_archived_chunk(conn, org_id, chunk, value)
        found += n_found
        changed.update(n_changed)
        done += len(chunk)
        if progress is not None:
            progress(done, len(ids))
    counts = {
        "requested": len(ids),
        "changed": len(changed),
        "skipped": found - len(changed),
        "not_found": len(ids) - found,
    }
    changed_ids = [i for i in ids if i in changed]  # in the order the admin selected them
    rollup.refresh_sessions(conn, org_id=org_id, session_ids=changed_ids)
    audit_id = _record(conn, action, org_id, actor, changed_ids, {**counts, "at": at.isoformat()})
    return BulkResult(action=action, audit_id=audit_id, **counts)


def _set_archived_chunk(
    conn: sa.Connection, org_id: str, chunk: list[str], value: datetime | None
) -> tuple[int, list[str]]:
    """How many of chunk are the org's sessions, and the ids this call changed."""
    s = sessions.c
    mine = sa.and_(s.org_id == org_id, s.id.in_(chunk))  # an expanding IN of bound ids
    # FOR UPDATE in id order (SQLite renders none: begin_write() holds its write lock).
    locked = conn.execute(sa.select(s.id).where(mine).order_by(s.id).with_for_update())
    found = len(locked.all())
    # Rows already in the target state are left alone: archiving twice keeps the first time.
    pending = s.archived_at.is_(None) if value is not None else s.archived_at.is_not(None)
    update = sa.update(sessions).where(mine, pending).values(archived_at=value)
    # RETURNING names exactly the rows this statement changed, even under concurrent edits.
    return found, list(conn.execute(update.returning(s.id)).scalars())


def _record(
    conn: sa.Connection,
    action: str,
    org_id: str,
    actor: str,
    ids: Sequence[str],
    detail: dict[str, Any],
) -> str:
    return audit.record(
        conn,
        org_id=org_id,
        actor_email=actor,
        action=action,
        target_type=TARGET_TYPE,
        target_ids=ids,
        detail=detail,
    )


# --- export ---------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A DataFrame or database scalar as a JSON/CSV-ready one: ISO datetimes, None for gaps."""
    # NaT first: it is a datetime subclass whose isoformat() is the string "NaT".
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, date):  # datetime and pd.Timestamp are dates too
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _json_default(value: Any) -> Any:
    plain = _plain(value)
    if plain is value:  # json.dumps would call us again on the same value
        raise TypeError(f"cannot export a {type(value).__name__} as JSON")
    return plain


# A cell starting with one of these is run as a formula by spreadsheet apps; titles and
# emails come from end users, so such cells get a leading quote (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> Any:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_csv(
    conn: sa.Connection, *, org_id: str, actor: str, session_ids: Sequence[str]
) -> bytes:
    """UTF-8 CSV of the org's sessions among session_ids: the admin list columns, newest first.

    Text cells that a spreadsheet would run as a formula are prefixed with a single quote.
    """
    ids = _distinct(session_ids)
    rows = sessions_by_ids(conn, org_id=org_id, ids=ids)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows.columns)
    for record in rows.itertuples(index=False, name=None):
        writer.writerow([_csv_cell(v) for v in record])
    exported = list(rows["id"])
    _record(conn, "sessions.export_csv", org_id, actor, exported, _export_counts(ids, exported))
    return out.getvalue().encode("utf-8")


def export_json(
    conn: sa.Connection, *, org_id: str, actor: str, session_ids: Sequence[str]
) -> bytes:
    """UTF-8 JSON array of the org's sessions among session_ids, newest first, each with
    "timeline": its tool calls (with input and output) and tickets merged in time order.

    Built session by session, item by item: each value is serialised once, straight into
    the output, so a session with a long timeline is never held twice.
    """
    ids = _distinct(session_ids)
    heads = sessions_by_ids(conn, org_id=org_id, ids=ids).to_dict("records")
    out = io.BytesIO()
    for piece in _json_pieces(conn, org_id, heads):
        out.write(piece)
    exported = [h["id"] for h in heads]
    _record(conn, "sessions.export_json", org_id, actor, exported, _export_counts(ids, exported))
    return out.getvalue()


TIMELINE_CSV_COLUMNS = (
    "session_id", "kind", "id", "at", "seq", "tool_name", "title", "duration_ms", "is_error",
    "error_message", "status", "priority", "email", "summary", "context", "resolved_at",
    "input", "output", "method",
)  # fmt: skip


def export_timeline_csv(
    conn: sa.Connection, *, org_id: str, actor: str, session_ids: Sequence[str]
) -> bytes:
    """UTF-8 CSV with one row per timeline item (tool call or ticket) of each of the org's
    sessions among session_ids, in time order; input and output as JSON text."""
    ids = _distinct(session_ids)
    exported = list(sessions_by_ids(conn, org_id=org_id, ids=ids)["id"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TIMELINE_CSV_COLUMNS)
    for session_id in exported:
        for item in _timeline(conn, org_id, session_id):
            row = {**item, "session_id": session_id}
            for payload in ("input", "output"):
                if payload in row:
                    row[payload] = _dumps(row[payload]).decode("utf-8")
            writer.writerow([_csv_cell(row.get(col)) for col in TIMELINE_CSV_COLUMNS])
    counts = _export_counts(ids, exported)
    _record(conn, "sessions.export_timeline_csv", org_id, actor, exported, counts)
    return out.getvalue().encode("utf-8")


def _export_counts(ids: list[str], exported: list[str]) -> dict[str, int]:
    return {"requested": len(ids), "exported": len(exported), "not_found": len(ids) - len(exported)}


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=_json_default).encode("utf-8")


def _json_pieces(conn: sa.Connection, org_id: str, heads: list[dict[str, Any]]) -> Iterator[bytes]:
    yield b"["
    for n, head in enumerate(heads):
        # The head as an object without its closing brace, then the timeline array, then "}".
        yield (b"," if n else b"") + _dumps({k: _plain(v) for k, v in head.items()})[:-1]
        yield b', "timeline": ['
        for i, item in enumerate(_timeline(conn, org_id, head["id"])):
            yield (b"," if i else b"") + _dumps(item)
        yield b"]}"
    yield b"]"


def _timeline(conn: sa.Connection, org_id: str, session_id: str) -> Iterator[dict[str, Any]]:
    """A session's tool calls and tickets in time order; calls before tickets at one instant.

    Both arms come ordered from SQL; heapq.merge is stable, so items with the same
    (at, kind) keep the SQL order (seq, id for calls; id for tickets), as in queries.timeline.
    """
    t = support_tickets.c
    stmt = sa.select(
        t.id, t.created_at, t.title, t.summary, t.context, t.status, t.priority, t.email,
        t.resolved_at,
    ).where(t.org_id == org_id, t.session_id == session_id)  # fmt: skip
    tickets = [_ticket(r) for r in conn.execute(stmt.order_by(t.created_at, t.id)).mappings()]
    calls = (_call(r) for r in conn.execute(_calls_query(org_id, session_id)).mappings())
    return heapq.merge(calls, tickets, key=lambda item: (item["at"], item["kind"] != "tool_call"))


def _calls_query(org_id: str, session_id: str) -> sa.Select[Any]:
    c = tool_calls.c
    stmt = sa.select(
        c.id, c.seq, c.tool_name, c.method, c.started_at, c.duration_ms, c.is_error,
        c.error_message, c.input, c.output,
    ).where(c.org_id == org_id, c.session_id == session_id)  # fmt: skip
    # yield_per streams the rows (a server-side cursor on PostgreSQL): payloads can be large.
    return stmt.order_by(c.started_at, c.seq, c.id).execution_options(yield_per=TIMELINE_BATCH)


def _call(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "kind": "tool_call",
        "id": row["id"],
        "at": row["started_at"],
        "seq": row["seq"],
        "tool_name": row["tool_name"],
        "method": row["method"],  # tools/call, or initialize, resources/read, ... (contract v2)
        "duration_ms": row["duration_ms"],
        "is_error": bool(row["is_error"]),
        "error_message": row["error_message"],
        "input": row["input"],
        "output": row["output"],
    }


def _ticket(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "kind": "ticket",
        "id": row["id"],
        "at": row["created_at"],
        "title": row["title"],
        "summary": row["summary"],
        "context": row["context"],
        "status": row["status"],
        "priority": row["priority"],
        "email": row["email"],
        "resolved_at": row["resolved_at"],
    }
