"""The history data set, for the sidebar's sessions: acme's sessions of today and older,
one of them live, and a Globex session today."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tests import factories as f
from tests.pages.datasets import ANALYST


def build(engine: sa.Engine) -> datetime:
    """acme: two sessions today (one active), one failed 3 days ago, and ten older completed
    ones; one archived today. globex: one today. Returns the start of today's sessions.

    Today's start is the current minute, so it is today (UTC) whenever the test runs.
    """
    today = datetime.now(UTC).replace(second=0, microsecond=0)
    with engine.begin() as conn:
        acme = f.org(conn, id="org_acme", slug="acme", name="Acme Corp")
        f.member(conn, acme, email=ANALYST, role="analyst")
        ann = f.end_user(conn, acme, id="usr_ann", display_name="Ann Lee")
        gh = f.server(conn, acme, id="srv_gh", name="GitHub MCP")

        def ses(sid: str, start: datetime, status: str = "completed", **kw: Any) -> None:
            end = None if status == "active" else start + timedelta(minutes=5)
            f.session(
                conn,
                acme,
                ann,
                gh,
                id=sid,
                started_at=start,
                status=status,
                last_activity_at=start,
                completed_at=end,
                **kw,
            )

        ses("ses_live", today, "active", title="Live triage", total_tool_calls=3)
        ses("ses_deploy", today, title="Deploy the <b>API</b>", total_tool_calls=12, total_errors=2)
        ses("ses_gone", today, archived_at=today, title="Archived today")
        ses("ses_failed", today - timedelta(days=3), "failed", title="Broken export")
        for i in range(10):
            ses(f"ses_old{i}", today - timedelta(days=10 + i), title=f"Routine {i}")
        globex = f.org(conn, id="org_globex", slug="globex", name="Globex")
        gus = f.end_user(conn, globex, id="usr_gus")
        srv = f.server(conn, globex, id="srv_gx")
        f.session(conn, globex, gus, srv, id="ses_globex", title="Globex plan", started_at=today)
    return today
