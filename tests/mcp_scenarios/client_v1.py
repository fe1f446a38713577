"""Scenario MCP client on mcp 1.x, traced by OpenLLMetry: drive the server, print a JSON summary."""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import otel_env
from opentelemetry.instrumentation.mcp import McpInstrumentor

SERVER_SCRIPT = Path(__file__).with_name("server_v1_openllmetry.py")
MISSING_URI = "docs://pages/999"
# Per-request bound: a wedged server fails the scenario instead of hanging it.
READ_TIMEOUT = timedelta(seconds=20)
# SWALLOWED: OpenLLMetry 0.62.4 wraps BaseSession.send_request in its `dont_throw`, so a
# JSON-RPC error response comes back as a None result instead of raising McpError.


async def call(session: Any, summary: dict[str, Any], tool: str, args: dict[str, Any]) -> None:
    """Call one tool and note whether it returned isError or raised a JSON-RPC error."""
    from mcp.shared.exceptions import McpError

    entry: dict[str, Any] = {"tool": tool, "arguments": args}
    try:
        result = await session.call_tool(tool, args)
        if result is None:
            entry["swallowed"] = True  # see SWALLOWED
        else:
            entry["is_error"] = bool(result.isError)
            entry["structured"] = result.structuredContent is not None
    except McpError as exc:
        entry["jsonrpc_error"] = exc.error.code
    summary["calls"].append(entry)


async def read(session: Any, summary: dict[str, Any], uri: str) -> None:
    """Read one resource and note success or the JSON-RPC error code."""
    from mcp.shared.exceptions import McpError
    from pydantic import AnyUrl

    try:
        result = await session.read_resource(AnyUrl(uri))
        if result is None:
            summary["reads"].append({"uri": uri, "swallowed": True})  # see SWALLOWED
        else:
            summary["reads"].append({"uri": uri, "contents": len(result.contents)})
    except McpError as exc:
        summary["reads"].append({"uri": uri, "jsonrpc_error": exc.error.code})


async def scenario(session: Any) -> dict[str, Any]:
    """Initialize, then run the fixed request sequence and return what happened."""
    init = await session.initialize()
    summary: dict[str, Any] = {"protocol_version": init.protocolVersion, "calls": [], "reads": []}
    summary["server_info"] = init.serverInfo.name
    summary["tools_listed"] = [tool.name for tool in (await session.list_tools()).tools]
    await call(session, summary, "search_docs", {"query": "install server"})
    await call(session, summary, "get_page", {"page_id": 1})
    await call(session, summary, "get_page", {"page_id": 3})
    await call(session, summary, "fail", {"reason": "disk full"})
    await call(session, summary, "no_such_tool", {})
    await read(session, summary, "docs://index")
    await read(session, summary, MISSING_URI)
    prompt = await session.get_prompt("summarize_page", {"page_id": "2"})
    summary["prompt_messages"] = len(prompt.messages)
    return summary


def transport(args: argparse.Namespace) -> AbstractAsyncContextManager[Any]:
    """Open stdio to a spawned server (this env plus --server-env) or streamable HTTP to --url."""
    # Imported after instrument(): OpenLLMetry wraps these functions in their modules.
    from mcp.client.stdio import StdioServerParameters, stdio_client
    from mcp.client.streamable_http import streamablehttp_client

    if args.transport == "http":
        return streamablehttp_client(args.url)
    env = dict(os.environ)
    env.update(item.split("=", 1) for item in args.server_env)
    server_args = [str(SERVER_SCRIPT), "--transport", "stdio"]
    return stdio_client(StdioServerParameters(command=sys.executable, args=server_args, env=env))


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Connect and run the scenario inside one ClientSession."""
    from mcp import ClientSession
    from mcp.types import Implementation

    info = Implementation(name="scenario-client", version="1.2.3")
    async with transport(args) as streams:
        read_stream, write_stream = streams[0], streams[1]
        async with ClientSession(
            read_stream, write_stream, read_timeout_seconds=READ_TIMEOUT, client_info=info
        ) as session:
            return await scenario(session)


def parse_args() -> argparse.Namespace:
    """Read the transport and target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    parser.add_argument("--url", help="streamable HTTP endpoint, e.g. http://127.0.0.1:8000/mcp")
    parser.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE")
    return parser.parse_args()


def main() -> None:
    """Trace the client, run the scenario, flush, and print the summary as one JSON line."""
    args = parse_args()
    provider = otel_env.start_tracing()
    McpInstrumentor().instrument(tracer_provider=provider)
    try:
        summary = anyio.run(run, args)
    finally:
        provider.shutdown()
    summary.update(transport=args.transport, sdk="mcp 1.x")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
