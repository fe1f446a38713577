"""The Admin data set, for the Admin page tests, with analytics worked out by hand.

acme, 1-2 Nov 2026 (the "current" period of the tests):
    ses_a1  ann  GitHub MCP  completed  Nov 1 10:00   60 s  10 calls, 1 error   "Deploy check"
    ses_a2  ann  GitHub MCP  failed     Nov 1 11:00  120 s   5 calls, 5 errors  "Deploy rollback"
    ses_a3  bob  Lead flow   completed  Nov 2 09:00  300 s   workflow 10/6/3/1  "Enrich leads"
    ses_a4  bob  GitHub MCP  active     Nov 2 12:00   —      5 calls            "Live triage"
    ses_a5  ann  GitHub MCP  paused     Nov 2 13:00   —      0 calls            "Paused import"
    ses_old ann  GitHub MCP  completed  Nov 1 08:00  archived, 100 calls, 50 errors (never counted)
    tickets on ses_a2 (Nov 1) and ses_a4 (Nov 2)
acme, 30-31 Oct 2026 (the previous period):
    ses_p1  ann  completed  Oct 31 10:00   30 s  10 calls          ticket on Oct 31
    ses_p2  bob  failed     Oct 30 10:00   90 s  10 calls, 2 errors
globex: ses_g1 and its user, which acme must never see.

KPIs for 1-2 Nov: 5 sessions, 1 active, success 2 of 3 ended = 66.7 %, durations of ended
sessions 60/120/300 s -> median (rank 2) 2 min, p95 (rank 3) 5 min, tool error rate
6 of 20 = 30.0 %, 2 tickets. Previous period: 2 sessions, 50.0 %, median 30 s, p95 90 s
(rank 2 of 2), 10.0 %, 1 ticket.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tests import factories as f
from tests.pages.datasets import acme_and_globex, ann_and_bob

ACME_IDS = ("ses_a1", "ses_a2", "ses_a3", "ses_a4", "ses_a5", "ses_p1", "ses_p2")
ARCHIVED = "ses_old"


def at(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _session(conn: sa.Connection, org: dict, user: dict, srv: dict, **kw: Any) -> dict:
    seconds = kw.pop("seconds", None)
    started = kw["started_at"]
    ended = started + timedelta(seconds=seconds) if seconds is not None else None
    return f.session(
        conn, org, user, srv, completed_at=ended, last_activity_at=ended or started, **kw
    )


def build(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        acme, globex = acme_and_globex(conn)
        _acme(conn, acme)
        _globex(conn, globex)


def _acme(conn: sa.Connection, acme: dict) -> None:
    ann, bob = ann_and_bob(conn, acme)
    gh = f.server(conn, acme, id="srv_gh", slug="github-mcp", name="GitHub MCP")
    wf = f.server(conn, acme, id="srv_wf", slug="lead-flow", name="Lead flow", kind="workflow")
    s = _session
    # One session a row or two, as in the docstring's table.
    # fmt: off
    s(conn, acme, ann, gh, id="ses_a1", title="Deploy check", status="completed",
      started_at=at(1, 10), seconds=60, total_tool_calls=10, total_errors=1)
    a2 = s(conn, acme, ann, gh, id="ses_a2", title="Deploy rollback", status="failed",
           started_at=at(1, 11), seconds=120, total_tool_calls=5, total_errors=5)
    s(conn, acme, bob, wf, id="ses_a3", title="Enrich leads", status="completed",
      started_at=at(2, 9), seconds=300, total_jobs=10, total_companies=6, total_contacts=3,
      total_campaigns=1)
    a4 = s(conn, acme, bob, gh, id="ses_a4", title="Live triage", status="active",
           started_at=at(2, 12), total_tool_calls=5)
    s(conn, acme, ann, gh, id="ses_a5", title="Paused import", status="paused",
      started_at=at(2, 13))
    s(conn, acme, ann, gh, id=ARCHIVED, title="Old and archived", status="completed",
      started_at=at(1, 8), seconds=10, total_tool_calls=100, total_errors=50,
      archived_at=at(3, 0))
    p1 = s(conn, acme, ann, gh, id="ses_p1", title="Earlier check", status="completed",
           started_at=at(31, 10, month=10), seconds=30, total_tool_calls=10)
    s(conn, acme, bob, gh, id="ses_p2", title="Earlier failure", status="failed",
      started_at=at(30, 10, month=10), seconds=90, total_tool_calls=10, total_errors=2)
    # fmt: on
    for ses, user, when in ((a2, ann, at(1, 11)), (a4, bob, at(2, 12)), (p1, ann, at(31, 10, 10))):
        f.ticket(conn, ses, user, created_at=when + timedelta(minutes=1))
    for n in range(3):  # timelines for the JSON export
        f.tool_call(conn, a2, id=f"tc_a2_{n}", seq=n + 1, started_at=a2["started_at"])


def _globex(conn: sa.Connection, globex: dict) -> None:
    gus = f.end_user(conn, globex, id="usr_gus", distinct_id="gus-9", email="gus@globex.example")
    srv = f.server(conn, globex, id="srv_gx", slug="gx", name="Globex MCP")
    _session(
        conn,
        globex,
        gus,
        srv,
        id="ses_g1",
        title="Globex secret plan",
        started_at=at(1, 10),
        seconds=60,
    )
