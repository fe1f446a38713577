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
            raise ResourceError(f"No page {page_id}") from None

    @server.prompt()
    def summarize_page(page_id: str) -> str:
        """Ask the model to summarize one page."""
        return f"Summarize this page in one sentence:\n\n{docs_content.page_text(int(page_id))}"

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
