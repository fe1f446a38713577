"""An MCPlatform database to sync from: its tables (tests/data/mcplatform) and a small fixed
set of rows of two organizations, and the sync of it as the tests run it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from sessionscope.sync import mcplatform

DDL = Path(__file__).parent / "data" / "mcplatform" / "schema.sql"
T = int(datetime(2026, 10, 1, 12, tzinfo=UTC).timestamp() * 1000)
NOW = datetime(2026, 10, 11, tzinfo=UTC)

ROWS = {
    "organization": [
        {"id": "o_acme", "name": "Acme", "slug": "acme"},
        {"id": "o_beta", "name": "Beta Labs", "slug": None},
    ],
    '"user"': [
        {"id": "u_al", "name": "Al", "email": "al@acme.example"},
        {"id": "u_bo", "name": "Bo", "email": "Bo@Acme.example"},
    ],
    "member": [
        {"id": "m1", "organization_id": "o_acme", "user_id": "u_al", "role": "owner"},
        {"id": "m2", "organization_id": "o_acme", "user_id": "u_bo", "role": "member"},
        {"id": "m3", "organization_id": "o_beta", "user_id": "u_al", "role": "admin"},
    ],
    "mcp_servers": [
        {"id": "srv1", "organization_id": "o_acme", "name": "Docs", "slug": "acme-docs"},
        {"id": "srv2", "organization_id": "o_beta", "name": "Help", "slug": "beta-help"},
    ],
    "mcp_server_user": [
        {"id": "mcpu_1", "distinct_id": "dist-1", "email": "Eve@x.example", "first_seen_at": T},
        {"id": "mcpu_2", "distinct_id": None, "email": None, "first_seen_at": None},
    ],
    "mcp_oauth_user": [{"id": "ou1", "name": "Eve Example", "email": "eve@x.example"}],
}


def session_row(sid: str, slug: str, ts: int | None, user: str | None) -> dict:
    """An mcp_server_session row (`ts` in epoch ms; None as on MCPlatform's oldest rows)."""
    day = datetime.fromtimestamp((ts or T - 86_400_000) / 1000, tz=UTC).date()
    return {
        "mcp_server_session_id": sid,
        "mcp_server_slug": slug,
        "connection_date": day,
        "connection_timestamp": ts,
        "mcp_server_user_id": user,
    }


def call_row(cid: str, at: int | None, server: str, session: str, output: object) -> dict:
    """An mcp_tool_calls row of the get_support tool."""
    return {
        "id": cid,
        "created_at": at,
        "mcp_server_id": server,
        "tool_name": "get_support",
        "mcp_server_user_id": None,
        "mcp_server_session_id": session,
        "input": {"q": cid},
        "output": output,
    }


SESSIONS = [
    session_row("s1", "acme-docs", T, "mcpu_1"),
    session_row("s2", "acme-docs", None, None),  # old row, anonymous
    session_row("s3", "beta-help", T + 1000, "mcpu_1"),  # the same person in another org
    session_row("s4", "acme-docs", T + 5000, "mcpu_2"),  # empty
]
CALLS = [
    call_row("tc_a", T + 100, "srv1", "s1", {"ok": True}),
    call_row("tc_b", T + 200, "srv1", "s1", "step 1"),  # a JSON string
    call_row("tc_c", None, "srv1", "s2", None),
    call_row("tc_d", T + 1100, "srv2", "s3", {"next": 2}),
    call_row("tc_e", T + 1200, "srv1", "nope", None),  # a session MCPlatform does not have
]
TICKETS = [
    {
        "id": "sr_1",
        "created_at": T + 300,
        "title": "Stuck",
        "concise_summary": "stuck",
        "status": "in_progress",
        "priority": "high",
        "email": "eve@x.example",
        "organization_id": "o_acme",
        "mcp_server_session_id": "s1",
    },
    {
        "id": "sr_2",
        "created_at": T + 400,
        "title": "Billing",
        "concise_summary": None,
        "status": "resolved",
        "priority": "low",
        "email": "Zed@x.example",
        "resolved_at": T + 9000,
        "organization_id": "o_acme",
        "mcp_server_session_id": None,
    },
]


def activity_row(aid: str, at: int | None, ticket: str, kind: str, content: object) -> dict:
    """A support_ticket_activities row by u_al."""
    return {
        "id": aid,
        "created_at": at,
        "support_request_id": ticket,
        "user_id": "u_al",
        "activity_type": kind,
        "content": content,
    }


ACTIVITIES = [  # inserted out of time order: the sync orders them by created_at
    activity_row(
        "sta_2", T + 600, "sr_1", "status_change", {"from": "pending", "to": "in_progress"}
    ),
    activity_row("sta_1", T + 500, "sr_1", "comment", "Retry with Bearer abc.def?"),
    activity_row("sta_3", T + 700, "sr_2", "comment", "Refunded"),
]
JSONB = ("input", "output", "content")


def insert_rows(url: str, table: str, rows: list[dict]) -> None:
    """Insert `rows` into the MCPlatform `table` at `url`, JSONB columns as JSON."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for row in rows:
            cols = ", ".join(row)
            values = ", ".join(f"CAST(:{c} AS jsonb)" if c in JSONB else f":{c}" for c in row)
            params = {c: json.dumps(v) if c in JSONB else v for c, v in row.items()}
            # Table and column names come from the tests' own rows, never input; values are bound.
            sql = f"INSERT INTO {table} ({cols}) VALUES ({values})"  # fixture names; bound values
            conn.execute(sa.text(sql), params)
    engine.dispose()


def build(url: str) -> str:
    """MCPlatform's tables and the rows above in the empty PostgreSQL database at `url`."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(DDL.read_text())
    engine.dispose()
    for table, rows in ROWS.items():
        insert_rows(url, table, rows)
    insert_rows(url, "mcp_server_session", SESSIONS)
    insert_rows(url, "mcp_tool_calls", CALLS)
    insert_rows(url, "support_requests", TICKETS)
    insert_rows(url, "support_ticket_activities", ACTIVITIES)
    return url


def run(engine: sa.Engine, url: str, **kw: object) -> mcplatform.Report:
    """`sessionscope sync mcplatform` from `url` into `engine`, at NOW, by a test actor."""
    return mcplatform.sync(engine, source_url=url, now=NOW, actor="cli:test", **kw)  # type: ignore[arg-type]
