"""For the Session details and history tests: open the app on any database, and a small
workflow world to resume (each resume test writes, so it builds this in a fresh database).

explorer_data.py stays as it is: other tests rely on its exact contents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests import factories as f
from tests.pages.conftest import APP, RUN_TIMEOUT_S

DETAILS = "app_pages/session_details.py"
ANALYST = "analyst@acme.example"
WF_SESSION = "ses_wf"

Opener = Callable[..., AppTest]


@contextmanager
def opener(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Opener]:
    """open(path, email=..., state={...}, **params) -> AppTest after the run, like a cold link.

    `state` is put into st.session_state before the first run (e.g. an open expander).
    """
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("SESSIONSCOPE_DEMO", raising=False)
    _clear_caches()

    def open_(
        path: str | None = DETAILS,
        *,
        email: str = ANALYST,
        state: dict[str, Any] | None = None,
        **params: str,
    ) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S)
        at.user = {"email": email}
        for name, value in (state or {}).items():
            at.session_state[name] = value
        for name, value in params.items():
            at.query_params[name] = value
        at.run()
        if path:
            at.switch_page(path).run()
        return at

    yield open_
    from components import data

    data.engine().dispose()
    _clear_caches()


def _clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


# Stopped part-way through `contacts`: two stages done, one running, two never reached.
STAGES = [
    ("scraping", "completed", 120, 118),
    ("enrichment", "completed", 50, 50),
    ("contacts", "running", 100, 40),
    ("campaigns", "pending", 0, 0),
    ("results", "pending", 0, 0),
]
CONFIG = {"workflow": "lead-gen", "query": {"role": "CTO"}}


def valid_state(version: int = 2) -> dict[str, Any]:
    return {
        "version": version,
        "stage": "contacts",
        "completed_stages": ["scraping", "enrichment"],
        "metrics": {"jobs": 118, "companies": 50, "contacts": 40, "campaigns": 0},
        "cursor": {"stage": "contacts", "offset": 40, "batch_size": 10},
        "config": CONFIG,
    }


def build_workflow(engine: sa.Engine, *, state: Any) -> None:
    """acme with a paused lead-gen session whose latest saved state (version 2) is `state`;
    globex with a session of its own. Times are recent, so the sidebar's "today" counts it."""
    start = datetime.now(UTC) - timedelta(hours=2)
    with engine.begin() as conn:
        acme = f.org(conn, id="org_acme", slug="acme", name="Acme Corp")
        f.member(conn, acme, email=ANALYST, role="analyst")
        f.member(conn, acme, email="admin@acme.example", role="admin")
        ann = f.end_user(conn, acme, id="usr_ann", display_name="Ann Lee")
        lead_gen = f.server(conn, acme, id="srv_lg", name="Lead gen", kind="workflow")
        ses = f.session(
            conn, acme, ann, lead_gen, id=WF_SESSION, title="Leads in Lyon", status="paused",
            current_stage="contacts", started_at=start, last_activity_at=start + timedelta(hours=1),
            completed_at=None, total_jobs=118, total_companies=50, total_contacts=40,
            workflow_state=state, state_version=2,
        )  # fmt: skip
        for i, (stage, status, total, done) in enumerate(STAGES):
            at = start + timedelta(minutes=10 * i) if status != "pending" else None
            end = at + timedelta(minutes=9) if at and status == "completed" else None
            f.stage(conn, ses, stage, status=status, total=total, completed=done,
                    started_at=at, completed_at=end)  # fmt: skip
        f.state(conn, ses, 1, {**valid_state(1), "stage": "scraping", "completed_stages": []})
        f.state(conn, ses, 2, state)
        globex = f.org(conn, id="org_globex", slug="globex", name="Globex")
        gus = f.end_user(conn, globex, id="usr_gus")
        f.session(conn, globex, gus, f.server(conn, globex), id="ses_globex", title="Globex plan")


def build_history(engine: sa.Engine) -> datetime:
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
            f.session(conn, acme, ann, gh, id=sid, started_at=start, status=status,
                      last_activity_at=start, completed_at=end, **kw)  # fmt: skip

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
