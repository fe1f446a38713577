"""From spans to calls: one row per MCP request, both sides of it merged, each with the
session key it belongs under. Pure: no database, so each family has a table-driven test.

- The CLIENT and SERVER spans of one request are one call: they share the trace (the
  client's context is propagated) and the JSON-RPC request id, or the server span is the
  client span's child. The server's timing wins; payloads come from whichever side has them.
- A call's id is a hash of the organization and those keys, so a batch sent twice, or the
  two sides sent by two processes at different times, land on the same row.
- Every call of a trace belongs to one session: the first session id a span names (see
  families.SESSION_KEYS), else the server's process (`service.instance.id`), else the
  process that sent it. Process keys are split into sessions by idle gaps in the writer.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sessionscope.ingest import families
from sessionscope.ingest.families import Request
from sessionscope.ingest.spans import Span

MAX_KEY_CHARS = 200


@dataclass
class Call:
    """One MCP request, merged from the spans that recorded it."""

    id: str
    trace_id: str
    method: str
    tool_name: str
    started_at: datetime
    duration_ms: int | None
    sides: set[str]
    span_ids: list[str]
    input: Any = None
    output: Any = None
    is_error: bool = False
    error_type: str | None = None
    error_message: str | None = None
    request_id: str | None = None
    families: set[str] = field(default_factory=set)
    truncated: bool = False
    redacted: bool = False  # the organization's rules masked or dropped part of it
    # Session facts: the key it belongs under and what the session row learns from it.
    session_key: str = ""
    explicit_session: str | None = None
    server_instance: str | None = None
    any_instance: str = ""
    end_user: str | None = None
    client_name: str | None = None
    client_version: str | None = None
    server_name: str | None = None
    protocol_version: str | None = None
    transport: str | None = None

    @property
    def ended_at(self) -> datetime:
        return self.started_at + timedelta(milliseconds=self.duration_ms or 0)

    def attributes(self) -> dict[str, Any]:
        """What goes into tool_calls.attributes: the OTel facts beyond the columns."""
        out: dict[str, Any] = {
            "trace_id": self.trace_id,
            "span_ids": sorted(self.span_ids),
            "sides": sorted(self.sides),
            "families": sorted(self.families),
        }
        for name in ("request_id", "error_type"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.truncated:
            out["truncated"] = True
        if self.redacted:
            out["redacted"] = True
        return out


@dataclass
class Batch:
    """What one request's spans map to."""

    calls: list[Call]
    ignored: int  # spans that are not MCP requests (kept out, not an error)
    rejected: int  # spans that cannot be stored (no ids, no time)
    reasons: list[str]


def short_hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def _datetime(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC)


def _problem(span: Span) -> str | None:
    if len(span.trace_id) != 32 or span.trace_id == "0" * 32:
        return "a span without a valid trace id"
    if len(span.span_id) != 16 or span.span_id == "0" * 16:
        return "a span without a valid span id"
    if span.start_ns <= 0 or span.end_ns < span.start_ns:
        return "a span without a valid start and end time"
    if span.start_ns > 4_102_444_800 * 10**9:  # 2100-01-01: a time in ns that is not one
        return "a span that starts after the year 2100"
    return None


def _link(span: Span, request: Request) -> str:
    """What both sides of one request share: its JSON-RPC id, else the client span's id."""
    if request.link == "trace":
        return "trace"
    if request.request_id is not None:
        return f"rid:{request.request_id}"
    if request.side == "server" and span.parent_span_id.strip("0"):
        return f"span:{span.parent_span_id}"
    return f"span:{span.span_id}"


def map_spans(org_id: str, spans: Iterable[Span]) -> Batch:
    """Calls from `spans` (any order, any mix of families), each with its session key."""
    by_id: dict[str, Call] = {}
    ignored = rejected = 0
    reasons: list[str] = []
    for span in spans:
        problem = _problem(span)
        if problem:
            rejected += 1
            if problem not in reasons:
                reasons.append(problem)
            continue
        request = families.read(span)
        if request is None:
            ignored += 1
            continue
        link = _link(span, request)
        # Not the target: a client span may not name the resource or tool its server does.
        method = "" if link == "trace" else request.method
        call_id = "tc_" + short_hash(org_id, span.trace_id, link, method)
        _merge(by_id, call_id, span, request)
    # A call only its helper spans saw (no method) is not a request we can show.
    calls = [c for c in by_id.values() if c.method]
    ignored += sum(len(c.span_ids) for c in by_id.values() if not c.method)
    _assign_sessions(calls)
    return Batch(calls=calls, ignored=ignored, rejected=rejected, reasons=reasons)


def _merge(by_id: dict[str, Call], call_id: str, span: Span, request: Request) -> None:
    duration = max(0, (span.end_ns - span.start_ns) // 1_000_000)
    call = by_id.get(call_id)
    if call is None:
        call = by_id[call_id] = Call(
            id=call_id,
            trace_id=span.trace_id,
            method=request.method,
            tool_name=request.target or request.method or "",
            started_at=_datetime(span.start_ns),
            duration_ms=int(duration),
            sides=set(),
            span_ids=[],
            any_instance=families.instance_of(span),
        )
    elif request.side == "server" and "server" not in call.sides:
        call.started_at, call.duration_ms = _datetime(span.start_ns), int(duration)
    elif request.method and not call.method:  # the helper spans came first
        call.started_at, call.duration_ms = _datetime(span.start_ns), int(duration)
        call.any_instance = families.instance_of(span)
    if request.method and not call.method:
        call.method, call.tool_name = request.method, request.target or request.method
    elif request.target and call.tool_name == call.method:  # this side names the target
        call.tool_name = request.target
    call.sides.add(request.side)
    if span.span_id not in call.span_ids:
        call.span_ids.append(span.span_id)
    call.families.add(request.family)
    call.truncated = call.truncated or bool(span.truncated)
    _learn(call, span, request)


def _learn(call: Call, span: Span, request: Request) -> None:
    """Fill what the call does not know yet from this side's request."""
    if request.has_arguments and call.input is None:
        call.input = request.arguments
    if request.has_result and call.output is None:
        call.output = request.result
    if request.is_error:
        call.is_error = True
        call.error_type = call.error_type or request.error_type
        call.error_message = call.error_message or request.error_message
    call.request_id = call.request_id or request.request_id
    call.explicit_session = call.explicit_session or families.session_key(span)
    call.end_user = call.end_user or families.end_user(span)
    if request.side == "server":
        call.server_instance = call.server_instance or families.instance_of(span)
        call.server_name = call.server_name or _service(span)
    for name in ("client_name", "client_version", "protocol_version", "transport"):
        if getattr(call, name) is None:
            setattr(call, name, getattr(request, name))
    if request.server_name:
        call.server_name = request.server_name


def _service(span: Span) -> str | None:
    name = span.resource.get("service.name")
    if not name or str(name).startswith("unknown_service"):
        return None
    return str(name)


def _assign_sessions(calls: list[Call]) -> None:
    """One key per trace: a named session, else the server's process, else the sender's."""
    by_trace: dict[str, list[Call]] = defaultdict(list)
    for call in calls:
        by_trace[call.trace_id].append(call)
    for trace_calls in by_trace.values():
        key = next((f"sid:{c.explicit_session}" for c in trace_calls if c.explicit_session), None)
        key = key or next(
            (f"proc:{c.server_instance}" for c in trace_calls if c.server_instance), None
        )
        key = key or f"proc:{trace_calls[0].any_instance}"
        if len(key) > MAX_KEY_CHARS:
            key = key[:5] + "h:" + short_hash(key)
        for call in trace_calls:
            call.session_key = key
