"""The workflow data set, for Resume on Session details: acme's paused lead-gen session
WF_SESSION, stopped part-way through `contacts`, and a Globex session. Each resume test
writes, so each builds this in a fresh database with the saved state it is about.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tests import factories as f
from tests.pages.datasets import ADMIN, ANALYST

WF_SESSION = "ses_wf"

# Stopped part-way through `contacts`: two stages done, one running, two never reached.
STAGES = [
    ("scraping", "completed", 120, 118),
    ("enrichment", "completed", 50, 50),
    ("contacts", "running", 100, 40),
    ("campaigns", "pending", 0, 0),
    ("results", "pending", 0, 0),
]


def build(engine: sa.Engine, *, state: Any) -> None:
    """acme with a paused lead-gen session whose latest saved state (version 2) is `state`;
    globex with a session of its own. Times are recent, so the sidebar's "today" counts it."""
    start = datetime.now(UTC) - timedelta(hours=2)
    with engine.begin() as conn:
        acme = f.org(conn, id="org_acme", slug="acme", name="Acme Corp")
        f.member(conn, acme, email=ANALYST, role="analyst")
        f.member(conn, acme, email=ADMIN, role="admin")
        ann = f.end_user(conn, acme, id="usr_ann", display_name="Ann Lee")
        lead_gen = f.server(conn, acme, id="srv_lg", name="Lead gen", kind="workflow")
        ses = f.session(
            conn,
            acme,
            ann,
            lead_gen,
            id=WF_SESSION,
            title="Leads in Lyon",
            status="paused",
            current_stage="contacts",
            started_at=start,
            last_activity_at=start + timedelta(hours=1),
            completed_at=None,
            total_jobs=118,
            total_companies=50,
            total_contacts=40,
            workflow_state=state,
            state_version=2,
        )
        for i, (stage, status, total, done) in enumerate(STAGES):
            at = start + timedelta(minutes=10 * i) if status != "pending" else None
            end = at + timedelta(minutes=9) if at and status == "completed" else None
            f.stage(
                conn,
                ses,
                stage,
                status=status,
                total=total,
                completed=done,
                started_at=at,
                completed_at=end,
            )
        f.state(conn, ses, 1, {**f.valid_state(1), "stage": "scraping", "completed_stages": []})
        f.state(conn, ses, 2, state)
        globex = f.org(conn, id="org_globex", slug="globex", name="Globex")
        gus = f.end_user(conn, globex, id="usr_gus")
        f.session(conn, globex, gus, f.server(conn, globex), id="ses_globex", title="Globex plan")
