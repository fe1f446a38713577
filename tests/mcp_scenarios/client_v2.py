"""Scenario MCP client on mcp 2.x: drive the Docs MCP server and print a JSON summary."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import otel_env
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError
from mcp_types import Implementation

CLIENT_INFO = Implementation(name="scenario-client", version="1.2.3")
SERVER_SCRIPT = Path(__file__).with_name("server_v2.py")
MISSING_URI = "docs://pages/999"
# Per-request bound: a wedged server fails the scenario instead of hanging it.
READ_TIMEOUT_S = 20.0


async def call(client: Client, summary: dict[str, Any], tool: str, args: dict[str, Any]) -> None:
    """Call one tool and note whether it returned isError or raised a JSON-RPC error."""
    entry: dict[str, Any] = {"tool": tool, "arguments": args}
    try:
        result = await client.call_tool(tool, args)
        entry["is_error"] = bool(result.is_error)
        entry["structured"] = result.structured_content is not None
    except MCPError as exc:
        entry["jsonrpc_error"] = exc.code
    summary["calls"].append(entry)


async def read(client: Client, summary: dict[str, Any], uri: str) -> None:
    """Read one resource and note success or the JSON-RPC error code."""
    try:
        result = await client.read_resource(uri)
        summary["reads"].append({"uri": uri, "contents": len(result.contents)})
    except MCPError as exc:
        summary["reads"].append({"uri": uri, "jsonrpc_error": exc.code})


async def scenario(client: Client) -> dict[str, Any]:
    """Run the fixed request sequence and return what happened."""
    summary: dict[str, Any] = {"protocol_version": client.protocol_version}
    summary.update(calls=[], reads=[])
    summary["server_info"] = client.server_info.name if client.server_info else None
    summary["tools_listed"] = [tool.name for tool in (await client.list_tools()).tools]
    await call(client, summary, "search_docs", {"query": "install server"})
    await call(client, summary, "get_page", {"page_id": 1})
    await call(client, summary, "get_page", {"page_id": 3})
    await call(client, summary, "fail", {"reason": "disk full"})
    await call(client, summary, "no_such_tool", {})
    await read(client, summary, "docs://index")
    await read(client, summary, MISSING_URI)
    prompt = await client.get_prompt("summarize_page", {"page_id": "2"})
    summary["prompt_messages"] = len(prompt.messages)
    return summary


def server_params(telemetry: str, server_env: list[str]) -> StdioServerParameters:
    """Spawn the v2 server over stdio with this process's env plus any --server-env."""
    env = dict(os.environ)
    env.update(item.split("=", 1) for item in server_env)
    args = [str(SERVER_SCRIPT), "--transport", "stdio", "--telemetry", telemetry]
    return StdioServerParameters(command=sys.executable, args=args, env=env)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Connect over the chosen transport and run the scenario."""
    if args.transport == "http":
        target: str | StdioServerParameters = args.url
    else:
        target = server_params(args.server_telemetry, args.server_env)
    async with Client(
        target, client_info=CLIENT_INFO, mode=args.mode, read_timeout_seconds=READ_TIMEOUT_S
    ) as client:
        return await scenario(client)


def parse_args() -> argparse.Namespace:
    """Read the transport, target and protocol mode."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    parser.add_argument("--url", help="streamable HTTP endpoint, e.g. http://127.0.0.1:8000/mcp")
    parser.add_argument("--server-telemetry", choices=["builtin", "recorder"], default="builtin")
    parser.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--mode", default="auto", help="'auto' (2.x default) or 'legacy'")
    return parser.parse_args()


def main() -> None:
    """Trace the client, run the scenario, flush, and print the summary as one JSON line."""
    args = parse_args()
    provider = otel_env.start_tracing()
    try:
        summary = anyio.run(run, args)
    finally:
        provider.shutdown()
    summary.update(transport=args.transport, mode=args.mode, sdk="mcp 2.x")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
