"""Ingest throughput: spans per second into PostgreSQL and SQLite from one process, and the
time from a POST to the call being readable by the timeline query.

The spans are made by the real OpenTelemetry SDK (a CLIENT and a SERVER span per MCP
request, with the semantic-convention attributes the MCP SDK 2.x and sessionscope.mcp set,
arguments and results included) and encoded by the OTLP exporter's own encoder in batches of
512, as the SDK's BatchSpanProcessor sends them. Each batch goes through the receiver's whole
path (token, decode, map, write) in one process; the POST timing goes through `streamlit run
app.py` over HTTP.

    .venv/bin/python -m bench.ingest [--spans 51200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import urllib.request
import uuid
from datetime import timedelta

import sqlalchemy as sa
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bench import datasets
from sessionscope import tokens
from sessionscope.db import make_engine
from sessionscope.ingest.receiver import handle_export
from sessionscope.migrate import upgrade
from sessionscope.schema import organizations, tool_calls

BATCH = 512  # the OTel SDK's BatchSpanProcessor default max_export_batch_size
SESSIONS_PER_PROCESS = 40  # requests per emitting process: sessions of 40 calls
TOOLS = ("search_docs", "get_page", "list_issues", "create_ticket")


def _provider(exporter: InMemorySpanExporter, service: str) -> TracerProvider:
    resource = Resource.create({"service.name": service, "service.instance.id": str(uuid.uuid4())})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def make_batches(spans: int) -> list[bytes]:
    """`spans` real SDK spans (client + server per request) as OTLP protobuf batches."""
    exporter = InMemorySpanExporter()
    for process in range(max(1, spans // (2 * SESSIONS_PER_PROCESS))):
        client = _provider(exporter, "bench-client").get_tracer("mcp")
        server = _provider(exporter, "docs-mcp").get_tracer("mcp")
        for n in range(SESSIONS_PER_PROCESS):
            tool = TOOLS[(process + n) % len(TOOLS)]
            _request(client, server, tool, n, fail=n % 17 == 16)
    finished = exporter.get_finished_spans()[:spans]
    return [
        encode_spans(finished[i : i + BATCH]).SerializeToString()
        for i in range(0, len(finished), BATCH)
    ]


def _request(client: trace.Tracer, server: trace.Tracer, tool: str, n: int, fail: bool) -> None:
    common = {"mcp.method.name": "tools/call", "jsonrpc.request.id": str(n + 1)}
    with client.start_as_current_span(
        f"MCP send tools/call {tool}", kind=trace.SpanKind.CLIENT, attributes=common
    ):
        attrs = {
            **common,
            "gen_ai.tool.name": tool,
            "gen_ai.operation.name": "execute_tool",
            "mcp.session.id": "",  # unset below; the process is the session, as in the SDK
            "gen_ai.tool.call.arguments": json.dumps({"query": f"question {n}", "limit": 10}),
            "gen_ai.tool.call.result": json.dumps(
                {"hits": [{"id": i, "title": f"page {i}"} for i in range(8)]}
            ),
        }
        del attrs["mcp.session.id"]
        if fail:
            attrs["error.type"] = "tool_error"
        with server.start_as_current_span(
            f"tools/call {tool}", kind=trace.SpanKind.SERVER, attributes=attrs
        ) as span:
            if fail:
                span.set_status(trace.Status(trace.StatusCode.ERROR, "rate limited"))


def _fresh(url: str, revision: str = "head") -> tuple[sa.Engine, str]:
    """A database migrated to revision, empty but for one organization and its token."""
    engine = make_engine(url)
    upgrade(engine, revision)
    with engine.begin() as conn:
        conn.execute(
            organizations.insert().values(id="org_b", slug="b", name="B", created_at=sa.func.now())
        )
        token = tokens.create(conn, org_id="org_b", name="bench", created_by="bench").token
    return engine, token


def throughput(url: str, batches: list[bytes], revision: str = "head") -> dict[str, float]:
    """Spans per second through handle_export, batch after batch, one process, into a fresh
    database at `revision` (bench.power compares head with the one before the search index)."""
    engine, token = _fresh(url, revision)
    spans = 0
    started = time.perf_counter()
    per_batch = []
    for body in batches:
        t0 = time.perf_counter()
        outcome = handle_export(
            engine,
            authorization=f"Bearer {token}",
            content_type="application/x-protobuf",
            content_encoding=None,
            body=body,
            idle=timedelta(minutes=30),
        )
        per_batch.append((time.perf_counter() - t0) * 1000)
        assert outcome.status == 200, outcome.body
        spans += BATCH
    elapsed = time.perf_counter() - started
    with engine.connect() as conn:
        calls = conn.execute(sa.select(sa.func.count()).select_from(tool_calls)).scalar_one()
    engine.dispose()
    return {
        "spans": len(batches) * BATCH,
        "calls": calls,
        "seconds": elapsed,
        "spans_per_s": len(batches) * BATCH / elapsed,
        "batch_ms_median": statistics.median(per_batch),
        "batch_ms_p95": sorted(per_batch)[int(0.95 * (len(per_batch) - 1))],
    }


def post_to_visible(url: str, batches: list[bytes], runs: int = 10) -> dict[str, float]:
    """POST one batch to `streamlit run app.py` and time until the timeline query reads it."""
    from harness import StreamlitServer
    from queries import timeline

    engine, token = _fresh(url)
    server = StreamlitServer(url, script="app.py")
    timings = []
    try:
        for body in batches[:runs]:
            t0 = time.perf_counter()
            request = urllib.request.Request(
                f"{server.url}/v1/traces",
                data=body,
                method="POST",
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/x-protobuf",
                },
            )
            with urllib.request.urlopen(request, timeout=60) as response:
                assert response.status == 200
            _wait_visible(engine, timeline, body)
            timings.append((time.perf_counter() - t0) * 1000)
    finally:
        server.stop()
        engine.dispose()
    return {"post_to_visible_ms_median": statistics.median(timings), "runs": len(timings)}


def _wait_visible(engine: sa.Engine, timeline: object, body: bytes) -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    from sessionscope.ingest.mapping import map_spans
    from sessionscope.ingest.spans import spans_of

    last = max(
        map_spans("org_b", spans_of(ExportTraceServiceRequest.FromString(body))).calls,
        key=lambda c: c.started_at,
    )
    while True:
        with engine.connect() as conn:
            session_id = conn.execute(
                sa.select(tool_calls.c.session_id).where(tool_calls.c.id == last.id)
            ).scalar_one_or_none()
            if session_id is not None:
                window = timeline.window(conn, org_id="org_b", session_id=session_id)
                if last.id in set(window.rows["id"]):
                    return
        time.sleep(0.005)


def measure(spans: int) -> dict[str, object]:
    batches = make_batches(spans)
    server = datasets._postgres_server()
    name = f"ingest_{uuid.uuid4().hex[:8]}"
    out: dict[str, object] = {"batch_spans": BATCH}
    out["postgresql"] = throughput(datasets._database(server, name), batches)
    sqlite_path = datasets.DATA / f"{name}.sqlite"
    out["sqlite"] = throughput(f"sqlite:///{sqlite_path}", batches)
    out["post"] = post_to_visible(f"sqlite:///{datasets.DATA / (name + '-post.sqlite')}", batches)
    for path in datasets.DATA.glob(f"{name}*.sqlite*"):
        path.unlink()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=51_200)
    args = parser.parse_args()
    print(json.dumps(measure(args.spans), indent=2))


if __name__ == "__main__":
    main()
