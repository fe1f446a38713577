"""Reads of MCPlatform's PostgreSQL: a read-only connection, bound parameters, keyset pages.

The schema is MCPlatform's Drizzle schema (K-Mistele/mcplatform, packages/database/src, read
at commit ec28db7); tests/data/mcplatform/schema.sql is a DDL written from it. Everything is
scoped by organization the way MCPlatform's dashboard does: through
`mcp_servers.organization_id`, and `support_requests.organization_id` for tickets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sessionscope.db import parse_url, safe_url
from sessionscope.sync import SyncError

# A session's keyset position: its connection time in epoch ms, or its day at 00:00 UTC on
# old rows (connection_timestamp is null there).
_SESSION_K = (
    "COALESCE(s.connection_timestamp, (EXTRACT(EPOCH FROM s.connection_date) * 1000)::bigint)"
)
_SESSION_COLUMNS = (
    f"s.mcp_server_session_id AS id, s.mcp_server_slug AS server_slug, s.connection_date, "
    f"s.connection_timestamp, s.mcp_server_user_id AS user_id, s.title, {_SESSION_K} AS k"
)
_SESSIONS_FROM = (
    "FROM mcp_server_session s JOIN mcp_servers v ON v.slug = s.mcp_server_slug "
    "WHERE v.organization_id = :org"
)


@dataclass(frozen=True)
class Table:
    """One source table read by keyset: its SQL (with :org :k :id :since :n) and its name."""

    key: str
    sql: str


SESSIONS = Table(
    "mcp_server_session",
    f"SELECT {_SESSION_COLUMNS} {_SESSIONS_FROM} "
    f"AND ({_SESSION_K}, s.mcp_server_session_id) > (:k, :id) AND {_SESSION_K} >= :since "
    "ORDER BY k, id LIMIT :n",
)
# Written out, not built: COALESCE(created_at, 0) puts a row without a time first.
CALLS = Table(
    "mcp_tool_calls",
    "SELECT c.id, COALESCE(c.created_at, 0) AS k, c.created_at, c.tool_name, "
    "c.mcp_server_session_id AS session_id, c.mcp_server_user_id AS user_id, c.input, c.output "
    "FROM mcp_tool_calls c JOIN mcp_servers v ON v.id = c.mcp_server_id "
    "WHERE v.organization_id = :org AND (COALESCE(c.created_at, 0), c.id) > (:k, :id) "
    "AND COALESCE(c.created_at, 0) >= :since ORDER BY k, c.id LIMIT :n",
)
TICKETS = Table(
    "support_requests",
    "SELECT r.id, COALESCE(r.created_at, 0) AS k, r.created_at, r.title, r.concise_summary, "
    "r.context, r.status::text AS status, r.priority::text AS priority, r.resolved_at, "
    "r.email, r.mcp_server_session_id AS session_id, "
    "r.support_request_method::text AS method FROM support_requests r "
    "WHERE r.organization_id = :org AND (COALESCE(r.created_at, 0), r.id) > (:k, :id) "
    "AND COALESCE(r.created_at, 0) >= :since ORDER BY k, r.id LIMIT :n",
)
# A ticket's history, scoped by the ticket's organization; the actor is the better-auth
# user's email where known (members are known by email here), their id otherwise.
ACTIVITIES = Table(
    "support_ticket_activities",
    "SELECT a.id, COALESCE(a.created_at, 0) AS k, a.created_at, "
    "a.support_request_id AS ticket_id, a.activity_type::text AS type, a.content, "
    "COALESCE(u.email, a.user_id) AS actor FROM support_ticket_activities a "
    "JOIN support_requests r ON r.id = a.support_request_id "
    'LEFT JOIN "user" u ON u.id = a.user_id '
    "WHERE r.organization_id = :org AND (COALESCE(a.created_at, 0), a.id) > (:k, :id) "
    "AND COALESCE(a.created_at, 0) >= :since ORDER BY k, a.id LIMIT :n",
)
# Sessions first: calls and tickets point at them; activities last, they point at tickets.
TABLES = (SESSIONS, CALLS, TICKETS, ACTIVITIES)


def connect(url: str) -> Engine:
    """An engine on MCPlatform's database whose every transaction is read-only."""
    parsed = parse_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise SyncError(f"--source {safe_url(parsed)} is not a PostgreSQL URL")
    return sa.create_engine(
        parsed,
        poolclass=sa.NullPool,  # a connection per page: no snapshot held open on their side
        connect_args={
            "options": "-c default_transaction_read_only=on",
            "application_name": "sessionscope-sync",
        },
    )


def _rows(engine: Engine, sql: str, params: dict) -> list[sa.RowMapping]:
    stmt = sa.text(sql)
    if "ids" in params:
        stmt = stmt.bindparams(sa.bindparam("ids", expanding=True))
    with engine.connect() as conn:
        conn.exec_driver_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        return list(conn.execute(stmt, params).mappings())


def organizations(engine: Engine) -> list[sa.RowMapping]:
    return _rows(engine, "SELECT id, name, slug FROM organization ORDER BY id", {})


def members(engine: Engine, org: str) -> list[sa.RowMapping]:
    sql = (
        'SELECT m.id, m.role, u.email, u.name FROM member m JOIN "user" u ON u.id = m.user_id '
        "WHERE m.organization_id = :org ORDER BY m.id"
    )
    return _rows(engine, sql, {"org": org})


def servers(engine: Engine, org: str) -> list[sa.RowMapping]:
    sql = "SELECT id, name, slug FROM mcp_servers WHERE organization_id = :org ORDER BY id"
    return _rows(engine, sql, {"org": org})


def page(
    engine: Engine, table: Table, *, org: str, after: tuple[int, str], since: int, n: int
) -> list[sa.RowMapping]:
    """The next `n` rows of `table` after keyset position `after` (k, id)."""
    params = {"org": org, "k": after[0], "id": after[1], "since": since, "n": n}
    return _rows(engine, table.sql, params)


def sessions_by_id(engine: Engine, org: str, ids: Sequence[str]) -> list[sa.RowMapping]:
    """The organization's sessions among `ids` (a call or ticket newer than the sessions read)."""
    if not ids:
        return []
    sql = f"SELECT {_SESSION_COLUMNS} {_SESSIONS_FROM} AND s.mcp_server_session_id IN :ids"
    return _rows(engine, sql, {"org": org, "ids": list(ids)})


def users(engine: Engine, ids: Sequence[str]) -> list[sa.RowMapping]:
    """MCPlatform end users by id, with a name from mcp_oauth_user where one has their email."""
    if not ids:
        return []
    sql = (
        "SELECT u.id, u.distinct_id, u.email, u.first_seen_at, o.name FROM mcp_server_user u "
        "LEFT JOIN mcp_oauth_user o ON lower(o.email) = lower(u.email) WHERE u.id IN :ids"
    )
    return _rows(engine, sql, {"ids": list(ids)})
