"""Print the spans of an OTLP .binpb fixture as a readable tree, for writing the README."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

SHORT = 4  # bytes of an id to print: enough to tell spans apart in one fixture


def value(v: AnyValue) -> Any:
    """Return the Python value inside an OTLP AnyValue."""
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: value(kv.value) for kv in v.kvlist_value.values}
    return getattr(v, kind) if kind else None


def attrs(items: Any) -> dict[str, Any]:
    """Return OTLP KeyValues as a dict."""
    return {kv.key: value(kv.value) for kv in items}


def short(raw: bytes) -> str:
    """Abbreviate a trace/span id."""
    return raw[:SHORT].hex() if raw else "-"


def span_line(span: Span, service: str) -> str:
    """One span as a line: service, kind, name, ids, status, attributes, events."""
    status = Status.StatusCode.Name(span.status.code).removeprefix("STATUS_CODE_")
    message = f" {span.status.message!r}" if span.status.message else ""
    events = [e.name for e in span.events]
    ms = (span.end_time_unix_nano - span.start_time_unix_nano) / 1e6
    return (
        f"[{service}] {Span.SpanKind.Name(span.kind).removeprefix('SPAN_KIND_')} "
        f"{span.name!r} trace={short(span.trace_id)} span={short(span.span_id)} "
        f"parent={short(span.parent_span_id)} status={status}{message} {ms:.1f}ms\n"
        f"    attrs={attrs(span.attributes)}"
        + (f"\n    events={events} {[attrs(e.attributes) for e in span.events]}" if events else "")
    )


def dump(path: Path) -> None:
    """Print resources, scopes and spans (start-time order) of one fixture."""
    request = ExportTraceServiceRequest.FromString(path.read_bytes())
    lines = []
    for rs in request.resource_spans:
        resource = attrs(rs.resource.attributes)
        print("resource:", resource)
        for ss in rs.scope_spans:
            print("  scope:", ss.scope.name, ss.scope.version, attrs(ss.scope.attributes))
            service = resource.get("service.name", "?")
            lines += [(s.start_time_unix_nano, span_line(s, service)) for s in ss.spans]
    for _, line in sorted(lines):
        print(line)


CONTENT_KEYS = (
    "traceloop.entity.input",
    "traceloop.entity.output",
    "mcp.response.value",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "sessionscope.request.params",
    "sessionscope.response.result",
)


def cell(key: str, val: Any) -> str:
    """One attribute for the markdown table: content attributes only as present/absent."""
    if key in CONTENT_KEYS:
        return f"`{key}`=(json)"
    return f"`{key}`={val!r}".replace("|", "\\|")


def table(path: Path) -> str:
    """Return a markdown table of every span (start-time order) with its parent's row."""
    request = ExportTraceServiceRequest.FromString(path.read_bytes())
    rows = []
    for rs in request.resource_spans:
        service = attrs(rs.resource.attributes).get("service.name", "?")
        rows += [(span, service) for ss in rs.scope_spans for span in ss.spans]
    rows.sort(key=lambda row: row[0].start_time_unix_nano)
    number = {span.span_id: i for i, (span, _) in enumerate(rows, 1)}
    out = ["| # | service | kind | name | parent | status | attributes |", "|---" * 7 + "|"]
    for i, (span, service) in enumerate(rows, 1):
        kind = Span.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_")
        parent = f"#{number[span.parent_span_id]}" if span.parent_span_id else "root"
        status = Status.StatusCode.Name(span.status.code).removeprefix("STATUS_CODE_")
        if span.status.message:
            status += f" {span.status.message!r}"
        cells = [cell(k, v) for k, v in attrs(span.attributes).items()]
        cells += [f"event `{e.name}`" for e in span.events]
        out.append(
            f"| {i} | {service} | {kind} | `{span.name}` | {parent} | {status} | "
            + ("<br>".join(cells) or "(none)")
            + " |"
        )
    return "\n".join(out)


if __name__ == "__main__":
    markdown = sys.argv[1:2] == ["--markdown"]
    for arg in sys.argv[1 + markdown :]:
        print(f"=== {arg}")
        if markdown:
            print(table(Path(arg)))
        else:
            dump(Path(arg))
