"""Decode an OTLP/HTTP trace export (protobuf or JSON, gzip or not) within size limits.

Everything here treats the body as hostile: the wire size, the inflated size and the span
count are capped before any work is done per span, and every decoding failure becomes a
`BadRequest` with a one-line reason (the receiver answers 400), never a traceback.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from sessionscope.errors import SessionscopeError

# The OTel SDK's batch exporter sends at most 512 spans (a few hundred KB) per request; the
# Collector's default batch is 8,192. These limits leave room for both and for big payloads.
MAX_BODY_BYTES = 16 * 1024 * 1024  # on the wire
MAX_INFLATED_BYTES = 64 * 1024 * 1024  # after gzip: a small bomb cannot fill memory
MAX_SPANS = 20_000

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
# OTLP/JSON writes these bytes fields as hex strings, where protobuf's JSON mapping (which
# json_format reads) expects base64.
_HEX_ID_FIELDS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


class BadRequest(SessionscopeError):
    """The body is not an OTLP trace export we can read (HTTP 400)."""


class TooLarge(SessionscopeError):
    """The body, or the work it asks for, is over a limit (HTTP 413)."""


class UnsupportedMediaType(SessionscopeError):
    """Neither protobuf nor JSON (HTTP 415)."""


def media_type(content_type: str | None) -> str:
    """PROTOBUF or JSON from a Content-Type header (parameters ignored), else 415."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in (PROTOBUF, JSON):
        return kind
    raise UnsupportedMediaType(
        f"Content-Type {kind or '(none)'!r} is not supported: send {PROTOBUF} or {JSON}"
    )


def inflate(body: bytes, content_encoding: str | None) -> bytes:
    """The body without its Content-Encoding (identity or gzip), at most MAX_INFLATED_BYTES."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "identity":
        return body
    if encoding != "gzip":
        raise UnsupportedMediaType(f"Content-Encoding {encoding!r} is not supported: use gzip")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, MAX_INFLATED_BYTES + 1)
    except zlib.error as exc:
        raise BadRequest(f"the gzip body cannot be decompressed: {exc}") from None
    if len(data) > MAX_INFLATED_BYTES or inflater.unconsumed_tail:
        raise TooLarge(f"the body inflates to more than {MAX_INFLATED_BYTES // 2**20} MiB")
    if not inflater.eof:
        raise BadRequest("the gzip body is truncated")
    return data


def decode(body: bytes, *, kind: str) -> ExportTraceServiceRequest:
    """Parse an inflated body of `kind` (PROTOBUF or JSON) and check the span count."""
    request = _from_json(body) if kind == JSON else _from_protobuf(body)
    spans = sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
    if spans > MAX_SPANS:
        raise TooLarge(
            f"{spans} spans in one request; the limit is {MAX_SPANS} "
            "(the OTel SDK's batch exporter sends 512 at a time)"
        )
    return request


def _from_protobuf(body: bytes) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except (DecodeError, RecursionError, ValueError) as exc:
        raise BadRequest(f"the body is not an OTLP ExportTraceServiceRequest ({exc})") from None
    return request


def _from_json(body: bytes) -> ExportTraceServiceRequest:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"the body is not JSON ({str(exc)[:120]})") from None
    if not isinstance(data, dict):
        raise BadRequest("the JSON body is not an object with resourceSpans")
    try:
        _hex_ids_to_base64(data, depth=0)
        return json_format.ParseDict(data, ExportTraceServiceRequest(), ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as exc:
        raise BadRequest(f"the JSON body is not an OTLP trace export ({str(exc)[:200]})") from None


def _hex_ids_to_base64(node: Any, *, depth: int) -> None:
    """Rewrite OTLP/JSON's hex trace and span ids in place as protobuf JSON's base64."""
    if depth > 64:
        raise ValueError("the JSON is nested more than 64 levels deep")
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _HEX_ID_FIELDS and isinstance(value, str):
                try:
                    node[key] = base64.b64encode(bytes.fromhex(value)).decode()
                except ValueError:
                    raise ValueError(f"{key} {value[:40]!r} is not hex") from None
            elif isinstance(value, dict | list):
                _hex_ids_to_base64(value, depth=depth + 1)
    elif isinstance(node, list):
        for value in node:
            _hex_ids_to_base64(value, depth=depth + 1)


def response_body(*, rejected: int, message: str, kind: str) -> bytes:
    """An ExportTraceServiceResponse in `kind`; partialSuccess only when there is news."""
    response = ExportTraceServiceResponse()
    if rejected or message:
        response.partial_success.rejected_spans = rejected
        response.partial_success.error_message = message
    if kind == JSON:
        return json_format.MessageToJson(response, indent=None).encode()
    return response.SerializeToString()
