from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from queries import stages
from sessionscope import schema
from tests import factories
from tests.factories import T0


@pytest.fixture()
def world(conn: sa.Connection) -> None:
    """A workflow session in org A with three stages and three saved states; look-alikes."""
    a, b = factories.org(conn, id="org_a"), factories.org(conn, id="org_b")
    ua, ub = factories.end_user(conn, a), factories.end_user(conn, b)
    sva, svb = factories.server(conn, a, kind="workflow"), factories.server(conn, b)
    ses = factories.session(conn, a, ua, sva, id="ses_w")
    # Inserted in alphabetical order, which is not the canonical one.
    factories.stage(conn, ses, "campaigns", status="pending", total=0, completed=0)
    factories.stage(
        conn, ses, "enrichment", status="running", total=8, completed=3, failed=1, data={"batch": 2}
    )
    factories.stage(conn, ses, "scraping")
    for version in (1, 3, 2):
        factories.state(
            conn, ses, version, {"v": version}, created_at=T0 + timedelta(minutes=version)
        )
    others = [
        factories.session(conn, a, ua, sva, id="ses_arch", archived_at=T0),
        factories.session(conn, b, ub, svb, id="ses_b"),
    ]
    for other in others:
        factories.stage(conn, other, "scraping")
        factories.state(conn, other, 1, {"v": "other"})


A = {"org_id": "org_a", "session_id": "ses_w"}


def test_stages_in_canonical_order(conn: sa.Connection, world) -> None:
    df = stages.stages(conn, **A)
    assert list(df.columns) == [c.name for c in schema.session_stages.columns]
    assert list(df["stage"]) == ["scraping", "enrichment", "campaigns"]
    enrichment = df.set_index("stage").loc["enrichment"]
    assert (enrichment["status"], enrichment["total"], enrichment["completed"]) == ("running", 8, 3)
    assert (enrichment["failed"], enrichment["data"]) == (1, {"batch": 2})
    assert enrichment["completed_at"] == T0 + timedelta(minutes=1)


def test_states_newest_version_first(conn: sa.Connection, world) -> None:
    df = stages.states(conn, **A)
    assert list(df.columns) == ["version", "created_at", "state"]
    assert list(df["version"]) == [3, 2, 1]
    assert list(df["state"]) == [{"v": 3}, {"v": 2}, {"v": 1}]
    assert df["created_at"].iloc[0] == T0 + timedelta(minutes=3)


@pytest.mark.parametrize(
    ("org_id", "session_id"),
    [("org_a", "ses_b"), ("org_b", "ses_w"), ("org_a", "ses_arch"), ("org_a", "nope")],
)
def test_invisible_session_is_empty(conn: sa.Connection, world, org_id, session_id) -> None:
    k = {"org_id": org_id, "session_id": session_id}
    got_stages, got_states = stages.stages(conn, **k), stages.states(conn, **k)
    assert got_stages.empty and "stage" in got_stages.columns
    assert got_states.empty and list(got_states.columns) == ["version", "created_at", "state"]
