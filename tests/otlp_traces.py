"""Recorded OTLP traces (tests/data/otlp), cut into parts, and posted to the receiver."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from sessionscope.ingest.receiver import Outcome, handle_export

OTLP = Path(__file__).parent / "data" / "otlp"
IDLE = timedelta(minutes=30)
PB = "application/x-protobuf"


def recorded(name: str) -> ExportTraceServiceRequest:
    """A trace recorded from a real SDK, by its file name in tests/data/otlp."""
    request = ExportTraceServiceRequest()
    request.ParseFromString((OTLP / name).read_bytes())
    return request


def spans_in(request: ExportTraceServiceRequest) -> list[Any]:
    """Every span of an OTLP request, whatever its resource and scope."""
    return [s for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans]


def halves(request: ExportTraceServiceRequest) -> tuple[ExportTraceServiceRequest, ...]:
    """The request's spans split at the middle of its time span: what arrives first, then."""
    starts = sorted(s.start_time_unix_nano for s in spans_in(request))
    cut = starts[len(starts) // 2]
    parts = []
    for keep in (lambda s: s.start_time_unix_nano < cut, lambda s: s.start_time_unix_nano >= cut):
        part = ExportTraceServiceRequest()
        part.CopyFrom(request)
        for rs in part.resource_spans:
            for ss in rs.scope_spans:
                kept = [s for s in ss.spans if keep(s)]
                del ss.spans[:]
                ss.spans.extend(kept)
        parts.append(part)
    return tuple(parts)


def post(engine: sa.Engine, token: str | None, body: bytes, **headers: str) -> Outcome:
    """What POST /v1/traces answers to `body` sent with `token` (protobuf unless told)."""
    return handle_export(
        engine,
        authorization=f"Bearer {token}" if token else None,
        content_type=headers.get("content_type", PB),
        content_encoding=headers.get("content_encoding"),
        body=body,
        idle=IDLE,
    )
