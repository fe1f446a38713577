"""Scenario MCP server on mcp 2.x, traced by the SDK's own spans or the Sessionscope recorder."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

import docs_content
import otel_env
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError

SCENARIO_USER = "user-42"


def build_server() -> MCPServer:
    """Return the Docs MCP server with its tools, resources and prompt."""
    server = MCPServer(docs_content.SERVER_NAME, version=docs_content.SERVER_VERSION)

    @server.tool()
    def search_docs(query: str) -> dict[str, Any]:
        """Search the documentation; returns structured hits."""
        return docs_content.search(query)

    @server.tool()
    def get_page(page_id: int) -> str:
        """Return one documentation page as markdown."""
        try:
            return docs_content.page_text(page_id)
        except KeyError:
            raise ToolError(f"No page {page_id}") from None

    @server.tool()
    def fail(reason: str) -> str:
        """Always fail, so the caller sees a tool error."""
        raise ToolError(f"Failed on purpose: {reason}")

    @server.resource("docs://index", mime_type="text/markdown")
    def index() -> str:
        """The table of contents."""
        return docs_content.index_text()

    @server.resource("docs://pages/{page_id}", mime_type="text/markdown")
    def page(page_id: str) -> str:
        """One page by id."""
        try:
            return docs_content.page_text(int(page_id))
        except (KeyError, ValueError):
            raise ResourceNotFoundError(f"No page {page_id}") from None

    @server.prompt()
    def summarize_page(page_id: str) -> str:
        """Ask the model to summarize one page."""
        return f"Summarize this page in one sentence:\n\n{docs_content.page_text(int(page_id))}"

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
