"""The explorer data set, for most page tests: every pane state, two organizations.

acme: analyst/admin/consultant members; user Ann with 60 sessions (more than one page of
cards); session ses_long with 250 tool calls and 2 tickets (more than one timeline window);
an active session; a tool call with a 1.2 MB output; an archived session; Bob's untitled
session with no events; Wes's paused workflow session (three started stages, two pending,
a tool call and a ticket between them).
globex: its own user and session, which acme viewers must never see.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests import factories as f
from tests.pages.datasets import acme_and_globex, ann_and_bob

BIG_OUTPUT_BYTES = 1_200_000

# What globex holds that an acme viewer must never be shown: names, emails, titles, tools.
GLOBEX_TEXT = (
    "Gus Secret",
    "gus@globex.example",
    "Globex",
    "Globex secret plan",
    "secret_tool",
    "Globex secret ticket",
    "Globex MCP",
)


def build(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        acme, globex = acme_and_globex(conn)
        f.member(conn, acme, email="consultant@partner.example", role="analyst")
        f.member(conn, globex, email="consultant@partner.example", role="admin")
        _acme(conn, acme)
        _globex(conn, globex)


def _acme(conn: sa.Connection, acme: dict) -> None:
    ann, bob = ann_and_bob(conn, acme)
    gh = f.server(conn, acme, id="srv_gh", slug="github-mcp", name="GitHub MCP")
    # No title and no events at all.
    f.session(conn, acme, bob, gh, id="ses_bob_empty", title=None, started_at=f.T0)
    for i in range(60):
        f.session(
            conn,
            acme,
            ann,
            gh,
            id=f"ses_ann{i:02d}",
            title=f"Routine session {i:02d}",
            started_at=f.T0 - timedelta(days=1, hours=i),
        )
    long = f.session(
        conn,
        acme,
        ann,
        gh,
        id="ses_long",
        title="Triage <script>alert(1)</script>",
        started_at=f.T0,
        total_tool_calls=250,
        total_errors=25,
    )
    for seq in range(1, 251):
        f.tool_call(
            conn,
            long,
            id=f"tc_long{seq:03d}",
            seq=seq,
            tool_name=f"tool_{seq % 3}",
            started_at=f.T0 + timedelta(seconds=seq),
            is_error=seq % 10 == 0,
            error_message="rate limited" if seq % 10 == 0 else None,
            input={"query": f"q{seq}", "nested": {"list": [1, 2, {"deep": True}]}},
        )
    f.ticket(
        conn,
        long,
        ann,
        id="sr_long1",
        title="Export fails",
        priority="high",
        summary="The export button fails",
        created_at=f.T0 + timedelta(seconds=5, milliseconds=500),
    )
    f.ticket(conn, long, ann, id="sr_long2", created_at=f.T0 + timedelta(seconds=120))
    live = f.session(
        conn,
        acme,
        ann,
        gh,
        id="ses_live",
        title="Live one",
        status="active",
        started_at=f.T0 + timedelta(hours=1),
        completed_at=None,
        total_tool_calls=1,  # as every writer keeps it (DESIGN.md's data contract)
    )
    f.tool_call(conn, live, id="tc_live1", started_at=live["started_at"])
    big = f.session(
        conn,
        acme,
        ann,
        gh,
        id="ses_big",
        title="Big payload",
        started_at=f.T0 + timedelta(hours=2),
        total_tool_calls=1,
    )
    f.tool_call(
        conn,
        big,
        id="tc_big",
        tool_name="dump_table",
        started_at=big["started_at"],
        output={"rows": ["x" * 1000] * (BIG_OUTPUT_BYTES // 1000)},
    )
    gone = f.session(
        conn,
        acme,
        ann,
        gh,
        id="ses_archived",
        title="Archived",
        started_at=f.T0 + timedelta(hours=3),
        archived_at=f.T0,
        total_tool_calls=1,
    )
    f.tool_call(conn, gone, id="tc_archived", started_at=gone["started_at"])
    _workflow(conn, acme)


def _workflow(conn: sa.Connection, acme: dict) -> None:
    wes = f.end_user(conn, acme, id="usr_wes", distinct_id="wes-3", display_name="Wes Park")
    flow = f.server(
        conn, acme, id="srv_leads", slug="leads", name="Lead generation", kind="workflow"
    )
    wf = f.session(
        conn,
        acme,
        wes,
        flow,
        id="ses_flow",
        title="Hiring signals in Lisbon",
        status="paused",
        current_stage="contacts",
        started_at=f.T0,
        completed_at=None,
        last_activity_at=f.T0 + timedelta(minutes=30),
        total_jobs=40,
        total_companies=12,
        total_tool_calls=1,
    )
    minute = timedelta(minutes=1)
    f.stage(
        conn,
        wf,
        "scraping",
        status="completed",
        total=40,
        completed=40,
        started_at=f.T0,
        completed_at=f.T0 + 5 * minute,
        data={"source": "jobs board"},
    )
    f.tool_call(
        conn, wf, id="tc_flow1", seq=1, tool_name="fetch_jobs", started_at=f.T0 + 6 * minute
    )
    f.stage(
        conn,
        wf,
        "enrichment",
        status="completed",
        total=12,
        completed=11,
        failed=1,
        started_at=f.T0 + 10 * minute,
        completed_at=f.T0 + 20 * minute,
    )
    f.ticket(
        conn, wf, wes, id="sr_flow1", title="Wrong company size", created_at=f.T0 + 21 * minute
    )
    f.stage(
        conn,
        wf,
        "contacts",
        status="failed",
        total=30,
        completed=3,
        failed=27,
        started_at=f.T0 + 25 * minute,
        completed_at=None,
    )
    for stage in ("campaigns", "results"):
        f.stage(conn, wf, stage, status="pending", started_at=None, completed_at=None, data=None)


def _globex(conn: sa.Connection, globex: dict) -> None:
    gus = f.end_user(
        conn,
        globex,
        id="usr_gus",
        distinct_id="gus-9",
        email="gus@globex.example",
        display_name="Gus Secret",
    )
    srv = f.server(conn, globex, id="srv_gx", slug="gx", name="Globex MCP")
    ses = f.session(
        conn, globex, gus, srv, id="ses_globex", title="Globex secret plan", started_at=f.T0
    )
    f.tool_call(conn, ses, id="tc_globex", tool_name="secret_tool", started_at=f.T0)
    f.ticket(conn, ses, gus, id="sr_globex", title="Globex secret ticket")
