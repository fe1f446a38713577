"""Record real MCP scenarios into OTLP fixture files through a tiny local OTLP/HTTP sink."""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import threading
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from sessionscope.settings import PROJECT_ROOT
from tests.mcp_scenarios.run import FAMILIES, TRANSPORTS, run_scenario

FIXTURE_DIR = PROJECT_ROOT / "tests" / "data" / "otlp"
SINK_TOKEN = "fixture-token"


@dataclass
class Captured:
    """One POST the sink received, body already decompressed."""

    path: str
    content_type: str
    authorization: str
    body: bytes


@dataclass
class Sink:
    """A running OTLP/HTTP sink and what it has received so far."""

    server: ThreadingHTTPServer
    requests: list[Captured] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        """Base URL, as OTEL_EXPORTER_OTLP_ENDPOINT wants it (no /v1/traces)."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


def decompress(body: bytes, encoding: str) -> bytes:
    """Undo the Content-Encoding an OTLP exporter may apply."""
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


def handler_for(requests: list[Captured]) -> type[BaseHTTPRequestHandler]:
    """Build a request handler class that appends every POST to `requests`."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = decompress(raw, self.headers.get("Content-Encoding", ""))
            content_type = self.headers.get("Content-Type", "")
            auth = self.headers.get("Authorization", "")
            requests.append(Captured(self.path, content_type, auth, body))
            is_json = "json" in content_type
            reply = b"{}" if is_json else ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", content_type or "application/x-protobuf")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet: the exporters retry loudly enough on their own."""

    return Handler


def start_sink() -> Sink:
    """Serve an OTLP/HTTP sink on a free 127.0.0.1 port in a daemon thread."""
    requests: list[Captured] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(requests))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Sink(server, requests)


def scenario_env(sink: Sink, protocol: str = "http/protobuf") -> dict[str, str]:
    """Point the standard OTel variables (and the recorder's) at the sink."""
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": sink.endpoint,
        "OTEL_EXPORTER_OTLP_HEADERS": f"Authorization=Bearer%20{SINK_TOKEN}",
        "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
        "SESSIONSCOPE_ENDPOINT": sink.endpoint,
        "SESSIONSCOPE_TOKEN": SINK_TOKEN,
    }


def merge(captured: list[Captured]) -> ExportTraceServiceRequest:
    """Merge every captured protobuf request's resource_spans into one request."""
    merged = ExportTraceServiceRequest()
    for item in captured:
        part = ExportTraceServiceRequest.FromString(item.body)
        merged.resource_spans.extend(part.resource_spans)
    return merged


def record(family: str, transport: str, *, mode: str = "auto", suffix: str = "") -> Path:
    """Run one scenario against a fresh sink and write its merged .binpb fixture."""
    sink = start_sink()
    try:
        summary = run_scenario(family, transport, scenario_env(sink), mode=mode)
    finally:
        sink.close()
    trace_posts = [c for c in sink.requests if c.path.endswith("/v1/traces")]
    if not trace_posts:
        raise RuntimeError(f"{family}-{transport}: no spans arrived ({summary})")
    path = FIXTURE_DIR / f"{family}-{transport}{suffix}.binpb"
    path.write_bytes(merge(trace_posts).SerializeToString())
    summary["otlp_posts"] = [post_headers(c) for c in sink.requests]
    path.with_suffix(".summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return path


def post_headers(captured: Captured) -> dict[str, str]:
    """What the sink saw of one POST, besides its body."""
    return {
        "path": captured.path,
        "content_type": captured.content_type,
        "authorization": captured.authorization,
    }


def recorder_available() -> bool:
    """Tell whether sessionscope.mcp (the recorder, written separately) exists yet."""
    return importlib.util.find_spec("sessionscope.mcp") is not None


def record_json(family: str = "v2-builtin", transport: str = "stdio") -> Path:
    """Record one scenario with the official OTLP/JSON exporter, one request per line."""
    sink = start_sink()
    try:
        run_scenario(family, transport, scenario_env(sink, protocol="http/json"))
    finally:
        sink.close()
    lines = [c.body.decode() for c in sink.requests if c.path.endswith("/v1/traces")]
    if not lines or not all("json" in c.content_type for c in sink.requests):
        raise RuntimeError(f"expected JSON posts, got {[c.content_type for c in sink.requests]}")
    path = FIXTURE_DIR / f"{family}-{transport}.json"
    path.write_text("".join(line.strip() + "\n" for line in lines))
    return path


def main() -> None:
    """Record the requested families x transports (all by default)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--family", action="append", choices=FAMILIES)
    parser.add_argument("--transport", action="append", choices=TRANSPORTS)
    parser.add_argument("--json", action="store_true", help="also record the OTLP/JSON capture")
    parser.add_argument("--legacy", action="store_true", help="also v2 with mode='legacy'")
    args = parser.parse_args()
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    for family in args.family or FAMILIES:
        if family == "v2-recorder" and not recorder_available():
            print("skipped v2-recorder: sessionscope/mcp.py does not exist yet")
            continue
        for transport in args.transport or TRANSPORTS:
            print(record(family, transport))
            if args.legacy and family.startswith("v2-"):
                print(record(family, transport, mode="legacy", suffix="-legacy"))
    if args.json:
        print(record_json())


if __name__ == "__main__":
    main()
