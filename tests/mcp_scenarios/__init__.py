"""Real MCP traffic from the official SDKs, recorded as OTLP, for ingest tests."""
