"""Real MCP scenarios export the spans the recorded fixtures show, over stdio and HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tests.mcp_scenarios import sidevenv
from tests.mcp_scenarios.capture import (
    FIXTURE_DIR,
    Sink,
    merge,
    scenario_env,
    start_sink,
)
from tests.mcp_scenarios.run import FAMILIES, TRANSPORTS, run_scenario

FIXTURES = sorted(FIXTURE_DIR.glob("*.binpb"))


@pytest.fixture
def sink() -> Iterator[Sink]:
    """A fresh OTLP/HTTP sink on a free local port."""
    running = start_sink()
    yield running
    running.close()


def spans_of(request: ExportTraceServiceRequest) -> list[tuple[str, Span]]:
    """Every (service.name, span) in an export request."""
    out = []
    for rs in request.resource_spans:
        names = [kv.value.string_value for kv in rs.resource.attributes if kv.key == "service.name"]
        out += [(names[0], span) for ss in rs.scope_spans for span in ss.spans]
    return out


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_each_fixture_holds_client_and_server_spans(path: Path) -> None:
    request = ExportTraceServiceRequest.FromString(path.read_bytes())
    services = {service for service, _ in spans_of(request)}
    # The recorder names the service after the MCP server ("Docs MCP"), the SDKs use the env.
    assert services in ({"docs-mcp", "scenario-client"}, {"Docs MCP", "scenario-client"})


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("family", FAMILIES)
def test_scenario_reports_the_tool_error_and_exports_spans(
    family: str, transport: str, sink: Sink
) -> None:
    summary = run_scenario(family, transport, scenario_env(sink))
    by_tool = {(c["tool"], str(c["arguments"])): c for c in summary["calls"]}
    assert by_tool[("fail", "{'reason': 'disk full'}")]["is_error"] is True
    assert by_tool[("get_page", "{'page_id': 1}")]["is_error"] is False
    missing = summary["reads"][1]
    # OpenLLMetry's client wrapper turns the JSON-RPC error into a None result.
    assert missing.get("jsonrpc_error") == -32602 or missing.get("swallowed") is True
    assert spans_of(merge(sink.requests))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_v2_server_spans_are_children_of_the_client_spans(transport: str, sink: Sink) -> None:
    run_scenario("v2-builtin", transport, scenario_env(sink))
    spans = spans_of(merge(sink.requests))
    clients = {span.span_id: span for service, span in spans if service == "scenario-client"}
    for service, span in spans:
        if service == "docs-mcp" and span.name != "notifications/initialized":
            assert clients[span.parent_span_id].trace_id == span.trace_id


def test_side_venv_is_rebuilt_only_when_the_pins_change(tmp_path: Path) -> None:
    venv, pins = tmp_path / "venv", tmp_path / "pins.txt"
    pins.write_text("mcp==1.0\n")
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    (venv / sidevenv.STAMP_NAME).write_text(sidevenv.requirements_hash(pins))
    assert sidevenv.is_current(venv, pins)
    pins.write_text("mcp==1.1\n")
    assert not sidevenv.is_current(venv, pins)
