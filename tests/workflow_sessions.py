"""A lead-gen workflow session stopped part-way through `contacts`, with its stage rows and
saved states, as the resume tests build it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests import factories
from tests.factories import T0, Row, valid_state

NOW = T0 + timedelta(days=1)
ACTOR = "ops@example.com"

# Stopped part-way through `contacts`: two stages done, one running, two never reached.
STAGE_ROWS = [
    {"stage": "scraping", "status": "completed", "total": 120, "completed": 118, "failed": 2},
    {"stage": "enrichment", "status": "completed", "total": 50, "completed": 50, "failed": 0},
    {"stage": "contacts", "status": "running", "total": 100, "completed": 40, "failed": 1},
    {"stage": "campaigns", "status": "pending", "total": 0, "completed": 0, "failed": 0},
    {"stage": "results", "status": "pending", "total": 0, "completed": 0, "failed": 0},
]
EARLY_STATE = valid_state(
    1,
    stage="scraping",
    completed_stages=[],
    metrics={"jobs": 0, "companies": 0, "contacts": 0, "campaigns": 0},
    cursor={"stage": "scraping", "offset": 0, "batch_size": 10},
)

NO_STATE = object()  # `latest=NO_STATE`: a session that never saved a state


def workflow_session(
    conn: sa.Connection,
    org: Row,
    *,
    status: str = "paused",
    latest: Any = None,
    stages: list[dict[str, Any]] | None = None,
    idle: timedelta = timedelta(hours=2),
    **kw: Any,
) -> Row:
    """A lead-gen session stopped at `contacts`: stage rows, saved states v1 and v2 (`latest`)."""
    latest = valid_state() if latest is None else latest
    user, srv = factories.end_user(conn, org), factories.server(conn, org, kind="workflow")
    ses = factories.session(
        conn,
        org,
        user,
        srv,
        status=status,
        current_stage="contacts",
        last_activity_at=NOW - idle,
        completed_at=None if status in ("active", "paused") else NOW - idle,
        workflow_state=None if latest is NO_STATE else latest,
        state_version=0 if latest is NO_STATE else 2,
        **kw,
    )
    for row in STAGE_ROWS if stages is None else stages:
        factories.stage(conn, ses, row["stage"], **{k: v for k, v in row.items() if k != "stage"})
    if latest is not NO_STATE:
        factories.state(conn, ses, 1, EARLY_STATE, created_at=T0)
        factories.state(conn, ses, 2, latest, created_at=T0 + timedelta(hours=1))
    return ses


def committed_session(engine: Engine, *, admins: tuple[str, ...] = (ACTOR,), **kw: Any) -> Row:
    """A workflow session of a new org whose admins are `admins`, committed."""
    with engine.begin() as conn:
        org = factories.org(conn)
        for email in admins:
            factories.member(conn, org, email=email, role="admin")
        return workflow_session(conn, org, **kw)
