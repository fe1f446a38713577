"""OpenTelemetry ingest: OTLP requests in, sessions and tool calls out (decode, map, write)."""
