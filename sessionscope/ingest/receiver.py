"""One OTLP export, start to finish: authenticate, decode, map, write, answer as a collector.

The HTTP route (sessionscope/routes.py) and `sessionscope ingest` both come through here,
so a file and a live exporter meet the same checks. Answers follow OTLP/HTTP: 200 with
`partialSuccess` when some spans were rejected (or were not MCP spans, as a warning), 400
for an undecodable body, 401 for a missing, unknown or revoked token, 413 over a limit,
415 for another media type, 503 when the database is down; never a traceback.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from sessionscope import tokens
from sessionscope.db import begin_write
from sessionscope.ingest import changes, otlp, writer
from sessionscope.ingest.mapping import Batch, map_spans
from sessionscope.ingest.spans import spans_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """The HTTP answer: status, body and its media type."""

    status: int
    body: bytes
    content_type: str


@dataclass(frozen=True)
class Ingested:
    """What one request did: spans in, calls and sessions written."""

    spans: int
    rejected: int
    ignored: int
    written: writer.Written
    message: str


def ingest(
    engine: Engine,
    *,
    org_id: str,
    request: ExportTraceServiceRequest,
    idle: timedelta,
    now: datetime | None = None,
) -> Ingested:
    """Map and write one decoded request for `org_id` in one transaction."""
    spans = list(spans_of(request))
    batch = map_spans(org_id, spans)
    with begin_write(engine) as conn:
        written = writer.write(
            conn, org_id=org_id, batch=batch, idle=idle, now=now or datetime.now(UTC)
        )
    if written.session_ids:
        changes.bump(org_id)
    return Ingested(len(spans), batch.rejected, batch.ignored, written, _message(batch))


def _message(batch: Batch) -> str:
    parts = []
    if batch.rejected:
        parts.append(f"{batch.rejected} span(s) rejected: {'; '.join(batch.reasons)}")
    if batch.ignored:
        parts.append(
            f"{batch.ignored} span(s) are not MCP requests (no mcp.method.name, "
            "traceloop.span.kind or openinference TOOL) and were not stored"
        )
    return "; ".join(parts)


def _error(status: int, message: str) -> Outcome:
    # OTLP/HTTP carries a google.rpc.Status; its JSON form is readable by people and tools.
    code = {400: 3, 401: 16, 413: 8, 415: 3, 503: 14}.get(status, 2)
    body = json.dumps({"code": code, "message": message}).encode()
    return Outcome(status, body, otlp.JSON)


def bearer(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer TOKEN` header, else None."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def handle_export(
    engine: Engine,
    *,
    authorization: str | None,
    content_type: str | None,
    content_encoding: str | None,
    body: bytes,
    idle: timedelta,
) -> Outcome:
    """The whole POST /v1/traces, as an Outcome for any input."""
    token = bearer(authorization)
    if token is None:
        return _error(401, "send the ingest token as 'Authorization: Bearer TOKEN'")
    try:
        kind = otlp.media_type(content_type)
        with begin_write(engine) as conn:
            org_id = tokens.organization_of(conn, token)
        if org_id is None:
            return _error(401, "the ingest token is unknown or revoked")
        request = otlp.decode(otlp.inflate(body, content_encoding), kind=kind)
        done = ingest(engine, org_id=org_id, request=request, idle=idle)
    except otlp.UnsupportedMediaType as exc:
        return _error(415, str(exc))
    except otlp.TooLarge as exc:
        return _error(413, str(exc))
    except otlp.BadRequest as exc:
        return _error(400, str(exc))
    except DBAPIError as exc:
        log.warning("ingest: database error: %s", str(exc.orig).splitlines()[0][:300])
        return _error(503, "the database is not available; retry later")
    payload = otlp.response_body(rejected=done.rejected, message=done.message, kind=kind)
    return Outcome(200, payload, kind)
