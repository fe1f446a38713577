"""Trace a scenario process to OTLP/HTTP, configured only by the standard OTEL_* variables."""

from __future__ import annotations

import os
import signal
from types import FrameType

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

# Plain module (no package imports): the mcp 1.x scripts import it from the side venv too.


def make_exporter() -> SpanExporter:
    """Return the OTLP/HTTP exporter that OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL names."""
    protocol = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or os.environ.get(
        "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"
    )
    # Imported on demand: the JSON exporter is only in the project venv, not the mcp 1.x one.
    if protocol == "http/json":
        from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    return OTLPSpanExporter()


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM into SystemExit so `finally` blocks end spans and flush the provider."""
    raise SystemExit(128 + signum)


def exit_on_sigterm() -> None:
    """Make SIGTERM unwind the process instead of killing it, so telemetry is flushed."""
    signal.signal(signal.SIGTERM, _exit_on_sigterm)


def start_tracing() -> TracerProvider:
    """Install a global TracerProvider that batches spans to the env-configured exporter."""
    # Resource.create() inside TracerProvider() reads OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES.
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(make_exporter()))
    trace.set_tracer_provider(provider)
    exit_on_sigterm()
    return provider
