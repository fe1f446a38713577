"""The tiny documentation set both scenario servers (mcp 1.x and 2.x) serve."""

from __future__ import annotations

from typing import Any

# Plain module (no package imports): the mcp 1.x server imports it from the side venv too.
SERVER_NAME = "Docs MCP"
SERVER_VERSION = "0.4.2"
PAGES: dict[int, dict[str, str]] = {
    1: {"title": "Installing", "body": "Run `pip install docs-mcp` and start the server."},
    2: {"title": "Configuring", "body": "Set DOCS_ROOT to the folder that holds your pages."},
    3: {"title": "Searching", "body": "search_docs matches words in titles and bodies."},
}


def search(query: str) -> dict[str, Any]:
    """Return the pages whose title or body mentions any word of the query."""
    words = {w.lower() for w in query.split()}
    hits = [
        {"page_id": page_id, "title": page["title"]}
        for page_id, page in PAGES.items()
        if words & set((page["title"] + " " + page["body"]).lower().split())
    ]
    return {"query": query, "hits": hits, "total": len(hits)}


def page_text(page_id: int) -> str:
    """Return one page as markdown, or raise KeyError."""
    page = PAGES[page_id]
    return f"# {page['title']}\n\n{page['body']}"


def index_text() -> str:
    """Return the table of contents."""
    return "\n".join(f"{page_id}. {page['title']}" for page_id, page in PAGES.items())


def register(server: Any, tool_error: type[Exception], not_found: type[Exception]) -> None:
    """Add the scenario's tools, resources and prompt to `server` (FastMCP on 1.x, MCPServer
    on 2.x: the same decorators), raising that SDK's own tool and not-found errors."""

    @server.tool()
    def search_docs(query: str) -> dict[str, Any]:
        """Search the documentation; returns structured hits."""
        return search(query)

    @server.tool()
    def get_page(page_id: int) -> str:
        """Return one documentation page as markdown."""
        try:
            return page_text(page_id)
        except KeyError:
            raise tool_error(f"No page {page_id}") from None

    @server.tool()
    def fail(reason: str) -> str:
        """Always fail, so the caller sees a tool error."""
        raise tool_error(f"Failed on purpose: {reason}")

    @server.resource("docs://index", mime_type="text/markdown")
    def index() -> str:
        """The table of contents."""
        return index_text()

    @server.resource("docs://pages/{page_id}", mime_type="text/markdown")
    def page(page_id: str) -> str:
        """One page by id."""
        try:
            return page_text(int(page_id))
        except (KeyError, ValueError):
            raise not_found(f"No page {page_id}") from None

    @server.prompt()
    def summarize_page(page_id: str) -> str:
        """Ask the model to summarize one page."""
        return f"Summarize this page in one sentence:\n\n{page_text(int(page_id))}"
