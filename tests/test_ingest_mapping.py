"""The span mapping, family by family, on traces recorded from the real SDKs (tests/data/otlp)."""

from __future__ import annotations

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from sessionscope.ingest.mapping import map_spans
from sessionscope.ingest.spans import spans_of
from tests.otlp_traces import recorded

TOOLS = ["search_docs", "get_page", "get_page", "fail", "no_such_tool"]
CLIENT = "scenario-client"
V2_METHODS = ["tools/list", *["tools/call"] * 5, "resources/read", "resources/read", "prompts/get"]


# file, methods in time order, does the family record payloads, client name, server name
FAMILIES = [
    ("v2-builtin-stdio.binpb", ["server/discover", *V2_METHODS], False, None, "docs-mcp"),
    ("v2-builtin-http.binpb", ["server/discover", *V2_METHODS], False, None, "docs-mcp"),
    (
        "v2-builtin-stdio-legacy.binpb",
        ["initialize", "notifications/initialized", *V2_METHODS],
        False,
        None,
        "docs-mcp",
    ),
    ("v2-recorder-stdio.binpb", ["server/discover", *V2_METHODS], True, CLIENT, "Docs MCP"),
    ("v2-recorder-http.binpb", ["server/discover", *V2_METHODS], True, CLIENT, "Docs MCP"),
    ("v2-recorder-http-legacy.binpb", ["initialize", *V2_METHODS], True, CLIENT, "Docs MCP"),
    ("v1-openllmetry-stdio.binpb", ["initialize", *V2_METHODS], True, CLIENT, "Docs MCP"),
    ("v1-openllmetry-http.binpb", ["initialize", *V2_METHODS], True, CLIENT, "Docs MCP"),
]


@pytest.mark.parametrize(("name", "methods", "payloads", "client", "server"), FAMILIES)
def test_each_request_is_one_call_in_one_session(
    name: str, methods: list[str], payloads: bool, client: str | None, server: str
) -> None:
    batch = map_spans("org_a", spans_of(recorded(name)))
    calls = sorted(batch.calls, key=lambda c: c.started_at)
    assert [c.method for c in calls] == methods
    assert [c.tool_name for c in calls if c.method == "tools/call"] == TOOLS
    assert len({c.session_key for c in calls}) == 1
    assert batch.rejected == 0
    assert {c.client_name for c in calls} - {None} == ({client} if client else set())
    assert server in {c.server_name for c in calls}


@pytest.mark.parametrize(("name", "methods", "payloads", "client", "server"), FAMILIES)
def test_tool_errors_and_json_rpc_errors_are_errors(
    name: str, methods: list[str], payloads: bool, client: str | None, server: str
) -> None:
    calls = sorted(map_spans("org_a", spans_of(recorded(name))).calls, key=lambda c: c.started_at)
    failed = [
        (c.method, c.tool_name if c.method == "tools/call" else "") for c in calls if c.is_error
    ]
    assert failed == [
        ("tools/call", "fail"),
        ("tools/call", "no_such_tool"),
        ("resources/read", ""),
    ]
    assert all(c.error_message for c in calls if c.is_error)


@pytest.mark.parametrize(("name", "methods", "payloads", "client", "server"), FAMILIES)
def test_payloads_come_from_the_family_that_records_them(
    name: str, methods: list[str], payloads: bool, client: str | None, server: str
) -> None:
    calls = [c for c in map_spans("org_a", spans_of(recorded(name))).calls]
    search = next(c for c in calls if c.tool_name == "search_docs")
    if payloads:
        assert search.input == {"query": "install server"}
        assert "install server" in str(search.output)
    else:  # the SDK's own spans carry neither (the recorder adds them)
        assert search.input is None and search.output is None


def test_client_and_server_spans_of_a_request_merge_with_server_timing() -> None:
    spans = list(spans_of(recorded("v2-builtin-stdio.binpb")))
    batch = map_spans("org_a", spans)
    call = next(c for c in batch.calls if c.tool_name == "search_docs")
    assert call.sides == {"client", "server"}
    server = next(s for s in spans if s.kind == "server" and s.name == "tools/call search_docs")
    assert call.started_at.timestamp() == pytest.approx(server.start_ns / 1e9, abs=1e-3)
    assert call.request_id is not None


def test_the_session_is_the_server_process_for_the_sdk_and_the_client_for_openllmetry() -> None:
    v2 = list(spans_of(recorded("v2-builtin-stdio.binpb")))
    server_instance = next(s for s in v2 if s.kind == "server").resource["service.instance.id"]
    assert map_spans("o", v2).calls[0].session_key == f"proc:{server_instance}"
    v1 = list(spans_of(recorded("v1-openllmetry-stdio.binpb")))
    root = next(s for s in v1 if s.name == "initialize.mcp").resource["service.instance.id"]
    assert map_spans("o", v1).calls[0].session_key == f"proc:{root}"


def test_call_ids_depend_on_the_organization_and_repeat_for_the_same_spans() -> None:
    spans = list(spans_of(recorded("v2-builtin-stdio.binpb")))
    first, again = map_spans("org_a", spans), map_spans("org_a", spans)
    other = map_spans("org_b", spans)
    assert {c.id for c in first.calls} == {c.id for c in again.calls}
    assert not {c.id for c in first.calls} & {c.id for c in other.calls}


def test_the_recorder_names_the_user_the_session_and_the_resource() -> None:
    calls = map_spans("o", spans_of(recorded("v2-recorder-http-legacy.binpb"))).calls
    assert {c.end_user for c in calls} == {"user-42"}
    assert len({c.session_key for c in calls}) == 1
    assert calls[0].session_key.startswith("sid:")
    assert {c.tool_name for c in calls if c.method == "resources/read"} == {
        "docs://index",
        "docs://pages/999",
    }


def openinference_request() -> ExportTraceServiceRequest:
    """Spans from OpenInference's own tracer: two `@tracer.tool` functions (one raising) run
    inside `using_session` and `using_user`, encoded by the OTLP exporter's encoder."""
    from openinference.instrumentation import TracerProvider, using_session, using_user
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "agent"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("agent")

    @tracer.tool(name="search_docs")
    def search_docs(query: str) -> dict:
        return {"hits": [query]}

    @tracer.tool(name="fail")
    def fail(reason: str) -> None:
        raise RuntimeError(reason)

    with using_session("conv-7"), using_user("ann@corp.example"):
        search_docs("refund policy")
        with pytest.raises(RuntimeError):
            fail("disk full")
    return encode_spans(exporter.get_finished_spans())


def test_openinference_tool_spans_are_calls_of_their_session_and_user() -> None:
    calls = sorted(
        map_spans("o", spans_of(openinference_request())).calls, key=lambda c: c.started_at
    )
    assert [(c.method, c.tool_name, c.is_error) for c in calls] == [
        ("tools/call", "search_docs", False),
        ("tools/call", "fail", True),
    ]
    assert {c.session_key for c in calls} == {"sid:conv-7"}
    assert {c.end_user for c in calls} == {"ann@corp.example"}
    assert calls[0].input == {"query": "refund policy"}
    assert calls[0].output == {"hits": ["refund policy"]}
    assert "disk full" in (calls[1].error_message or "")
