"""Scenario MCP server on mcp 2.x, traced by the SDK's own spans or the Sessionscope recorder."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

import docs_content
import otel_env
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError

SCENARIO_USER = "user-42"


def build_server() -> MCPServer:
    """Return the Docs MCP server with its tools, resources and prompt."""
    server = MCPServer(docs_content.SERVER_NAME, version=docs_content.SERVER_VERSION)

    docs_content.register(server, ToolError, ResourceNotFoundError)
    return server


def start_telemetry(mode: str, server: MCPServer) -> Callable[[], None]:
    """Start the chosen telemetry and return the function that flushes it on exit."""
    if mode == "builtin":
        return otel_env.start_tracing().shutdown
    from sessionscope.mcp import instrument  # the recorder under test; only this branch needs it

    otel_env.exit_on_sigterm()
    handle = instrument(
        server,
        endpoint=os.environ["SESSIONSCOPE_ENDPOINT"],
        token=os.environ["SESSIONSCOPE_TOKEN"],
        identify=lambda ctx: SCENARIO_USER,
    )
    return handle.shutdown


def parse_args() -> argparse.Namespace:
    """Read --transport, --port and --telemetry."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--telemetry", choices=["builtin", "recorder"], default="builtin")
    return parser.parse_args()


def main() -> None:
    """Serve until stdin closes (stdio) or SIGTERM arrives (http), then flush telemetry."""
    args = parse_args()
    server = build_server()
    shutdown = start_telemetry(args.telemetry, server)
    try:
        if args.transport == "stdio":
            server.run("stdio")
        else:
            server.run("streamable-http", host="127.0.0.1", port=args.port)
    finally:
        shutdown()


if __name__ == "__main__":
    main()
