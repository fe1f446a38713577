"""Scenario MCP server on mcp 1.x FastMCP, traced by OpenLLMetry (run in the side venv)."""

from __future__ import annotations

import argparse
from typing import Any

import docs_content
import otel_env
from opentelemetry.instrumentation.mcp import McpInstrumentor


def build_server(port: int) -> Any:
    """Return the Docs MCP FastMCP server with its tools, resources and prompt."""
    # Imported only after McpInstrumentor().instrument(): FastMCP binds `stdio_server` at import,
    # and OpenLLMetry wraps that function in its module, so an earlier import escapes the wrap.
    from mcp.server.fastmcp import FastMCP
    from mcp.server.fastmcp.exceptions import ResourceError, ToolError

    server = FastMCP(docs_content.SERVER_NAME, host="127.0.0.1", port=port)

    docs_content.register(server, ToolError, ResourceError)
    return server


def parse_args() -> argparse.Namespace:
    """Read --transport and --port."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    parser.add_argument("--port", type=int, default=8000)
    return parser.parse_args()


def main() -> None:
    """Serve until stdin closes (stdio) or SIGTERM arrives (http), then flush the spans."""
    args = parse_args()
    provider = otel_env.start_tracing()
    McpInstrumentor().instrument(tracer_provider=provider)
    server = build_server(args.port)
    try:
        server.run("stdio" if args.transport == "stdio" else "streamable-http")
    finally:
        provider.shutdown()


if __name__ == "__main__":
    main()
