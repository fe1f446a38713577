"""sessionscope.downloads on both backends: a payload handed out with exactly one audit entry."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from sessionscope import downloads
from sessionscope.errors import NotFound
from sessionscope.schema import audit_log
from tests import factories
from tests.factories import T0

ACTOR = "analyst@acme.example"
PAYLOAD = {"query": "café ☕", "rows": list(range(50))}


@pytest.fixture()
def world(conn: sa.Connection) -> None:
    acme, other = factories.org(conn, id="org_acme"), factories.org(conn, id="org_other")
    for org, sid in ((acme, "ses_a"), (other, "ses_o")):
        user, srv = factories.end_user(conn, org), factories.server(conn, org)
        archived = T0 if sid == "ses_o" else None
        factories.session(conn, org, user, srv, id=sid, archived_at=archived)
    ses = {"id": "ses_a", "org_id": "org_acme", "started_at": T0}
    factories.tool_call(conn, ses, id="tc_a", input=PAYLOAD, output=None)
    factories.tool_call(conn, {**ses, "id": "ses_o", "org_id": "org_other"}, id="tc_o")


def _entries(conn: sa.Connection) -> list[sa.RowMapping]:
    a = audit_log.c
    stmt = sa.select(a.org_id, a.actor_email, a.action, a.target_type, a.target_id, a.detail)
    return list(conn.execute(stmt.order_by(a.created_at, a.id)).mappings())


def test_a_download_hands_out_the_payload_and_names_who_what_and_how_much(
    conn: sa.Connection, world: None
) -> None:
    data = downloads.payload(conn, org_id="org_acme", actor=ACTOR, item_id="tc_a", field="input")
    assert json.loads(data) == PAYLOAD
    [entry] = _entries(conn)
    assert dict(entry) == {
        "org_id": "org_acme",
        "actor_email": ACTOR,
        "action": "payload.download",
        "target_type": "tool_call",
        "target_id": "tc_a",
        "detail": {"field": "input", "bytes": len(data), "ids": ["tc_a"]},
    }


def test_every_download_is_one_entry(conn: sa.Connection, world: None) -> None:
    for _ in range(3):
        downloads.payload(conn, org_id="org_acme", actor=ACTOR, item_id="tc_a", field="input")
    assert len(_entries(conn)) == 3


@pytest.mark.parametrize(
    ("item_id", "field"),
    [("tc_o", "input"), ("tc_nope", "input"), ("sr_a", "input")],  # tc_o: archived, elsewhere
)
def test_nothing_to_hand_out_is_not_found_and_not_audited(
    conn: sa.Connection, world: None, item_id: str, field: downloads.Field
) -> None:
    with pytest.raises(NotFound):
        downloads.payload(conn, org_id="org_acme", actor=ACTOR, item_id=item_id, field=field)
    assert _entries(conn) == []
