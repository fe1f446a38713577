"""What each span family says about one MCP request: a table of readers, one per family.

Three families reach a collector today (see the README, "Live capture"):
- OTel semantic conventions for MCP (the MCP SDK 2.x, our recorder): `mcp.method.name`;
- OpenLLMetry (`opentelemetry-instrumentation-mcp`): `traceloop.span.kind`;
- OpenInference: `openinference.span.kind` = TOOL.
A reader returns a `Request` or None (the span is not an MCP request of that family).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sessionscope.ingest.spans import Span

TOOLS_CALL = "tools/call"
# Where the session is named, most specific first (the README lists them).
SESSION_KEYS = (
    "mcp.session.id",
    "gen_ai.conversation.id",
    "session.id",
    "traceloop.association.properties.session_id",
)
USER_KEYS = ("user.id", "enduser.id", "enduser.pseudo.id", "user.email")
_NOT_GIVEN = object()


@dataclass
class Request:
    """One MCP request as one side (client or server) saw it."""

    family: str
    side: str  # client | server | internal
    method: str
    target: str | None  # the tool, resource or prompt
    arguments: Any = _NOT_GIVEN
    result: Any = _NOT_GIVEN
    is_error: bool = False
    error_type: str | None = None
    error_message: str | None = None
    request_id: str | None = None
    client_name: str | None = None
    client_version: str | None = None
    server_name: str | None = None
    protocol_version: str | None = None
    transport: str | None = None
    # What both sides of the request share, when not the JSON-RPC id: "trace" for families
    # that trace each request on its own.
    link: str | None = None

    @property
    def has_arguments(self) -> bool:
        return self.arguments is not _NOT_GIVEN

    @property
    def has_result(self) -> bool:
        return self.result is not _NOT_GIVEN


def json_or_text(value: Any) -> Any:
    """A payload attribute: JSON text becomes its value; other text stays text."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return value


def _str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _error(span: Span, error_type: Any) -> tuple[bool, str | None, str | None]:
    """is_error, error.type and the message, from the span status and `error.type`."""
    kind = _str(error_type)
    failed = span.status_error or kind is not None
    if span.status_message or not failed:
        return failed, kind, span.status_message or None
    if kind == "tool_error":
        return True, kind, "The tool returned an error result (isError)."
    return True, kind, f"Failed ({kind or 'span status ERROR'})."


def _side(span: Span) -> str:
    return span.kind if span.kind in ("client", "server") else "internal"


# --- OTel semantic conventions (MCP SDK 2.x, sessionscope.mcp) --------------------------


def _semconv(span: Span) -> Request | None:
    method = _str(span.attrs.get("mcp.method.name"))
    if method is None:
        return None
    target = _str(
        span.get("gen_ai.tool.name", "gen_ai.prompt.name", "mcp.resource.uri")
    ) or _target_from_name(span.name, method)
    failed, error_type, message = _error(span, span.attrs.get("error.type"))
    request = Request(
        family="semconv",
        side=_side(span),
        method=method,
        target=target,
        is_error=failed,
        error_type=error_type,
        error_message=message,
        request_id=_str(span.attrs.get("jsonrpc.request.id")),
        client_name=_str(span.get("mcp.client.name")),
        client_version=_str(span.get("mcp.client.version")),
        server_name=_str(span.get("mcp.server.name", "fastmcp.server.name")),
        protocol_version=_str(span.get("mcp.protocol.version")),
        transport=_str(span.get("network.transport", "mcp.transport")),
    )
    # The GenAI conventions name a tool call's payloads; sessionscope.mcp sends the other
    # methods' params and results under its own names.
    for key in ("gen_ai.tool.call.arguments", "sessionscope.request.params"):
        if key in span.attrs and not request.has_arguments:
            request.arguments = json_or_text(span.attrs[key])
    for key in ("gen_ai.tool.call.result", "sessionscope.response.result"):
        if key in span.attrs and not request.has_result:
            request.result = json_or_text(span.attrs[key])
    return request


def _target_from_name(name: str, method: str) -> str | None:
    """`tools/call search` or `MCP send tools/call search` -> `search`."""
    _, found, rest = name.partition(method)
    return rest.strip() or None if found else None


# --- OpenLLMetry (opentelemetry-instrumentation-mcp) ------------------------------------


def _openllmetry(span: Span) -> Request | None:
    """OpenLLMetry 0.62 on mcp 1.x traces each request as its own trace, rooted at a client
    span: `{tool}.tool` for tools/call (arguments and result), `{method}.mcp` for the rest;
    below it `ResponseStreamWriter` spans of both processes carry the request id, and the
    server's the response (`mcp.response.value`). All are INTERNAL."""
    if span.name == "ResponseStreamWriter" and "mcp.request.id" in span.attrs:
        return _openllmetry_writer(span)
    is_tool = span.attrs.get("traceloop.span.kind") == "tool"
    if not is_tool and not (span.name.endswith(".mcp") and "traceloop.entity.input" in span.attrs):
        return None
    entity_input = json_or_text(span.attrs.get("traceloop.entity.input"))
    entity_output = json_or_text(span.attrs.get("traceloop.entity.output"))
    if is_tool:
        tool = _str(span.attrs.get("traceloop.entity.name")) or span.name.removesuffix(".tool")
        method, target = TOOLS_CALL, tool
    else:
        method = span.name.removesuffix(".mcp")
        target = _entity_target(entity_input)
    output_error = isinstance(entity_output, dict) and bool(entity_output.get("is_error"))
    failed, error_type, message = _error(span, span.attrs.get("error.type"))
    if output_error and not failed:
        failed, error_type = True, "tool_error"
        message = _error_text(entity_output.get("result"))
    request = Request(
        family="openllmetry",
        side="client",
        method=method,
        target=target,
        is_error=failed,
        error_type=error_type,
        error_message=message,
        link="trace",
    )
    if isinstance(entity_input, dict):
        params = entity_input.get("params", entity_input)
        request.arguments = entity_input.get("arguments", params)
        _client_info(request, params)
    elif entity_input is not None:
        request.arguments = entity_input
    if entity_output is not None:
        has_result = isinstance(entity_output, dict) and "result" in entity_output
        request.result = entity_output["result"] if has_result else entity_output
        request.server_name = _server_info(entity_output)
    return request


def _server_info(result: Any) -> str | None:
    """The server's own name from an initialize result (`serverInfo.name`)."""
    info = result.get("serverInfo") if isinstance(result, dict) else None
    return _str(info.get("name")) if isinstance(info, dict) else None


def _openllmetry_writer(span: Span) -> Request:
    """A `ResponseStreamWriter` span: the JSON-RPC request id of the request its trace's
    root span names. (The server's own name comes from `initialize`'s serverInfo: these
    spans may reach us in another request than their root.)"""
    return Request(
        family="openllmetry",
        side="internal",
        method="",  # known from the trace's root span
        target=None,
        request_id=_str(span.attrs.get("mcp.request.id")),
        link="trace",
    )


def _entity_target(entity_input: Any) -> str | None:
    if not isinstance(entity_input, dict):
        return None
    params = entity_input.get("params", entity_input)
    if not isinstance(params, dict):
        return None
    return _str(params.get("name") or params.get("uri") or entity_input.get("tool_name"))


def _client_info(request: Request, params: Any) -> None:
    info = params.get("clientInfo") if isinstance(params, dict) else None
    if isinstance(info, dict):
        request.client_name = _str(info.get("name"))
        request.client_version = _str(info.get("version"))
    if isinstance(params, dict):
        request.protocol_version = _str(params.get("protocolVersion"))


def _error_text(result: Any) -> str | None:
    """The text of an isError result's content, for the error message."""
    content = result.get("content") if isinstance(result, dict) else result
    if isinstance(content, list):
        texts = [c.get("text") for c in content if isinstance(c, dict) and c.get("text")]
        return "\n".join(texts)[:1000] or None
    return _str(content)


# --- OpenInference ------------------------------------------------------------------------


def _openinference(span: Span) -> Request | None:
    if str(span.attrs.get("openinference.span.kind", "")).upper() != "TOOL":
        return None
    failed, error_type, message = _error(span, span.attrs.get("error.type"))
    request = Request(
        family="openinference",
        side=_side(span),
        method=TOOLS_CALL,
        target=_str(span.attrs.get("tool.name")) or span.name,
        is_error=failed,
        error_type=error_type,
        error_message=message,
    )
    if "input.value" in span.attrs:
        request.arguments = json_or_text(span.attrs["input.value"])
    if "output.value" in span.attrs:
        request.result = json_or_text(span.attrs["output.value"])
    return request


READERS: tuple[Callable[[Span], Request | None], ...] = (_semconv, _openllmetry, _openinference)


def read(span: Span) -> Request | None:
    """The MCP request `span` records, by the first family that recognises it."""
    for reader in READERS:
        request = reader(span)
        if request is not None:
            return request
    return None


def session_key(span: Span) -> str | None:
    """The session the span names itself, if any family's attribute does."""
    return _str(span.get(*SESSION_KEYS))


def end_user(span: Span) -> str | None:
    return _str(span.get(*USER_KEYS))


def instance_of(span: Span) -> str:
    """The emitting process: service.instance.id, else what identifies it best."""
    instance = _str(span.resource.get("service.instance.id"))
    if instance:
        return instance
    parts = (span.resource.get(k) for k in ("service.name", "host.name", "process.pid"))
    return "/".join(str(p) for p in parts if p is not None) or "unknown"
