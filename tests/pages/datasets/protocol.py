"""The protocol data set: acme's session ses_proto with MCP protocol requests (initialize,
tools/list, resources/read...) beside its two tool calls, one request failed."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests import factories as f
from tests.pages.datasets import ANALYST

SESSION = "ses_proto"
ATTRIBUTES = {
    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
    "span_ids": ["00f067aa0ba902b7"],
    "request_id": "4",
    "error_type": "resource_not_found",
}
# (id, method, target): the session's requests in time order, one second apart.
REQUESTS = [
    ("tc_init", "initialize", None),
    ("tc_list", "tools/list", None),
    ("tc_search", "tools/call", "search_docs"),
    ("tc_read", "resources/read", "docs://index"),
    ("tc_fetch", "tools/call", "get_page"),
]
CALLS = ["tc_search", "tc_fetch"]


def build(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        acme = f.org(conn, id="org_acme", slug="acme", name="Acme Corp")
        f.member(conn, acme, email=ANALYST, role="analyst")
        ann = f.end_user(conn, acme, id="usr_ann", display_name="Ann Lee")
        srv = f.server(conn, acme, id="srv_docs", name="Docs MCP")
        ses = f.session(conn, acme, ann, srv, id=SESSION, title="Docs lookup", total_tool_calls=2)
        for seq, (rid, method, target) in enumerate(REQUESTS, 1):
            at = ses["started_at"] + timedelta(seconds=seq)
            failed = rid == "tc_read"
            f.request(
                conn,
                ses,
                method,
                target,
                id=rid,
                seq=seq,
                started_at=at,
                is_error=failed,
                error_message="Resource not found" if failed else None,
                attributes=ATTRIBUTES if failed else None,
            )
