"""Tiny row factories for hand-built fixtures: each inserts one row and returns it as a dict.

Defaults are plain and fixed so a test states only what it is about:
    acme = factories.org(conn, slug="acme")
    user, srv = factories.end_user(conn, acme), factories.server(conn, acme)
    ses = factories.session(conn, acme, user, srv, status="failed")
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from sessionscope import schema

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)

Row = dict[str, Any]


def _new_id(prefix: str) -> str:
    return f"{prefix}_t{next(_ids):06d}"


def _insert(conn: sa.Connection, table: sa.Table, row: Row) -> Row:
    conn.execute(table.insert().values(**row))
    return row


def org(conn: sa.Connection, **kw: Any) -> Row:
    oid = kw.pop("id", None) or _new_id("org")
    row = {"id": oid, "slug": oid, "name": oid.title(), "created_at": T0} | kw
    return _insert(conn, schema.organizations, row)


def member(conn: sa.Connection, org: Row, **kw: Any) -> Row:
    mid = _new_id("mem")
    row = {
        "id": mid,
        "org_id": org["id"],
        "email": f"{mid}@example.com",
        "name": "Member",
        "role": "analyst",
        "created_at": T0,
    } | kw
    return _insert(conn, schema.members, row)


def end_user(conn: sa.Connection, org: Row, **kw: Any) -> Row:
    uid = kw.pop("id", None) or _new_id("usr")
    row = {
        "id": uid,
        "org_id": org["id"],
        "distinct_id": f"d-{uid}",
        "email": f"{uid}@users.example",
        "display_name": f"User {uid}",
        "first_seen_at": T0,
        "last_seen_at": T0,
    } | kw
    return _insert(conn, schema.end_users, row)


def server(conn: sa.Connection, org: Row, **kw: Any) -> Row:
    sid = kw.pop("id", None) or _new_id("srv")
    row = {"id": sid, "org_id": org["id"], "slug": sid, "name": f"Server {sid}", "kind": "mcp"} | kw
    return _insert(conn, schema.servers, row)


def session(conn: sa.Connection, org: Row, user: Row, srv: Row, **kw: Any) -> Row:
    sid = kw.pop("id", None) or _new_id("ses")
    row = {
        "id": sid,
        "org_id": org["id"],
        "end_user_id": user["id"],
        "server_id": srv["id"],
        "title": f"Session {sid}",
        "status": "completed",
        "started_at": T0,
        "last_activity_at": T0 + timedelta(minutes=5),
        "completed_at": T0 + timedelta(minutes=5),
    } | kw
    return _insert(conn, schema.sessions, row)


def tool_call(conn: sa.Connection, ses: Row, **kw: Any) -> Row:
    tid = kw.pop("id", None) or _new_id("tc")
    row = {
        "id": tid,
        "org_id": ses["org_id"],
        "session_id": ses["id"],
        "seq": 1,
        "tool_name": "search",
        "input": {"q": "x"},
        "output": {"ok": True},
        "started_at": ses["started_at"],
        "duration_ms": 100,
        "is_error": False,
    } | kw
    return _insert(conn, schema.tool_calls, row)


def request(
    conn: sa.Connection, ses: Row, method: str, target: str | None = None, **kw: Any
) -> Row:
    """An MCP request (initialize, tools/list, resources/read <uri>, tools/call <tool>...) as
    the OpenTelemetry ingest stores it: a tool_calls row whose tool_name is its target, or its
    method when it has none, without payloads unless given."""
    row = {"method": method, "tool_name": target or method, "input": None, "output": None} | kw
    return tool_call(conn, ses, **row)


def ticket(conn: sa.Connection, ses: Row | None, user: Row, **kw: Any) -> Row:
    tid = kw.pop("id", None) or _new_id("sr")
    row = {
        "id": tid,
        "org_id": user["org_id"],
        "session_id": ses["id"] if ses else None,
        "end_user_id": user["id"],
        "email": user["email"],
        "title": f"Ticket {tid}",
        "summary": "It broke",
        "context": "",
        "status": "pending",
        "priority": "medium",
        "created_at": ses["started_at"] if ses else T0,
    } | kw
    return _insert(conn, schema.support_tickets, row)


def stage(conn: sa.Connection, ses: Row, stage: str, **kw: Any) -> Row:
    row = {
        "session_id": ses["id"],
        "stage": stage,
        "status": "completed",
        "total": 10,
        "completed": 10,
        "failed": 0,
        "started_at": ses["started_at"],
        "completed_at": ses["started_at"] + timedelta(minutes=1),
        "data": {},
    } | kw
    return _insert(conn, schema.session_stages, row)


def state(conn: sa.Connection, ses: Row, version: int, state: Any, **kw: Any) -> Row:
    row = {"session_id": ses["id"], "version": version, "state": state, "created_at": T0} | kw
    return _insert(conn, schema.session_states, row)


def valid_state(version: int = 2, **changes: Any) -> dict[str, Any]:
    """A saved workflow state that resume accepts: a lead-gen run stopped part-way through
    `contacts` (scraping and enrichment done), with `changes` over it."""
    return {
        "version": version,
        "stage": "contacts",
        "completed_stages": ["scraping", "enrichment"],
        "metrics": {"jobs": 118, "companies": 50, "contacts": 40, "campaigns": 0},
        "cursor": {"stage": "contacts", "offset": 40, "batch_size": 10},
        "config": {"workflow": "lead-gen", "query": {"role": "CTO", "city": "Lyon"}},
    } | changes
