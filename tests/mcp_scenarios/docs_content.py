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
