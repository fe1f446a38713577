"""Helpers more than one test module needs that are not fixtures."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

T = TypeVar("T")


def run_async(main: Callable[[], Awaitable[T]]) -> T:
    """Run `main()` to completion on an event loop of its own, in a thread of its own.

    In the whole suite the browser tests' session-wide Playwright (sync API) keeps an asyncio
    loop running in the main thread, where asyncio.run and anyio.run then refuse to start
    ("cannot be called from a running event loop")."""

    async def call() -> T:
        return await main()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, call()).result()


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
