"""queries.compare: two sessions' calls aligned, payloads compared in SQL, org-scoped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from queries import compare
from queries.compare import DIFFERS, ONLY_A, ONLY_B, OUTCOME, REPLACED, SAME
from tests import factories
from tests.factories import T0

# A call as (tool, input, output, is_error); the default one succeeds with the same result.
OK = {"ok": True}


def _calls(conn: sa.Connection, ses: dict, calls: list[tuple]) -> None:
    for seq, (tool, args, out, err) in enumerate(calls, 1):
        factories.tool_call(
            conn,
            ses,
            id=f"tc_{ses['id'].removeprefix('ses_')}_{seq}",
            seq=seq,
            tool_name=tool,
            input=args,
            output=out,
            is_error=err,
            error_message="boom" if err else None,
            started_at=T0 + timedelta(seconds=seq),
        )


def call(tool: str, args: object = None, out: object = OK, err: bool = False) -> tuple:
    return (tool, {"q": tool} if args is None else args, out, err)


@pytest.fixture()
def world(conn: sa.Connection) -> dict:
    """Two organizations with a user and server each; returns what the tests need."""
    acme, globex = factories.org(conn, id="org_acme"), factories.org(conn, id="org_globex")
    ua, ug = factories.end_user(conn, acme), factories.end_user(conn, globex)
    sa_, sg = factories.server(conn, acme), factories.server(conn, globex)
    return {"acme": acme, "globex": globex, "ua": ua, "ug": ug, "sa": sa_, "sg": sg}


def _session(conn: sa.Connection, world: dict, sid: str, calls: list[tuple], **kw) -> str:
    org = kw.pop("org", "acme")
    user, srv = (world["ua"], world["sa"]) if org == "acme" else (world["ug"], world["sg"])
    ses = factories.session(conn, world[org], user, srv, id=sid, **kw)
    _calls(conn, ses, calls)
    return sid


def _statuses(conn: sa.Connection, a: str, b: str, **kw) -> list[str]:
    got = compare.compare(conn, org_id="org_acme", a_session_id=a, b_session_id=b, **kw)
    return list(got.rows["status"])


def test_identical_sessions_align_call_for_call(conn, world):
    calls = [call("search"), call("fetch"), call("write")]
    a = _session(conn, world, "ses_a", calls)
    b = _session(conn, world, "ses_b", calls)
    got = compare.compare(conn, org_id="org_acme", a_session_id=a, b_session_id=b)
    assert list(got.rows["status"]) == [SAME] * 3
    assert list(got.rows["a_label"]) == list(got.rows["b_label"]) == ["search", "fetch", "write"]
    assert list(got.rows["a_id"]) == ["tc_a_1", "tc_a_2", "tc_a_3"]
    assert got.counts[SAME] == 3 and got.a_read == got.b_read == 3
    assert not got.a_capped and not got.b_capped


def test_one_empty_session_has_every_call_on_one_side(conn, world):
    a = _session(conn, world, "ses_a", [call("search"), call("fetch")])
    b = _session(conn, world, "ses_b", [])
    assert _statuses(conn, a, b) == [ONLY_A, ONLY_A]
    assert _statuses(conn, b, a) == [ONLY_B, ONLY_B]
    assert _statuses(conn, b, b) == []


def test_a_prefix_leaves_the_longer_sessions_tail_in_it_only(conn, world):
    calls = [call("search"), call("fetch"), call("write"), call("fetch")]
    a = _session(conn, world, "ses_a", calls[:2])
    b = _session(conn, world, "ses_b", calls)
    got = compare.compare(conn, org_id="org_acme", a_session_id=a, b_session_id=b)
    assert list(got.rows["status"]) == [SAME, SAME, ONLY_B, ONLY_B]
    assert pd.isna(got.rows["a_id"].iloc[2]) and got.rows["b_id"].iloc[2] == "tc_b_3"
    assert got.counts == {SAME: 2, DIFFERS: 0, OUTCOME: 0, REPLACED: 0, ONLY_A: 0, ONLY_B: 2}


def test_a_replaced_tool_pairs_by_position(conn, world):
    a = _session(conn, world, "ses_a", [call("search"), call("fetch"), call("write")])
    b = _session(conn, world, "ses_b", [call("search"), call("delete"), call("write")])
    got = compare.compare(conn, org_id="org_acme", a_session_id=a, b_session_id=b)
    assert list(got.rows["status"]) == [SAME, REPLACED, SAME]
    assert (got.rows["a_label"].iloc[1], got.rows["b_label"].iloc[1]) == ("fetch", "delete")


def test_a_call_inserted_in_the_middle_is_in_one_side_only(conn, world):
    a = _session(conn, world, "ses_a", [call("search"), call("write")])
    b = _session(conn, world, "ses_b", [call("search"), call("fetch"), call("write")])
    assert _statuses(conn, a, b) == [SAME, ONLY_B, SAME]
    assert _statuses(conn, b, a) == [SAME, ONLY_A, SAME]


def test_the_same_tool_with_other_arguments_or_results_differs(conn, world):
    a = _session(
        conn, world, "ses_a", [call("search", {"q": "x", "n": 1}), call("fetch"), call("write")]
    )
    b = _session(
        conn,
        world,
        "ses_b",
        # Same keys in another order: equal JSON; then another result; then another argument.
        [call("search", {"n": 1, "q": "x"}), call("fetch", out={"ok": False}), call("write", {})],
    )
    statuses = _statuses(conn, a, b)
    assert statuses[1:] == [DIFFERS, DIFFERS]
    # jsonb compares as canonical text; SQLite as stored, and the writer sorted neither.
    assert statuses[0] == (SAME if conn.dialect.name == "postgresql" else DIFFERS)


def test_a_different_error_message_is_a_different_result(conn, world):
    a = _session(conn, world, "ses_a", [call("fetch", out=None, err=True)])
    b = _session(conn, world, "ses_b", [])
    factories.tool_call(
        conn,
        {"id": b, "org_id": "org_acme", "started_at": T0},
        id="tc_b_1",
        tool_name="fetch",
        input={"q": "fetch"},
        output=None,
        is_error=True,
        error_message="timeout",
    )
    assert _statuses(conn, a, b) == [DIFFERS]


def test_a_different_outcome_is_marked_before_any_payload_difference(conn, world):
    a = _session(conn, world, "ses_a", [call("search"), call("fetch", out=None, err=True)])
    b = _session(conn, world, "ses_b", [call("search"), call("fetch")])
    assert _statuses(conn, a, b) == [SAME, OUTCOME]


def test_protocol_requests_align_only_when_asked(conn, world):
    a = _session(conn, world, "ses_a", [call("search")])
    b = _session(conn, world, "ses_b", [call("search")])
    ses_b = {"id": b, "org_id": "org_acme", "started_at": T0}
    factories.request(conn, ses_b, "resources/read", "docs://x", id="tc_b_read", seq=9)
    assert _statuses(conn, a, b) == [SAME]
    got = compare.compare(conn, org_id="org_acme", a_session_id=a, b_session_id=b, protocol=True)
    assert list(got.rows["status"]) == [ONLY_B, SAME]  # the request came first (T0)
    assert got.rows["b_label"].iloc[0] == "resources/read docs://x"


def test_each_side_is_read_in_timeline_order_and_capped(conn, world):
    a = _session(conn, world, "ses_a", [call(f"t{i}") for i in range(5)])
    b = _session(conn, world, "ses_b", [call(f"t{i}") for i in range(3)])
    got = compare.compare(conn, org_id="org_acme", a_session_id=a, b_session_id=b, cap=3)
    assert got.a_capped and not got.b_capped
    assert (got.a_read, got.b_read) == (3, 3)
    assert list(got.rows["a_label"]) == ["t0", "t1", "t2"]
    assert list(got.rows["status"]) == [SAME] * 3


def test_another_organizations_session_reads_as_empty(conn, world):
    a = _session(conn, world, "ses_a", [call("search")])
    g = _session(conn, world, "ses_g", [call("search")], org="globex")
    assert _statuses(conn, a, g) == [ONLY_A]
    assert _statuses(conn, g, g) == []
    # Globex's own view of it is whole, and acme's session is empty to globex.
    got = compare.compare(conn, org_id="org_globex", a_session_id=a, b_session_id=g)
    assert list(got.rows["status"]) == [ONLY_B]


def test_an_archived_session_reads_as_empty(conn, world):
    archived_at = datetime(2026, 11, 2, tzinfo=UTC)
    a = _session(conn, world, "ses_a", [call("search")])
    b = _session(conn, world, "ses_b", [call("search")], archived_at=archived_at)
    assert _statuses(conn, a, b) == [ONLY_A]


def test_alignment_of_repeated_tools_keeps_the_longest_common_run():
    def c(n: int, name: str) -> compare.Call:
        return compare.Call(f"tc_{n}", n, name, False, 1, T0, 1, 1)

    a = [c(i, t) for i, t in enumerate("xyxyz")]
    b = [c(i, t) for i, t in enumerate("xyz")]
    got = [status for _, _, status in compare.align(a, b)]
    assert got == [SAME, SAME, ONLY_A, ONLY_A, SAME]
