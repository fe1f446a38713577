"""The MCP recorder end to end: a real server and client, the real OTLP exporter, a local sink."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, Implementation
from mcp.client._memory import InMemoryTransport
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from sessionscope.mcp import INSTALL_HINT, RequestInfo, instrument, traces_url
from tests.support import run_async

# ping is deprecated on the 2026-07-28 protocol; these tests send it on the handshake one.
pytestmark = pytest.mark.filterwarnings("ignore:ping is removed")

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "ssi_test_token"
CLIENT = Implementation(name="pytest-client", version="1.2.3")
SCENARIO_TIMEOUT_S = 5
SUBPROCESS_TIMEOUT_S = 30
SERVER_KIND = 2  # opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER
STATUS_ERROR = 2  # opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Span:
    name: str
    kind: int
    attributes: dict[str, Any]
    status_code: int
    status_message: str
    trace_id: str
    span_id: str
    parent_span_id: str
    start_ns: int
    resource: dict[str, Any]
    scope: str

    def payload(self, name: str) -> Any:
        return json.loads(self.attributes[name])


class OtlpSink:
    """A local OTLP/HTTP endpoint that keeps every export it is sent, bytes and all."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {name.lower(): value for name, value in self.headers.items()}
                sink.posts.append(Post(self.path, headers, body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll interval: close() waits one interval for serve_forever to notice.
        serve = partial(self._server.serve_forever, poll_interval=0.02)
        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def spans(self) -> list[Span]:
        """Every span received, in start order."""
        spans = [span for post in self.posts for span in decode(post.body)]
        return sorted(spans, key=lambda span: span.start_ns)

    def sent_bytes(self) -> bytes:
        return b"".join(post.body for post in self.posts)


def decode(body: bytes) -> list[Span]:
    request = ExportTraceServiceRequest.FromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        resource = _values(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    Span(
                        name=span.name,
                        kind=span.kind,
                        attributes=_values(span.attributes),
                        status_code=span.status.code,
                        status_message=span.status.message,
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                        start_ns=span.start_time_unix_nano,
                        resource=resource,
                        scope=scope_spans.scope.name,
                    )
                )
    return spans


def _values(key_values: Any) -> dict[str, Any]:
    return {kv.key: getattr(kv.value, kv.value.WhichOneof("value")) for kv in key_values}


@pytest.fixture
def sink() -> Iterator[OtlpSink]:
    sink = OtlpSink()
    yield sink
    sink.close()


def make_server() -> MCPServer:
    """A small docs server with a tool for every outcome."""
    server = MCPServer("docs-server", version="0.3.0")

    @server.tool()
    def search_docs(query: str, limit: int = 3) -> str:
        return f"found {limit} docs for {query}"

    @server.tool()
    def fail(reason: str) -> str:
        raise ValueError(reason)

    @server.tool()
    def refuse() -> str:
        raise MCPError(code=-32042, message="not allowed here")

    @server.tool()
    def big(size: int) -> str:
        return "x" * size

    @server.tool()
    def login(email: str, password: str) -> str:
        return f"welcome {email}"

    @server.resource("docs://readme")
    def readme() -> str:
        return "read me first"

    @server.prompt()
    def summarize(topic: str) -> str:
        return f"Summarize {topic}"

    return server


def connect(server: Any, **options: Any) -> Client:
    """A client on the handshake protocol (one connection, one session), as most hosts use."""
    return Client(server, mode="legacy", client_info=CLIENT, **options)


def record(
    sink: OtlpSink,
    scenario: Callable[[MCPServer], Awaitable[None]],
    **options: Any,
) -> list[Span]:
    """Instrument a fresh server, run the scenario against it, flush, return the spans sent."""
    server = make_server()
    recorder = instrument(server, endpoint=sink.url, token=TOKEN, **options)
    try:
        run(lambda: scenario(server))
    finally:
        recorder.shutdown()
    return sink.spans()


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        with anyio.fail_after(SCENARIO_TIMEOUT_S):
            await scenario()

    run_async(bounded)


def named(spans: list[Span], name: str) -> Span:
    [span] = [span for span in spans if span.name == name]
    return span


async def one_search(server: MCPServer) -> None:
    async with connect(server) as client:
        await client.call_tool("search_docs", {"query": "otel", "limit": 2})


async def every_method(server: MCPServer) -> None:
    async with connect(server) as client:
        await client.list_tools()
        await client.call_tool("search_docs", {"query": "otel"})
        await client.read_resource("docs://readme")
        await client.get_prompt("summarize", {"topic": "spans"})
        await client.send_ping()


def test_a_tool_call_is_a_server_span_with_the_semantic_attributes(sink: OtlpSink) -> None:
    span = named(record(sink, one_search), "tools/call search_docs")

    assert span.kind == SERVER_KIND
    assert span.scope == "sessionscope.mcp"
    assert span.attributes["mcp.method.name"] == "tools/call"
    assert span.attributes["gen_ai.operation.name"] == "execute_tool"
    assert span.attributes["gen_ai.tool.name"] == "search_docs"
    assert span.attributes["jsonrpc.request.id"]
    assert span.attributes["mcp.protocol.version"]
    assert span.payload("gen_ai.tool.call.arguments") == {"query": "otel", "limit": 2}
    result = span.payload("gen_ai.tool.call.result")
    assert result["content"][0]["text"] == "found 2 docs for otel"
    assert result["isError"] is False
    assert "error.type" not in span.attributes
    assert "sessionscope.payload.truncated" not in span.attributes


def test_spans_go_to_v1_traces_with_the_token_and_a_service_resource(sink: OtlpSink) -> None:
    span = named(record(sink, one_search), "tools/call search_docs")

    assert {post.path for post in sink.posts} == {"/v1/traces"}
    assert {post.headers["authorization"] for post in sink.posts} == {f"Bearer {TOKEN}"}
    assert span.resource["service.name"] == "docs-server"
    assert span.resource["service.version"] == "0.3.0"
    assert span.resource["service.instance.id"]
    assert span.resource["telemetry.sdk.language"] == "python"


def test_service_name_can_be_given(sink: OtlpSink) -> None:
    span = named(record(sink, one_search, service_name="docs-prod"), "tools/call search_docs")

    assert span.resource["service.name"] == "docs-prod"


def test_every_request_is_exactly_one_span_but_ping(sink: OtlpSink) -> None:
    spans = record(sink, every_method)

    assert [span.name for span in spans] == [
        "initialize",
        "tools/list",
        "tools/call search_docs",
        "resources/read",
        "prompts/get summarize",
    ]
    assert {span.kind for span in spans} == {SERVER_KIND}
    assert len({span.span_id for span in spans}) == len(spans)


def test_other_methods_record_their_params_and_results(sink: OtlpSink) -> None:
    spans = record(sink, every_method)

    initialize = named(spans, "initialize")
    assert initialize.payload("sessionscope.request.params")["clientInfo"]["name"] == CLIENT.name
    assert initialize.payload("sessionscope.response.result")["serverInfo"]["name"] == "docs-server"
    resource = named(spans, "resources/read")
    assert resource.attributes["mcp.resource.uri"] == "docs://readme"
    assert resource.payload("sessionscope.response.result")["contents"][0]["text"] == (
        "read me first"
    )
    prompt = named(spans, "prompts/get summarize")
    assert prompt.attributes["gen_ai.prompt.name"] == "summarize"
    assert prompt.payload("sessionscope.request.params")["arguments"] == {"topic": "spans"}
    tools = named(spans, "tools/list")
    assert "sessionscope.request.params" not in tools.attributes  # no params, no attribute
    assert "search_docs" in tools.attributes["sessionscope.response.result"]


def test_client_name_and_version_are_on_every_span_of_the_session(sink: OtlpSink) -> None:
    spans = record(sink, every_method)

    assert {span.attributes["mcp.client.name"] for span in spans} == {CLIENT.name}
    assert {span.attributes["mcp.client.version"] for span in spans} == {CLIENT.version}


def test_a_connection_is_one_session_with_its_own_id(sink: OtlpSink) -> None:
    async def two_connections(server: MCPServer) -> None:
        await every_method(server)
        await one_search(server)

    spans = record(sink, two_connections)

    first, second = spans[:5], spans[5:]
    first_ids = {span.attributes["mcp.session.id"] for span in first}
    second_ids = {span.attributes["mcp.session.id"] for span in second}
    assert len(first_ids) == len(second_ids) == 1
    assert first_ids != second_ids
    assert all(len(session_id) == 32 for session_id in first_ids | second_ids)


def test_the_2026_protocol_over_a_pipe_is_one_session(sink: OtlpSink) -> None:
    async def modern_pipe(server: MCPServer) -> None:
        transport = InMemoryTransport(server)  # the stream pair, not the in-process shortcut
        async with Client(transport, mode="2026-07-28", client_info=CLIENT) as client:
            await client.call_tool("search_docs", {"query": "a"})
            await client.call_tool("search_docs", {"query": "b"})

    spans = record(sink, modern_pipe)  # the client lists the tools too, to check the results

    assert [span.name for span in spans].count("tools/call search_docs") == 2
    assert len({span.attributes["mcp.session.id"] for span in spans}) == 1
    assert {span.attributes["mcp.protocol.version"] for span in spans} == {"2026-07-28"}
    assert {span.attributes["mcp.client.name"] for span in spans} == {CLIENT.name}


def test_requests_without_a_connection_carry_no_session_id(sink: OtlpSink) -> None:
    async def in_process_2026(server: MCPServer) -> None:
        async with Client(server, client_info=CLIENT) as client:
            await client.call_tool("search_docs", {"query": "a"})

    span = named(record(sink, in_process_2026), "tools/call search_docs")

    assert "mcp.session.id" not in span.attributes
    assert span.attributes["mcp.client.name"] == CLIENT.name


def test_user_id_comes_from_identify(sink: OtlpSink) -> None:
    seen = []

    def identify(request: RequestInfo) -> str | None:
        seen.append(request)
        return request.meta.get("user")

    async def as_alice(server: MCPServer) -> None:
        async with connect(server) as client:
            await client.call_tool("search_docs", {"query": "a"}, meta={"user": "alice"})

    spans = record(sink, as_alice, identify=identify)

    assert named(spans, "tools/call search_docs").attributes["user.id"] == "alice"
    assert "user.id" not in named(spans, "initialize").attributes
    [call] = [request for request in seen if request.method == "tools/call"]
    assert (call.method, call.target) == ("tools/call", "search_docs")
    assert call.client_name == CLIENT.name
    assert call.session_id == named(spans, "initialize").attributes["mcp.session.id"]
    assert call.headers == {}  # no HTTP in memory


def test_identify_may_be_async(sink: OtlpSink) -> None:
    async def identify(request: RequestInfo) -> str:
        await anyio.sleep(0)
        return "bob"

    span = named(record(sink, one_search, identify=identify), "tools/call search_docs")

    assert span.attributes["user.id"] == "bob"


def test_identify_raising_does_not_break_the_call(
    sink: OtlpSink, caplog: pytest.LogCaptureFixture
) -> None:
    results = []

    def identify(request: RequestInfo) -> str:
        raise RuntimeError("user directory down")

    async def search(server: MCPServer) -> None:
        async with connect(server) as client:
            results.append(await client.call_tool("search_docs", {"query": "a"}))

    spans = record(sink, search, identify=identify)

    assert results[0].content[0].text == "found 3 docs for a"
    span = named(spans, "tools/call search_docs")
    assert "user.id" not in span.attributes
    assert span.payload("gen_ai.tool.call.arguments") == {"query": "a"}
    assert "identify() raised" in caplog.text


async def log_in(server: MCPServer) -> None:
    async with connect(server) as client:
        result = await client.call_tool("login", {"email": "a@x.io", "password": "hunter2"})
        assert result.content[0].text == "welcome a@x.io"


def test_redact_masks_a_field_before_anything_leaves_the_process(sink: OtlpSink) -> None:
    def redact(payload: dict[str, Any]) -> dict[str, Any]:
        if payload["method"] == "tools/call" and "password" in payload["arguments"]:
            payload["arguments"]["password"] = "***"
        return payload

    span = named(record(sink, log_in, redact=redact), "tools/call login")

    assert span.payload("gen_ai.tool.call.arguments") == {"email": "a@x.io", "password": "***"}
    assert b"hunter2" not in sink.sent_bytes()


def test_redact_returning_none_drops_the_payloads(sink: OtlpSink) -> None:
    span = named(record(sink, log_in, redact=lambda payload: None), "tools/call login")

    assert "gen_ai.tool.call.arguments" not in span.attributes
    assert "gen_ai.tool.call.result" not in span.attributes
    assert span.attributes["gen_ai.tool.name"] == "login"
    assert b"hunter2" not in sink.sent_bytes()


def test_redact_raising_drops_the_payloads_and_not_the_call(
    sink: OtlpSink, caplog: pytest.LogCaptureFixture
) -> None:
    def redact(payload: dict[str, Any]) -> dict[str, Any]:
        raise KeyError("oops")

    span = named(record(sink, log_in, redact=redact), "tools/call login")

    assert "gen_ai.tool.call.arguments" not in span.attributes
    assert b"hunter2" not in sink.sent_bytes()
    assert "redact() raised" in caplog.text


def test_redact_cannot_change_what_the_client_receives(sink: OtlpSink) -> None:
    def vandalize(payload: dict[str, Any]) -> dict[str, Any]:
        if payload["result"] and "content" in payload["result"]:
            payload["result"]["content"][0]["text"] = "redacted"
        return payload

    span = named(record(sink, log_in, redact=vandalize), "tools/call login")  # log_in asserts

    assert span.payload("gen_ai.tool.call.result")["content"][0]["text"] == "redacted"


def test_a_large_payload_is_cut_with_a_marker(sink: OtlpSink) -> None:
    async def big(server: MCPServer) -> None:
        async with connect(server) as client:
            result = await client.call_tool("big", {"size": 5000})
            assert len(result.content[0].text) == 5000  # the client still gets it all

    span = named(record(sink, big, max_payload_bytes=300), "tools/call big")

    text = span.attributes["gen_ai.tool.call.result"]
    assert len(text.encode()) <= 300
    assert text.endswith("bytes]")
    assert "truncated by sessionscope" in text
    assert span.attributes["sessionscope.payload.truncated"] is True
    assert span.payload("gen_ai.tool.call.arguments") == {"size": 5000}


def test_a_tool_error_is_an_error_span_with_its_message(sink: OtlpSink) -> None:
    async def fail(server: MCPServer) -> None:
        async with connect(server) as client:
            result = await client.call_tool("fail", {"reason": "disk full"})
            assert result.is_error

    span = named(record(sink, fail), "tools/call fail")

    assert span.attributes["error.type"] == "tool_error"
    assert span.status_code == STATUS_ERROR
    assert span.status_message == span.payload("gen_ai.tool.call.result")["content"][0]["text"]
    assert span.payload("gen_ai.tool.call.result")["isError"] is True


def test_a_json_rpc_error_is_an_error_span_with_its_code(sink: OtlpSink) -> None:
    async def refused(server: MCPServer) -> None:
        async with connect(server) as client:
            with pytest.raises(MCPError):
                await client.call_tool("refuse", {})
            with pytest.raises(MCPError):
                await client.read_resource("docs://missing")

    spans = record(sink, refused)

    refuse = named(spans, "tools/call refuse")
    assert refuse.attributes["error.type"] == "-32042"
    assert refuse.attributes["rpc.response.status_code"] == "-32042"
    assert (refuse.status_code, refuse.status_message) == (STATUS_ERROR, "not allowed here")
    assert "gen_ai.tool.call.result" not in refuse.attributes
    missing = named(spans, "resources/read")
    assert missing.attributes["error.type"] == "-32602"
    assert missing.status_code == STATUS_ERROR


def test_a_callers_trace_context_is_the_spans_parent(sink: OtlpSink) -> None:
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"

    async def traced(server: MCPServer) -> None:
        async with connect(server) as client:
            meta = {"traceparent": f"00-{trace_id}-{parent_id}-00"}  # even when not sampled
            await client.call_tool("search_docs", {"query": "a"}, meta=meta)

    span = named(record(sink, traced), "tools/call search_docs")

    assert (span.trace_id, span.parent_span_id) == (trace_id, parent_id)


@contextmanager
def serve_http(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free local port for the duration of the block."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + SCENARIO_TIMEOUT_S
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(SCENARIO_TIMEOUT_S)


def test_over_streamable_http_the_session_is_the_mcp_session_id(sink: OtlpSink) -> None:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    server = make_server()
    recorder = instrument(
        server,
        endpoint=sink.url + "/v1/traces/",
        token=TOKEN,
        identify=lambda request: request.headers.get("x-user-email"),
    )
    issued = set()

    async def keep_session_id(response: Any) -> None:
        if "mcp-session-id" in response.headers:
            issued.add(response.headers["mcp-session-id"])

    async def over_http(url: str) -> None:
        hooks = {"response": [keep_session_id]}
        headers = {"x-user-email": "carol@example.com"}
        async with httpx2.AsyncClient(headers=headers, event_hooks=hooks) as http:
            transport = streamable_http_client(f"{url}/mcp", http_client=http)
            async with connect(transport) as client:
                await client.call_tool("search_docs", {"query": "a"})

    try:
        with serve_http(server.streamable_http_app()) as url:
            run(lambda: over_http(url))
    finally:
        recorder.shutdown()
    spans = sink.spans()

    assert [span.name for span in spans] == ["initialize", "tools/call search_docs", "tools/list"]
    assert len(issued) == 1
    assert {span.attributes["mcp.session.id"] for span in spans} == issued
    assert {span.attributes["user.id"] for span in spans} == {"carol@example.com"}


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("http://localhost:8501", "http://localhost:8501/v1/traces"),
        ("http://localhost:8501/", "http://localhost:8501/v1/traces"),
        ("https://ss.example/base", "https://ss.example/base/v1/traces"),
        ("http://localhost:8501/v1/traces", "http://localhost:8501/v1/traces"),
        ("http://localhost:8501/v1/traces/", "http://localhost:8501/v1/traces"),
    ],
)
def test_the_exporter_posts_to_v1_traces_under_the_endpoint(endpoint: str, url: str) -> None:
    assert traces_url(endpoint) == url


def test_a_server_is_instrumented_once(sink: OtlpSink) -> None:
    server = make_server()
    recorder = instrument(server, endpoint=sink.url, token=TOKEN)
    try:
        with pytest.raises(RuntimeError, match="already instrumented"):
            instrument(server, endpoint=sink.url, token=TOKEN)
    finally:
        recorder.shutdown()


@pytest.mark.parametrize("server", [object(), "docs-server"])
def test_anything_but_an_sdk_server_is_refused(server: Any) -> None:
    with pytest.raises(TypeError, match="official Python SDK"):
        instrument(server, endpoint="http://localhost:8501", token=TOKEN)


def test_a_missing_extra_names_the_pip_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter", None)

    with pytest.raises(ImportError) as raised:
        instrument(make_server(), endpoint="http://localhost:8501", token=TOKEN)

    assert INSTALL_HINT in str(raised.value)


def run_python(python: Path | str, program: str, *args: str) -> str:
    """Run a program in a fresh interpreter with the repo importable; return its stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [str(python), "-c", program, *args],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_importing_the_module_loads_neither_mcp_nor_opentelemetry() -> None:
    program = (
        "import sys, sessionscope.mcp\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mcp', 'opentelemetry')))"
    )

    assert run_python(sys.executable, program).strip() == "[]"


HOST_TRACING = """
import json, sys
import anyio
from mcp import Client, Implementation
from mcp.server.mcpserver import MCPServer
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sessionscope.mcp import instrument

host = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(host))
trace.set_tracer_provider(provider)
server = MCPServer("docs-server")

@server.tool()
def search_docs(query: str) -> str:
    return query

recorder = instrument(server, endpoint=sys.argv[1], token="t")

async def main():
    with anyio.fail_after(5):
        async with Client(server, mode="legacy") as client:
            await client.call_tool("search_docs", {"query": "a"})

anyio.run(main)
recorder.shutdown()
print(json.dumps([
    [s.name, s.instrumentation_scope.name, format(s.context.span_id, "016x")]
    for s in host.get_finished_spans()
    if s.kind == trace.SpanKind.SERVER and not s.name.startswith("notifications/")
]))
"""


def test_with_host_tracing_the_sdk_span_stays_with_the_host_and_ours_is_its_child(
    sink: OtlpSink,
) -> None:
    host_spans = json.loads(run_python(sys.executable, HOST_TRACING, sink.url))
    ours = sink.spans()

    # The client asks tools/list after the call, to check the result against the tool's schema.
    requests = ["initialize", "tools/call search_docs", "tools/list"]
    assert [name for name, _, _ in host_spans] == requests
    assert {scope for _, scope, _ in host_spans} == {"mcp-python-sdk"}
    assert [span.name for span in ours] == requests
    assert [span.parent_span_id for span in ours] == [span_id for _, _, span_id in host_spans]


MCP1_SCENARIO = """
import sys
import anyio
from mcp.server.fastmcp import FastMCP
from mcp.shared.memory import create_connected_server_and_client_session
from mcp.types import Implementation
from sessionscope.mcp import instrument

server = FastMCP("docs-v1")

@server.tool()
def search_docs(query: str) -> str:
    return "found " + query

@server.tool()
def fail(reason: str) -> str:
    raise ValueError(reason)

@server.tool()
def login(email: str, password: str) -> str:
    return "welcome " + email

@server.resource("docs://readme")
def readme() -> str:
    return "read me first"

@server.prompt()
def summarize(topic: str) -> str:
    return "Summarize " + topic

def mask(payload):
    if "password" in (payload["arguments"] or {}):
        payload["arguments"]["password"] = "***"
    return payload

recorder = instrument(
    server,
    endpoint=sys.argv[1],
    token="t",
    identify=lambda request: "user-of-" + str(request.client_name),
    redact=mask,
)

async def main():
    client_info = Implementation(name="v1-client", version="0.9")
    with anyio.fail_after(5):
        async with create_connected_server_and_client_session(
            server, client_info=client_info
        ) as client:
            await client.list_tools()
            await client.call_tool("search_docs", {"query": "otel"})
            await client.call_tool("fail", {"reason": "disk full"})
            await client.call_tool("login", {"email": "a@x.io", "password": "hunter2"})
            await client.read_resource("docs://readme")
            await client.get_prompt("summarize", {"topic": "spans"})
            await client.send_ping()

anyio.run(main)
recorder.shutdown()
"""


def test_mcp1_fastmcp_is_recorded_the_same_way(sink: OtlpSink) -> None:
    from tests.mcp_scenarios.sidevenv import ensure_mcp1_venv

    run_python(ensure_mcp1_venv(), MCP1_SCENARIO, sink.url)
    spans = sink.spans()

    assert [span.name for span in spans] == [
        "initialize",
        "tools/list",
        "tools/call search_docs",
        "tools/call fail",
        "tools/call login",
        "resources/read",
        "prompts/get summarize",
    ]
    assert len({span.attributes["mcp.session.id"] for span in spans}) == 1
    assert {span.attributes["mcp.client.name"] for span in spans} == {"v1-client"}
    assert {span.attributes["user.id"] for span in spans} == {"user-of-v1-client"}
    assert named(spans, "tools/call search_docs").payload("gen_ai.tool.call.result")["content"][0][
        "text"
    ] == ("found otel")
    assert named(spans, "tools/call fail").attributes["error.type"] == "tool_error"
    assert b"hunter2" not in sink.sent_bytes()
    assert {span.resource["service.name"] for span in spans} == {"docs-v1"}
