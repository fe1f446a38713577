"""One timeline item in full: a tool call (payloads previewed when large) or a support ticket."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from sessionscope.schema import TOOL_CALL_METHOD, sessions, support_tickets, tool_calls

PREVIEW_BYTES = 1_000_000  # payloads larger than this are previewed, not loaded
# How much of a large payload the preview shows: enough to read its shape, small enough that
# the browser highlights it at once (a 1 MB code block froze the details pane for seconds).
PREVIEW_CHARS = 20_000
PAYLOADS = ("input", "output")
_PAYLOAD_FIELDS = {f"{p}{suffix}" for p in PAYLOADS for suffix in ("", "_bytes", "_preview")}


@dataclass(frozen=True)
class ToolCallDetail:
    """A tool_calls row (a tool call or another MCP request, by method); input/output are
    parsed when small, else None with a text preview; attributes as stored (trace and span
    ids, request id, error.type...), None when the source gave none."""

    id: str
    session_id: str
    seq: int
    tool_name: str
    started_at: datetime
    duration_ms: int | None
    is_error: bool
    error_message: str | None
    input: Any
    output: Any
    input_bytes: int | None
    output_bytes: int | None
    input_preview: str | None
    output_preview: str | None
    method: str = TOOL_CALL_METHOD
    attributes: Any = None


@dataclass(frozen=True)
class TicketDetail:
    """A support ticket raised during a session."""

    id: str
    session_id: str | None
    end_user_id: str
    email: str | None
    title: str
    summary: str | None
    context: str | None
    status: str
    priority: str
    created_at: datetime
    resolved_at: datetime | None
    attributes: Any = None  # a source's extras: MCPlatform's id and activity history


def _text(col: sa.Column[Any]) -> sa.ColumnElement[str]:
    """The JSON text of a payload column, as stored (jsonb's canonical text on PostgreSQL)."""
    return sa.cast(col, sa.Text)


def payload_size(conn: sa.Connection, col: sa.Column[Any]) -> sa.ColumnElement[int]:
    """The payload's size in bytes, measured in SQL so a large payload is not fetched."""
    if conn.dialect.name == "postgresql":
        return sa.func.octet_length(_text(col))
    return sa.func.length(sa.cast(col, sa.LargeBinary))


def _visible_calls(org_id: str) -> sa.Select[Any]:
    """Tool calls of this org whose session is visible (same org, not archived)."""
    tc, s = tool_calls.c, sessions.c
    return (
        sa.select()
        .select_from(tool_calls)
        .join(sessions, s.id == tc.session_id)
        .where(tc.org_id == org_id, s.org_id == org_id, s.archived_at.is_(None))
    )


def _payload_columns(conn: sa.Connection, field: str, limit: int) -> list[Any]:
    """Full text when at most limit bytes, else its first PREVIEW_CHARS characters, in SQL."""
    col = tool_calls.c[field]
    size, text = payload_size(conn, col), _text(col)
    return [
        size.label(f"{field}_bytes"),
        sa.case((size <= limit, text)).label(f"{field}_text"),
        sa.case((size > limit, sa.func.substr(text, 1, PREVIEW_CHARS))).label(f"{field}_preview"),
    ]


def _tool_call(conn: sa.Connection, org_id: str, item_id: str) -> ToolCallDetail | None:
    tc = tool_calls.c
    names = [f.name for f in fields(ToolCallDetail) if f.name not in _PAYLOAD_FIELDS]
    payloads = [c for f in PAYLOADS for c in _payload_columns(conn, f, PREVIEW_BYTES)]
    stmt = _visible_calls(org_id).add_columns(*(tc[n] for n in names), *payloads)
    row = conn.execute(stmt.where(tc.id == item_id)).mappings().first()
    if row is None:
        return None
    parsed = {f: _parse(row[f"{f}_text"]) for f in PAYLOADS}
    plain = {k: v for k, v in row.items() if not k.endswith("_text")}
    return ToolCallDetail(**plain, **parsed)


def _parse(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _ticket(conn: sa.Connection, org_id: str, item_id: str) -> TicketDetail | None:
    t, s = support_tickets.c, sessions.c
    names = [f.name for f in fields(TicketDetail)]
    stmt = (
        sa.select(*(t[n] for n in names))
        .join_from(support_tickets, sessions, s.id == t.session_id, isouter=True)
        .where(t.id == item_id, t.org_id == org_id)
        # A ticket outside any session is visible; one in an archived session is not.
        .where(sa.or_(t.session_id.is_(None), sa.and_(s.org_id == org_id, s.archived_at.is_(None))))
    )
    row = conn.execute(stmt).mappings().first()
    return TicketDetail(**row) if row else None


def get(conn: sa.Connection, *, org_id: str, item_id: str) -> ToolCallDetail | TicketDetail | None:
    """A tool call (tc_...) or ticket (sr_...) visible in this org; None for anything else."""
    if item_id.startswith("tc_"):
        return _tool_call(conn, org_id, item_id)
    if item_id.startswith("sr_"):
        return _ticket(conn, org_id, item_id)
    return None


def payload_text(
    conn: sa.Connection, *, org_id: str, item_id: str, field: Literal["input", "output"]
) -> str | None:
    """The whole JSON text of a visible tool call's input or output, for a download."""
    if field not in PAYLOADS:
        raise ValueError(f"field must be one of {PAYLOADS}, not {field!r}")
    if not item_id.startswith("tc_"):
        return None
    stmt = _visible_calls(org_id).add_columns(_text(tool_calls.c[field]))
    return conn.execute(stmt.where(tool_calls.c.id == item_id)).scalar()
