"""The hand-built world of two organizations that the Admin list and analytics queries are
tested on (acme's sessions a01..a10 over 1-3 Nov 2026, beta's that must never leak), and the
columns of an Admin list page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests import factories

# The columns of a queries.admin page of sessions, in order.
COLUMNS = [
    "id",
    "title",
    "status",
    "end_user_id",
    "user_email",
    "user_distinct_id",
    "server_name",
    "server_kind",
    "started_at",
    "completed_at",
    "duration_s",
    "total_tool_calls",
    "total_errors",
    "total_jobs",
    "total_companies",
    "total_contacts",
    "total_campaigns",
    "archived_at",
]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """That day of November 2026 at that time, UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    """The ids a test asks about: the two orgs, acme's two users, and the servers."""

    acme: str
    beta: str
    alice: str
    bob: str
    mcp: str
    wf: str
    beta_mcp: str


# Org acme, ten sessions over 1-3 Nov 2026 (UTC). Columns: id, user, server, status, start,
# duration in seconds (None = still running), total_tool_calls, total_errors, extra columns.
ACME_SESSIONS = [
    ("ses_a01", "alice", "mcp", "completed", at(1, 9), 60, 4, 1, {"total_jobs": 99}),
    ("ses_a02", "alice", "mcp", "failed", at(1, 10), 120, 2, 2, {}),
    (
        "ses_a03",
        "bob",
        "wf",
        "completed",
        at(1, 23, 30),
        1800,
        0,
        0,
        {"total_jobs": 3, "total_companies": 20, "total_contacts": 50, "total_campaigns": 2},
    ),
    ("ses_a04", "bob", "mcp", "completed", at(2, 0), 30.25, 3, 0, {}),
    ("ses_a05", "alice", "mcp", "active", at(2, 8), None, 5, 1, {"title": "axb check"}),
    (
        "ses_a06",
        "bob",
        "wf",
        "failed",
        at(2, 12),
        600,
        0,
        0,
        {"total_jobs": 1, "total_companies": 5},
    ),
    ("ses_a07", "alice", "mcp", "failed", at(2, 15), 60, 1, 1, {"title": "a_b check"}),
    (
        "ses_a08",
        "alice",
        "wf",
        "paused",
        at(3, 9),
        None,
        0,
        0,
        {
            "total_jobs": 2,
            "total_companies": 10,
            "total_contacts": 7,
            "title": "Quarterly 1000 review",
        },
    ),
    ("ses_a09", "bob", "mcp", "completed", at(3, 11), 90, 6, 3, {"title": "Quarterly 100% review"}),
    ("ses_a10", "alice", "mcp", "completed", at(3, 9), 45, 2, 1, {"archived_at": at(4, 0)}),
]


def build_world(conn: sa.Connection) -> World:
    """Two orgs; acme as in ACME_SESSIONS, beta with two sessions that must never leak."""
    acme, beta = factories.org(conn, id="org_acme"), factories.org(conn, id="org_beta")
    users = {
        "alice": factories.end_user(
            conn,
            acme,
            id="usr_alice",
            distinct_id="d-alice",
            email="alice@acme.test",
            display_name="Alice Archer",
        ),
        "bob": factories.end_user(
            conn,
            acme,
            id="usr_bob",
            distinct_id="d-bob",
            email="bob@acme.test",
            display_name="Bob_Builder",
        ),
    }
    srvs = {
        "mcp": factories.server(conn, acme, id="srv_a_mcp", slug="search", name="Search"),
        "wf": factories.server(
            conn, acme, id="srv_a_wf", slug="outreach", name="Outreach", kind="workflow"
        ),
    }
    ses = {}
    for sid, user, srv, status, start, dur, calls, errors, extra in ACME_SESSIONS:
        end = None if dur is None else start + timedelta(seconds=dur)
        ses[sid] = factories.session(
            conn,
            acme,
            users[user],
            srvs[srv],
            id=sid,
            status=status,
            started_at=start,
            completed_at=end,
            total_tool_calls=calls,
            total_errors=errors,
            **extra,
        )
    carol = factories.end_user(conn, beta, id="usr_carol", email="carol@beta.test")
    b_mcp = factories.server(conn, beta, id="srv_b_mcp", slug="search", name="Beta search")
    b_wf = factories.server(conn, beta, id="srv_b_wf", slug="wf", name="Beta wf", kind="workflow")
    b1 = factories.session(
        conn,
        beta,
        carol,
        b_mcp,
        id="ses_b01",
        status="failed",
        started_at=at(2, 10),
        completed_at=at(2, 11),
        total_tool_calls=10,
        total_errors=10,
    )
    factories.session(
        conn,
        beta,
        carol,
        b_wf,
        id="ses_b02",
        status="completed",
        started_at=at(3, 10),
        completed_at=at(3, 12),
        total_jobs=100,
        total_companies=100,
        total_contacts=100,
        total_campaigns=100,
    )
    _tool_calls(conn, ses, b1)
    _tickets(conn, ses, users, b1, carol)
    return World(
        acme["id"], beta["id"], "usr_alice", "usr_bob", "srv_a_mcp", "srv_a_wf", "srv_b_mcp"
    )


# (session, tool, duration_ms, is_error); consistent with the session totals above.
TOOL_CALLS = [
    ("ses_a01", "search", 100, False),
    ("ses_a01", "search", 200, True),
    ("ses_a01", "fetch", 50, False),
    ("ses_a01", "fetch", 70, False),
    ("ses_a02", "search", 300, True),
    ("ses_a02", "fetch", None, True),
    ("ses_a04", "search", 400, False),
    ("ses_a04", "search", 500, False),
    ("ses_a04", "fetch", 60, False),
    ("ses_a05", "search", 600, False),
    ("ses_a05", "search", 700, True),
    ("ses_a05", "fetch", 80, False),
    ("ses_a05", "fetch", 90, False),
    ("ses_a05", "write", 1000, False),
    ("ses_a07", "write", 2000, True),
    ("ses_a09", "search", 800, True),
    ("ses_a09", "search", 900, True),
    ("ses_a09", "fetch", 100, False),
    ("ses_a09", "fetch", 110, True),
    ("ses_a09", "write", 3000, False),
    ("ses_a09", "write", 4000, False),
    ("ses_a10", "search", 5000, True),
    ("ses_a10", "search", 5000, False),
]


def _tool_calls(conn: sa.Connection, ses: dict, b1: dict) -> None:
    for seq, (sid, tool, ms, err) in enumerate(TOOL_CALLS, start=1):
        factories.tool_call(conn, ses[sid], seq=seq, tool_name=tool, duration_ms=ms, is_error=err)
    for seq in range(3):
        factories.tool_call(conn, b1, seq=seq, tool_name="search", duration_ms=1, is_error=True)
    # A beta row pointing at an acme session: only tool_calls.org_id keeps it out.
    factories.tool_call(conn, ses["ses_a01"], org_id="org_beta", tool_name="rogue")


def _tickets(conn: sa.Connection, ses: dict, users: dict, b1: dict, carol: dict) -> None:
    factories.ticket(conn, ses["ses_a02"], users["alice"], created_at=at(1, 10, 5))
    factories.ticket(conn, ses["ses_a09"], users["bob"], created_at=at(3, 11, 5))
    factories.ticket(conn, None, users["alice"], created_at=at(2, 7))
    factories.ticket(conn, ses["ses_a10"], users["alice"], created_at=at(3, 9, 5))
    factories.ticket(conn, ses["ses_a01"], users["alice"], created_at=at(5, 9))
    factories.ticket(conn, b1, carol, created_at=at(2, 10, 30))
