"""The Admin page's bulk actions on many sessions: archive, restore, export; each audited once.

Every function runs in the caller's transaction and writes exactly one audit entry, so when
anything fails part-way the caller's rollback leaves every row as it was and no entry behind.
`run_in_transaction` gives that from an engine. Ids of another organization and unknown ids
are never touched and only counted, so a result never says whether they exist elsewhere.
"""

from __future__ import annotations

import heapq
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, BinaryIO, TypeVar

import numpy as np
import pandas as pd
import sqlalchemy as sa

from queries.admin import sessions_by_ids
from queries.items import payload_size
from sessionscope import audit, human, rollup
from sessionscope.db import begin_write
from sessionscope.errors import ExportTooLarge
from sessionscope.schema import sessions, support_tickets, tool_calls

# Ids per UPDATE: one bound parameter each, far below SQLite's limit, and small enough that a
# progress bar moves on a large selection.
CHUNK_SIZE = 500
# Tool-call rows fetched at a time while exporting a long session; with payloads read along
# only up to INLINE_PAYLOAD_BYTES each, a batch holds at most 100 MiB of them.
TIMELINE_BATCH = 100
INLINE_PAYLOAD_BYTES = 2**20
PAYLOAD_CHUNK_BYTES = 16 * 2**20  # a larger payload is read in pieces of this many bytes
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

# What one export may read (issue 15: a session holding a 300 MB payload took 49 s and
# 2.8 GB to export, the payload parsed into Python objects and the file kept in memory).
# Payloads are now copied as stored JSON text, never parsed, into a file the caller owns.
MAX_EXPORT_ITEMS = 200_000  # timeline items (tool calls and tickets); sessions in export_csv
MAX_EXPORT_PAYLOAD_BYTES = 256 * 2**20  # tool-call input and output, as stored JSON text


@dataclass(frozen=True)
class ExportLimits:
    """What one export may read; past either, ExportTooLarge and nothing is exported."""

    items: int = MAX_EXPORT_ITEMS
    payload_bytes: int = MAX_EXPORT_PAYLOAD_BYTES


DEFAULT_LIMITS = ExportLimits()


class _Budget:
    """What an export has read so far, checked against its limits as it goes."""

    def __init__(self, limits: ExportLimits) -> None:
        self.limits, self.items, self.payload = limits, 0, 0

    def take(self, *, items: int = 0, payload: int = 0) -> None:
        self.items += items
        self.payload += payload
        if self.items > self.limits.items or self.payload > self.limits.payload_bytes:
            raise ExportTooLarge(_too_large(self.items, self.payload, self.limits))


def _too_large(items: int, payload: int, limits: ExportLimits) -> str:
    if items > limits.items:
        return (
            f"it holds at least {items:,} tool calls and tickets, and one export holds at "
            f"most {limits.items:,}"
        )
    return (
        f"its tool calls' inputs and outputs come to at least {human.size(payload)}, and one "
        f"export holds at most {human.size(limits.payload_bytes)}"
    )


def _check_size(
    conn: sa.Connection, org_id: str, session_ids: list[str], limits: ExportLimits
) -> _Budget:
    """ExportTooLarge before anything is read when the sessions' timelines are over a limit.

    Sizes are measured in SQL (the payloads never leave the database); the budget returned
    checks again while exporting, for an active session that grows meanwhile.
    """
    c, t = tool_calls.c, support_tickets.c
    calls = sa.and_(c.org_id == org_id, c.session_id.in_(session_ids))
    tickets = sa.and_(t.org_id == org_id, t.session_id.in_(session_ids))
    n = conn.execute(sa.select(sa.func.count()).where(calls)).scalar_one()
    n += conn.execute(sa.select(sa.func.count()).where(tickets)).scalar_one()
    probe = _Budget(limits)
    probe.take(items=n)  # counted first: cheap, and spares summing a huge session's payloads
    sizes = [
        sa.func.coalesce(sa.func.sum(payload_size(conn, col)), 0) for col in (c.input, c.output)
    ]
    probe.take(payload=int(conn.execute(sa.select(sizes[0] + sizes[1]).where(calls)).scalar_one()))
    return _Budget(limits)


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


# A line starting with one of these is run as a formula by spreadsheet apps; titles and
# emails come from end users, so such lines get a leading quote (OWASP "CSV injection").
# Every line of a cell, not only its first: a reader that ends rows at a bare CR (Excel,
# LibreOffice) starts a new row after any line break inside a field.
_FORMULA = b"=+-@\t\r"
_FORMULA_AFTER_BREAK = re.compile(rb"(\r\n|\r|\n)(?=[=+\-@\t\r])")


def _cell_bytes(value: Any) -> Iterator[bytes]:
    """A cell's UTF-8 in pieces: a payload's chunks, or the one text of any other value."""
    if isinstance(value, _Payload):
        yield from value.chunks()
        return
    value = _plain(value)
    yield b"" if value is None else str(value).encode("utf-8")


def _escaped(pieces: Iterable[bytes], *, text: bool) -> Iterator[bytes]:
    """The pieces of one cell with a quote before each line that starts a formula (text
    only: a number such as -2 stays a number), and every double quote doubled. On UTF-8
    bytes: no byte of a multi-byte character is an ASCII one, so a piece may end anywhere."""
    line_start = True
    for piece in pieces:
        if text and piece:
            if line_start and piece[0] in _FORMULA:
                piece = b"'" + piece
            piece = _FORMULA_AFTER_BREAK.sub(rb"\1'", piece)
            line_start = piece[-1] in b"\r\n"
        yield piece.replace(b'"', b'""')


class _CsvOut:
    """CSV onto a binary file, UTF-8, every field quoted, rows ended by CRLF (RFC 4180).

    Every field quoted: a CR inside one is then inside quotes too (csv.writer with "\\n"
    line ends wrote a lone CR bare, which splits the row for readers that end rows at CR).
    Written by hand, not by csv.writer, so a large payload goes out chunk by chunk.
    """

    def __init__(self, out: BinaryIO) -> None:
        self._write = out.write

    def row(self, values: Iterable[Any]) -> None:
        for i, value in enumerate(values):
            self._write(b',"' if i else b'"')
            text = isinstance(value, str | _Payload)
            for piece in _escaped(_cell_bytes(value), text=text):
                self._write(piece)
            self._write(b'"')
        self._write(b"\r\n")


def export_csv(
    conn: sa.Connection,
    *,
    org_id: str,
    actor: str,
    session_ids: Sequence[str],
    out: BinaryIO,
    limits: ExportLimits = DEFAULT_LIMITS,
) -> int:
    """Write a UTF-8 CSV of the org's sessions among session_ids to out: the admin list
    columns, newest first. Returns how many sessions it holds.

    Text cells that a spreadsheet would run as a formula are prefixed with a single quote.
    """
    ids = _distinct(session_ids)
    rows = sessions_by_ids(conn, org_id=org_id, ids=ids)
    _Budget(limits).take(items=len(rows))
    csv_out = _CsvOut(out)
    csv_out.row(rows.columns)
    for record in rows.itertuples(index=False, name=None):
        csv_out.row(record)
    exported = list(rows["id"])
    _record(conn, "sessions.export_csv", org_id, actor, exported, _export_counts(ids, exported))
    return len(exported)


def export_json(
    conn: sa.Connection,
    *,
    org_id: str,
    actor: str,
    session_ids: Sequence[str],
    out: BinaryIO,
    limits: ExportLimits = DEFAULT_LIMITS,
) -> int:
    """Write a UTF-8 JSON array of the org's sessions among session_ids to out, newest first,
    each with "timeline": its tool calls (with input and output) and tickets merged in time
    order. Returns how many sessions it holds; ExportTooLarge (before writing) past limits.

    Streamed session by session, item by item; payloads go out as the JSON text stored.
    """
    ids = _distinct(session_ids)
    heads = sessions_by_ids(conn, org_id=org_id, ids=ids).to_dict("records")
    exported = [h["id"] for h in heads]
    budget = _check_size(conn, org_id, exported, limits)
    for piece in _json_pieces(conn, org_id, heads, budget):
        out.write(piece)
    _record(conn, "sessions.export_json", org_id, actor, exported, _export_counts(ids, exported))
    return len(exported)


TIMELINE_CSV_COLUMNS = (
    "session_id", "kind", "id", "at", "seq", "tool_name", "title", "duration_ms", "is_error",
    "error_message", "status", "priority", "email", "summary", "context", "resolved_at",
    "input", "output", "method",
)  # fmt: skip


def export_timeline_csv(
    conn: sa.Connection,
    *,
    org_id: str,
    actor: str,
    session_ids: Sequence[str],
    out: BinaryIO,
    limits: ExportLimits = DEFAULT_LIMITS,
) -> int:
    """Write a UTF-8 CSV with one row per timeline item (tool call or ticket) of each of the
    org's sessions among session_ids to out, in time order; input and output as JSON text.
    Returns how many sessions it holds; ExportTooLarge (before writing) past limits."""
    ids = _distinct(session_ids)
    exported = list(sessions_by_ids(conn, org_id=org_id, ids=ids)["id"])
    budget = _check_size(conn, org_id, exported, limits)
    csv_out = _CsvOut(out)
    csv_out.row(TIMELINE_CSV_COLUMNS)
    for session_id in exported:
        for item in _timeline(conn, org_id, session_id, budget):
            row = {**item, "session_id": session_id}
            csv_out.row(row.get(col) for col in TIMELINE_CSV_COLUMNS)
    counts = _export_counts(ids, exported)
    _record(conn, "sessions.export_timeline_csv", org_id, actor, exported, counts)
    return len(exported)


def _export_counts(ids: list[str], exported: list[str]) -> dict[str, int]:
    return {"requested": len(ids), "exported": len(exported), "not_found": len(ids) - len(exported)}


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=_json_default).encode("utf-8")


def _item_json(item: dict[str, Any]) -> Iterator[bytes]:
    """The item as a JSON object; its payloads (stored JSON text) written in as they are."""
    payloads = [(k, item[k]) for k in ("input", "output") if k in item]
    head = _dumps({k: v for k, v in item.items() if k not in ("input", "output")})
    if not payloads:
        yield head
        return
    yield head[:-1]
    for key, payload in payloads:
        yield f', "{key}": '.encode()
        if payload.size is None:
            yield b"null"
        yield from payload.chunks()
    yield b"}"


def _json_pieces(
    conn: sa.Connection, org_id: str, heads: list[dict[str, Any]], budget: _Budget
) -> Iterator[bytes]:
    yield b"["
    for n, head in enumerate(heads):
        # The head as an object without its closing brace, then the timeline array, then "}".
        yield (b"," if n else b"") + _dumps({k: _plain(v) for k, v in head.items()})[:-1]
        yield b', "timeline": ['
        for i, item in enumerate(_timeline(conn, org_id, head["id"], budget)):
            if i:
                yield b","
            yield from _item_json(item)
        yield b"]}"
    yield b"]"


def _timeline(
    conn: sa.Connection, org_id: str, session_id: str, budget: _Budget
) -> Iterator[dict[str, Any]]:
    """A session's tool calls and tickets in time order; calls before tickets at one instant.

    Both arms come ordered from SQL; heapq.merge is stable, so items with the same
    (at, kind) keep the SQL order (seq, id for calls; id for tickets), as in queries.timeline.
    Every item is taken from the budget as it is read.
    """
    t = support_tickets.c
    stmt = sa.select(
        t.id, t.created_at, t.title, t.summary, t.context, t.status, t.priority, t.email,
        t.resolved_at,
    ).where(t.org_id == org_id, t.session_id == session_id)  # fmt: skip
    tickets = [_ticket(r) for r in conn.execute(stmt.order_by(t.created_at, t.id)).mappings()]
    budget.take(items=len(tickets))
    rows = conn.execute(_calls_query(conn, org_id, session_id)).mappings()
    calls = (_call(conn, r, budget) for r in rows)
    return heapq.merge(calls, tickets, key=lambda item: (item["at"], item["kind"] != "tool_call"))


@dataclass(frozen=True)
class _Payload:
    """A tool call's input or output as stored JSON text, read with its row when small and
    in slices as it is written when large: never whole in memory, never parsed.

    Measured (issue 15) on PostgreSQL 18, `/usr/bin/time -v`, what "Prepare export" does (JSON
    and CSV of one session) for a call with a 100 MB input and a 100 MB output: read whole,
    7.1 s and 2.1 GB peak RSS (a 300 MB session: 11 s, 3.1 GB); in 16 MiB slices, 12 s and
    324 MB (32 MiB slices: 9.8 s, 470 MB). The 300 MB session is now refused in 0.7 s.
    """

    conn: sa.Connection
    call_id: str
    field: str
    size: int | None  # bytes; None for SQL NULL
    text: str | None  # the whole text when at most INLINE_PAYLOAD_BYTES

    def chunks(self) -> Iterator[bytes]:
        """The payload's UTF-8, whole when small, else in PAYLOAD_CHUNK_BYTES pieces (sliced
        as bytes in SQL: PostgreSQL's substr on text counts characters from the start, which
        took twice as long at a late offset)."""
        if self.size is None:
            return
        if self.text is not None:
            yield self.text.encode("utf-8")
            return
        c = tool_calls.c
        utf8 = _payload_utf8(self.conn, c[self.field])
        start = 1
        while True:
            piece = self.conn.execute(
                sa.select(
                    sa.func.substr(utf8, start, PAYLOAD_CHUNK_BYTES, type_=sa.LargeBinary)
                ).where(c.id == self.call_id)
            ).scalar()
            if piece:
                yield bytes(piece)
            if not piece or len(piece) < PAYLOAD_CHUNK_BYTES:
                return  # the last piece
            start += len(piece)


def _payload_json(conn: sa.Connection, col: sa.Column[Any]) -> sa.ColumnElement[str]:
    """The payload's JSON text as stored, never parsed here (a parse costs ~8x its size)."""
    text = sa.cast(col, sa.Text)
    if conn.dialect.name == "postgresql":
        return text  # jsonb: always valid JSON
    # SQLite keeps any text an outside tool wrote: text that is not JSON goes out as a string.
    return sa.case((sa.func.json_valid(col) == 1, text), else_=sa.func.json_quote(text))


def _payload_utf8(conn: sa.Connection, col: sa.Column[Any]) -> sa.ColumnElement[bytes]:
    """The payload's JSON text (as _payload_json) as UTF-8 bytes, in SQL."""
    if conn.dialect.name == "postgresql":
        return sa.func.convert_to(_payload_json(conn, col), "UTF8", type_=sa.LargeBinary)
    return sa.cast(_payload_json(conn, col), sa.LargeBinary)


def _calls_query(conn: sa.Connection, org_id: str, session_id: str) -> sa.Select[Any]:
    c = tool_calls.c
    payloads = []
    for field in ("input", "output"):
        size = payload_size(conn, c[field])
        inline = sa.case((size <= INLINE_PAYLOAD_BYTES, _payload_json(conn, c[field])))
        payloads += [size.label(f"{field}_bytes"), inline.label(field)]
    stmt = sa.select(
        c.id, c.seq, c.tool_name, c.method, c.started_at, c.duration_ms, c.is_error,
        c.error_message, *payloads,
    ).where(c.org_id == org_id, c.session_id == session_id)  # fmt: skip
    # yield_per streams the rows (a server-side cursor on PostgreSQL): payloads can be large.
    return stmt.order_by(c.started_at, c.seq, c.id).execution_options(yield_per=TIMELINE_BATCH)


def _call(conn: sa.Connection, row: Mapping[str, Any], budget: _Budget) -> dict[str, Any]:
    sizes = {f: row[f"{f}_bytes"] for f in ("input", "output")}
    budget.take(items=1, payload=sum(n for n in sizes.values() if n is not None))
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
        **{f: _Payload(conn, row["id"], f, sizes[f], row[f]) for f in ("input", "output")},
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
