"""Flatten an OTLP request into plain spans: ids as hex, attributes as Python values.

Strings are cleaned on the way (NUL, which neither PostgreSQL text nor jsonb can hold,
becomes U+FFFD) and capped: a payload attribute at MAX_PAYLOAD_CHARS, any other at
MAX_ATTRIBUTE_CHARS, so one 10 MB attribute costs no more than a normal span downstream.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

MAX_PAYLOAD_CHARS = 256 * 1024  # arguments and results: the explorer previews beyond this
MAX_ATTRIBUTE_CHARS = 4 * 1024  # names, ids, messages
MAX_VALUE_DEPTH = 8  # nested arrays/kvlists in one attribute value
TRUNCATED = "…[truncated by Sessionscope]"

# Attributes that carry a tool's arguments or result, whichever family sent them.
PAYLOAD_KEYS = frozenset(
    {
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
        "traceloop.entity.input",
        "traceloop.entity.output",
        "input.value",
        "output.value",
        "mcp.response.value",
        "sessionscope.request.params",
        "sessionscope.response.result",
    }
)
KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


@dataclass
class Span:
    """One span, decoded: what the mapping reads."""

    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: str  # internal | server | client | producer | consumer | unspecified
    start_ns: int
    end_ns: int
    status_error: bool
    status_message: str
    attrs: dict[str, Any]
    resource: dict[str, Any]
    truncated: set[str] = field(default_factory=set)  # attribute keys that were cut

    def get(self, *keys: str) -> Any:
        """The first of `keys` set on the span, else on its resource, else None."""
        for key in keys:
            if key in self.attrs:
                return self.attrs[key]
        for key in keys:
            if key in self.resource:
                return self.resource[key]
        return None


def clean(text: str, limit: int) -> tuple[str, bool]:
    """`text` without NUL, cut to `limit` characters with a marker; and whether it was cut."""
    text = text.replace("\x00", "\ufffd")
    if len(text) <= limit:
        return text, False
    return text[:limit] + TRUNCATED, True


def _value(value: AnyValue, limit: int, depth: int = 0) -> Any:
    which = value.WhichOneof("value")
    if which == "string_value":
        return clean(value.string_value, limit)[0]
    if which in ("bool_value", "int_value", "double_value"):
        return getattr(value, which)
    if which == "bytes_value":
        return clean(base64.b64encode(value.bytes_value).decode(), limit)[0]
    if depth >= MAX_VALUE_DEPTH:
        return TRUNCATED
    if which == "array_value":
        return [_value(v, limit, depth + 1) for v in value.array_value.values[:1000]]
    if which == "kvlist_value":
        pairs = value.kvlist_value.values[:1000]
        return {clean(kv.key, 256)[0]: _value(kv.value, limit, depth + 1) for kv in pairs}
    return None


def _attributes(pairs: Any, truncated: set[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in pairs:
        key = clean(kv.key, 256)[0]
        limit = MAX_PAYLOAD_CHARS if key in PAYLOAD_KEYS else MAX_ATTRIBUTE_CHARS
        if kv.value.WhichOneof("value") == "string_value":
            out[key], cut = clean(kv.value.string_value, limit)
            if cut and truncated is not None:
                truncated.add(key)
        else:
            out[key] = _value(kv.value, limit)
    return out


def spans_of(request: ExportTraceServiceRequest) -> Iterator[Span]:
    """Every span of the request with its resource's attributes beside it."""
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                truncated: set[str] = set()
                yield Span(
                    trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(),
                    parent_span_id=span.parent_span_id.hex(),
                    name=clean(span.name, 256)[0],
                    kind=KINDS.get(span.kind, "unspecified"),
                    start_ns=span.start_time_unix_nano,
                    end_ns=span.end_time_unix_nano,
                    status_error=span.status.code == 2,
                    status_message=clean(span.status.message, MAX_ATTRIBUTE_CHARS)[0],
                    attrs=_attributes(span.attributes, truncated),
                    resource=resource,
                    truncated=truncated,
                )
