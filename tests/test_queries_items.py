from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from queries import items
from tests import factories
from tests.factories import T0

BIG = {"blob": "x" * 1_200_000}  # serialized as '{"blob": "xxx..."}' on both backends
BIG_TEXT = json.dumps(BIG)


@pytest.fixture()
def world(conn: sa.Connection) -> None:
    """A call and tickets in org A's ses_a; the same ids' look-alikes archived and in org B."""
    a, b = factories.org(conn, id="org_a"), factories.org(conn, id="org_b")
    ua, ub = factories.end_user(conn, a, id="usr_a"), factories.end_user(conn, b, id="usr_b")
    sva, svb = factories.server(conn, a), factories.server(conn, b)
    ses = factories.session(conn, a, ua, sva, id="ses_a")
    arch = factories.session(conn, a, ua, sva, id="ses_arch", archived_at=T0)
    sesb = factories.session(conn, b, ub, svb, id="ses_b")
    factories.tool_call(
        conn,
        ses,
        id="tc_a",
        seq=3,
        tool_name="fetch",
        duration_ms=250,
        is_error=True,
        error_message="timeout",
    )
    factories.tool_call(conn, ses, id="tc_big", seq=4, input=BIG, output=[1, 2])
    factories.ticket(
        conn,
        ses,
        ua,
        id="sr_a",
        title="Stuck",
        summary="It hangs",
        context="step 3",
        status="resolved",
        priority="critical",
        resolved_at=T0 + timedelta(hours=1),
    )
    factories.ticket(conn, None, ua, id="sr_nosession", title="General")
    for suffix, s, u in (("arch", arch, ua), ("b", sesb, ub)):
        factories.tool_call(conn, s, id=f"tc_{suffix}")
        factories.ticket(conn, s, u, id=f"sr_{suffix}")


A = {"org_id": "org_a"}


def test_tool_call_small_payloads_are_parsed(conn: sa.Connection, world) -> None:
    assert items.get(conn, **A, item_id="tc_a") == items.ToolCallDetail(
        id="tc_a",
        session_id="ses_a",
        seq=3,
        tool_name="fetch",
        started_at=T0,
        duration_ms=250,
        is_error=True,
        error_message="timeout",
        input={"q": "x"},
        output={"ok": True},
        input_bytes=len('{"q": "x"}'),
        output_bytes=len('{"ok": true}'),
        input_preview=None,
        output_preview=None,
    )


def test_big_payload_is_previewed_and_downloadable(conn: sa.Connection, world) -> None:
    got = items.get(conn, **A, item_id="tc_big")
    assert got.input is None
    assert got.input_bytes == len(BIG_TEXT) == 1_200_012
    assert got.input_preview == BIG_TEXT[: items.PREVIEW_CHARS]
    assert (got.output, got.output_bytes, got.output_preview) == ([1, 2], 6, None)
    text = items.payload_text(conn, **A, item_id="tc_big", field="input")
    assert text == BIG_TEXT and json.loads(text) == BIG
    assert json.loads(items.payload_text(conn, **A, item_id="tc_big", field="output")) == [1, 2]


def test_preview_cut_at_the_limit(conn: sa.Connection, world, monkeypatch) -> None:
    monkeypatch.setattr(items, "PREVIEW_BYTES", 10)
    monkeypatch.setattr(items, "PREVIEW_CHARS", 10)
    got = items.get(conn, **A, item_id="tc_a")
    assert (got.input, got.input_preview) == ({"q": "x"}, None)  # exactly 10 bytes: kept
    assert (got.output, got.output_preview, got.output_bytes) == (None, '{"ok": tru', 12)


ATTRIBUTES = {
    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
    "span_ids": ["00f067aa0ba902b7", "53995c3f42cd8ad8"],
    "request_id": "7",
    "error_type": "resource_not_found",
}


def test_a_protocol_request_has_its_method_and_attributes(conn: sa.Connection, world) -> None:
    ses = {"id": "ses_a", "org_id": "org_a", "started_at": T0}
    factories.request(
        conn,
        ses,
        "resources/read",
        "docs://index",
        id="tc_read",
        seq=5,
        is_error=True,
        attributes=ATTRIBUTES,
    )
    got = items.get(conn, **A, item_id="tc_read")
    assert (got.method, got.tool_name, got.attributes) == (
        "resources/read",
        "docs://index",
        ATTRIBUTES,
    )
    assert (got.input, got.output, got.is_error) == (None, None, True)
    call = items.get(conn, **A, item_id="tc_a")  # rows from before contract v2
    assert (call.method, call.attributes) == ("tools/call", None)


def test_ticket_detail(conn: sa.Connection, world) -> None:
    got = items.get(conn, **A, item_id="sr_a")
    assert got == items.TicketDetail(
        id="sr_a",
        session_id="ses_a",
        end_user_id="usr_a",
        email="usr_a@users.example",
        title="Stuck",
        summary="It hangs",
        context="step 3",
        status="resolved",
        priority="critical",
        created_at=T0,
        resolved_at=T0 + timedelta(hours=1),
    )
    assert items.get(conn, **A, item_id="sr_nosession").title == "General"


@pytest.mark.parametrize(
    ("org_id", "item_id"),
    [
        ("org_a", "tc_b"),
        ("org_a", "sr_b"),
        ("org_b", "tc_a"),
        ("org_b", "sr_a"),
        ("org_b", "sr_nosession"),
        ("org_a", "tc_arch"),
        ("org_a", "sr_arch"),
        ("org_a", "tc_nope"),
        ("org_a", "ses_a"),
        ("org_a", "usr_a"),
        ("org_a", ""),
    ],
)
def test_not_visible_is_none(conn: sa.Connection, world, org_id: str, item_id: str) -> None:
    assert items.get(conn, org_id=org_id, item_id=item_id) is None
    assert items.payload_text(conn, org_id=org_id, item_id=item_id, field="input") is None


def test_payload_text_rejects_other_fields(conn: sa.Connection, world) -> None:
    with pytest.raises(ValueError, match="field"):
        items.payload_text(conn, **A, item_id="tc_a", field="error_message")  # type: ignore[arg-type]
