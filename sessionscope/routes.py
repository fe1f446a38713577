"""The HTTP routes served beside the dashboard: POST /v1/traces (OTLP/HTTP) and GET /healthz.

Thin: read the request within the size limit, hand the bytes to the core in a worker
thread (a burst of spans never blocks the event loop that serves the viewers' websockets),
and send back what the core answers.
"""

from __future__ import annotations

import functools
import json
from datetime import timedelta

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sessionscope.db import check_connection, make_engine
from sessionscope.errors import SessionscopeError
from sessionscope.ingest import otlp
from sessionscope.ingest.receiver import handle_export
from sessionscope.settings import load_settings


@functools.cache
def _engine() -> Engine:
    """One engine for the routes, built on first use (the pages keep their own)."""
    settings = load_settings()
    return make_engine(settings.database_url, statement_timeout_ms=settings.statement_timeout_ms)


def _json(status: int, payload: dict[str, object]) -> Response:
    return Response(json.dumps(payload), status_code=status, media_type="application/json")


async def _body(request: Request) -> bytes | None:
    """The body, or None once it passes MAX_BODY_BYTES (no more is read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > otlp.MAX_BODY_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > otlp.MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def traces(request: Request) -> Response:
    """POST /v1/traces: an OTLP ExportTraceServiceRequest; the bearer token names the org."""
    try:
        body = await _body(request)
    except ClientDisconnect:
        return Response(status_code=400)
    if body is None:
        limit = otlp.MAX_BODY_BYTES // 2**20
        return _json(413, {"code": 8, "message": f"the body is over {limit} MiB"})
    try:
        idle = timedelta(minutes=load_settings().idle_minutes)
        engine = _engine()
    except SessionscopeError as exc:
        return _json(503, {"code": 14, "message": str(exc)})
    outcome = await run_in_threadpool(
        handle_export,
        engine,
        authorization=request.headers.get("authorization"),
        content_type=request.headers.get("content-type"),
        content_encoding=request.headers.get("content-encoding"),
        body=body,
        idle=idle,
    )
    return Response(outcome.body, status_code=outcome.status, media_type=outcome.content_type)


async def healthz(request: Request) -> Response:
    """GET /healthz: 200 when the database answers, 503 otherwise (no details: it is public)."""
    try:
        await run_in_threadpool(check_connection, _engine())
    except SessionscopeError:
        return _json(503, {"status": "unavailable", "database": "not reachable"})
    return _json(200, {"status": "ok"})


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/traces", traces, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
