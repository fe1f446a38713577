from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from queries import timeline
from queries.timeline import TimelineFilter
from tests import factories
from tests.factories import T0

S = timedelta(seconds=1)
# (id, seq, tool, at offset in s, is_error): calls 3 and 4 share an instant (seq decides),
# calls 6a and 6b share instant and seq (id decides).
CALLS = [
    ("tc_1", 1, "search", 0, False),
    ("tc_2", 2, "fetch", 1, True),
    ("tc_3", 3, "search", 2, False),
    ("tc_4", 4, "fetch", 2, False),
    ("tc_5", 5, "write", 3, False),
    ("tc_6b", 6, "write", 4, False),
    ("tc_6a", 6, "write", 4, False),
]
TICKETS = [("sr_1", 2), ("sr_0", 2), ("sr_2", 5)]  # at the same instant as calls: after them
ORDER = ["tc_1", "tc_2", "tc_3", "tc_4", "sr_0", "sr_1", "tc_5", "tc_6a", "tc_6b", "sr_2"]


def _fill(conn: sa.Connection, ses: dict, user: dict, suffix: str = "", **kw) -> None:
    for cid, seq, tool, off, err in CALLS:
        factories.tool_call(
            conn,
            ses,
            id=cid + suffix,
            seq=seq,
            tool_name=tool,
            started_at=T0 + off * S,
            is_error=err,
            error_message="boom" if err else None,
            **kw,
        )
    for tid, off in TICKETS:
        factories.ticket(
            conn,
            ses,
            user,
            id=tid + suffix,
            created_at=T0 + off * S,
            title=f"Help {tid}",
            priority="high",
            **kw,
        )


@pytest.fixture()
def world(conn: sa.Connection) -> None:
    """ses_t in org A; the same shape archived in A and in org B; strays that must not show."""
    a, b = factories.org(conn, id="org_a"), factories.org(conn, id="org_b")
    ua, ub = factories.end_user(conn, a), factories.end_user(conn, b)
    sva, svb = factories.server(conn, a), factories.server(conn, b)
    ses = factories.session(conn, a, ua, sva, id="ses_t", started_at=T0)
    _fill(conn, ses, ua)
    arch = factories.session(conn, a, ua, sva, id="ses_arch", started_at=T0, archived_at=T0)
    _fill(conn, arch, ua, "_arch")
    _fill(conn, factories.session(conn, b, ub, svb, id="ses_b", started_at=T0), ub, "_b")
    factories.tool_call(conn, ses, id="tc_stray", org_id="org_b", started_at=T0)  # wrong org
    factories.ticket(conn, None, ua, id="sr_nosession", created_at=T0)


FILTERS = [
    (TimelineFilter(), ORDER),
    (TimelineFilter(kinds=("tool_call",)), [i for i in ORDER if i.startswith("tc_")]),
    (TimelineFilter(kinds=("ticket",)), ["sr_0", "sr_1", "sr_2"]),
    (TimelineFilter(tool="search"), ["tc_1", "tc_3"]),
    (TimelineFilter(errors_only=True), ["tc_2"]),
    (TimelineFilter(kinds=()), []),
]
A = {"org_id": "org_a", "session_id": "ses_t"}


def test_window_merges_in_time_order_with_columns(conn: sa.Connection, world) -> None:
    page = timeline.window(conn, **A)
    assert list(page.rows["id"]) == ORDER
    assert list(page.rows.columns) == list(timeline.COLUMNS)
    assert page.next_cursor is None
    rows = {r["id"]: _plain(r) for r in page.rows.to_dict("records")}
    assert rows["tc_2"] == {
        "kind": "tool_call",
        "id": "tc_2",
        "at": T0 + S,
        "label": "fetch",
        "seq": 2,
        "duration_ms": 100,
        "is_error": True,
        "error_message": "boom",
        "status": None,
        "priority": None,
    }
    assert rows["sr_1"] == {
        "kind": "ticket",
        "id": "sr_1",
        "at": T0 + 2 * S,
        "label": "Help sr_1",
        "seq": None,
        "duration_ms": None,
        "is_error": False,
        "error_message": None,
        "status": "pending",
        "priority": "high",
    }


def _plain(row: dict) -> dict:
    """A frame row with pandas' missing markers (NaN, NaT) as None."""
    return {k: None if pd.isna(v) else v for k, v in row.items()}


@pytest.mark.parametrize(("flt", "expected"), FILTERS)
@pytest.mark.parametrize("limit", [1, 3, 4, 10])
def test_window_pages_positions_and_prev(conn: sa.Connection, world, flt, expected, limit) -> None:
    _walk(conn, A, flt, expected, limit)


def _walk(conn: sa.Connection, k: dict, flt: TimelineFilter, expected: list, limit: int) -> None:
    """Page through with the filter: every window, position, count and prev cursor agree."""
    seen, afters, after = [], [None], None
    assert timeline.count(conn, **k, flt=flt) == len(expected)
    for _ in range(20):
        assert timeline.position(conn, **k, flt=flt, cursor=after) == len(seen)
        page = timeline.window(conn, **k, flt=flt, after=after, limit=limit)
        seen += list(page.rows["id"])
        after = page.next_cursor
        if after is None:
            break
        hash(after)  # cursors are cache keys
        afters.append(after)
    assert seen == expected
    for prev, cursor in zip(afters, afters[1:], strict=False):
        assert timeline.cursor_before(conn, **k, flt=flt, cursor=cursor, limit=limit) == prev


@pytest.mark.parametrize("seq", [1, 2, 4, 5, 6])
def test_cursor_at_seq_starts_the_window_at_that_call(conn: sa.Connection, world, seq) -> None:
    cursor = timeline.cursor_at_seq(conn, **A, seq=seq)
    first = timeline.window(conn, **A, after=cursor, limit=2).rows.iloc[0]
    assert (first["kind"], first["seq"]) == ("tool_call", seq)
    assert timeline.position(conn, **A, flt=TimelineFilter(), cursor=cursor) == ORDER.index(
        first["id"]
    )


def test_cursor_at_seq_missing_and_with_filter(conn: sa.Connection, world) -> None:
    assert timeline.cursor_at_seq(conn, **A, seq=99) is None
    cursor = timeline.cursor_at_seq(conn, **A, seq=1)
    flt = TimelineFilter(errors_only=True)
    assert list(timeline.window(conn, **A, flt=flt, after=cursor).rows["id"]) == ["tc_2"]


def test_summary(conn: sa.Connection, world) -> None:
    assert timeline.summary(conn, **A) == timeline.TimelineSummary(
        tool_calls=7,
        errors=1,
        tickets=3,
        tools=("fetch", "search", "write"),
        first_at=T0,
        last_at=T0 + 5 * S,
    )


def test_summary_of_an_empty_session(conn: sa.Connection, world) -> None:
    a = {"id": "org_a"}
    ses = factories.session(conn, a, factories.end_user(conn, a), factories.server(conn, a))
    got = timeline.summary(conn, org_id="org_a", session_id=ses["id"])
    assert got == timeline.TimelineSummary(0, 0, 0, (), None, None)


@pytest.mark.parametrize(
    ("org_id", "session_id"),
    [("org_a", "ses_b"), ("org_b", "ses_t"), ("org_a", "ses_arch"), ("org_a", "nope")],
)
def test_invisible_session_gives_nothing(conn: sa.Connection, world, org_id, session_id) -> None:
    k = {"org_id": org_id, "session_id": session_id}
    flt = TimelineFilter()
    assert timeline.summary(conn, **k) is None
    page = timeline.window(conn, **k)
    assert page.rows.empty and list(page.rows.columns) == list(timeline.COLUMNS)
    assert page.next_cursor is None
    assert timeline.count(conn, **k, flt=flt) == 0
    assert timeline.position(conn, **k, flt=flt, cursor=(T0.isoformat(), 0, 1, "tc_1")) == 0
    assert timeline.cursor_at_seq(conn, **k, seq=1) is None
    cursor = (T0.isoformat(), 1, 0, "sr_9")
    assert timeline.cursor_before(conn, **k, flt=flt, cursor=cursor, limit=1) is None


# --- protocol requests: tool_calls rows whose method is not tools/call ---------------------------

P = {"org_id": "org_a", "session_id": "ses_p"}
# (id, seq, method, target, at offset in s, is_error); a ticket at +3 s sorts after tc_p4.
REQUESTS = [
    ("tc_p1", 1, "initialize", None, 0, False),
    ("tc_p2", 2, "tools/list", None, 1, False),
    ("tc_p3", 3, "tools/call", "search", 2, False),
    ("tc_p4", 4, "resources/read", "docs://index", 3, True),
    ("tc_p5", 5, "tools/call", "search", 4, True),
]
P_ORDER = ["tc_p1", "tc_p2", "tc_p3", "tc_p4", "sr_p", "tc_p5"]


@pytest.fixture()
def protocol_world(conn: sa.Connection) -> None:
    """ses_p in org A: protocol requests between its tool calls, and one ticket."""
    a = factories.org(conn, id="org_a")
    user = factories.end_user(conn, a)
    ses = factories.session(conn, a, user, factories.server(conn, a), id="ses_p", started_at=T0)
    for rid, seq, method, target, off, err in REQUESTS:
        factories.request(
            conn, ses, method, target, id=rid, seq=seq, started_at=T0 + off * S, is_error=err
        )
    factories.ticket(conn, ses, user, id="sr_p", created_at=T0 + 3 * S)


def test_protocol_requests_are_their_own_kind_labelled_by_method_and_target(
    conn: sa.Connection, protocol_world
) -> None:
    rows = timeline.window(conn, **P).rows
    assert list(rows["id"]) == P_ORDER
    assert list(zip(rows["kind"], rows["label"], strict=True)) == [
        ("protocol", "initialize"),
        ("protocol", "tools/list"),
        ("tool_call", "search"),
        ("protocol", "resources/read docs://index"),
        ("ticket", "Ticket sr_p"),
        ("tool_call", "search"),
    ]


PROTOCOL_FILTERS = [
    (TimelineFilter(), P_ORDER),
    (TimelineFilter(kinds=("tool_call",)), ["tc_p3", "tc_p5"]),
    (TimelineFilter(kinds=("protocol",)), ["tc_p1", "tc_p2", "tc_p4"]),
    (TimelineFilter(kinds=("tool_call", "ticket")), ["tc_p3", "sr_p", "tc_p5"]),
    (TimelineFilter(kinds=("protocol", "ticket")), ["tc_p1", "tc_p2", "tc_p4", "sr_p"]),
    (TimelineFilter(tool="search"), ["tc_p3", "tc_p5"]),
    (TimelineFilter(tool="tools/list"), []),  # a method is not a tool
    (TimelineFilter(kinds=("protocol",), tool="search"), []),
    (TimelineFilter(errors_only=True), ["tc_p4", "tc_p5"]),  # a failed request is an error too
    (TimelineFilter(kinds=("tool_call",), errors_only=True), ["tc_p5"]),
]


@pytest.mark.parametrize(("flt", "expected"), PROTOCOL_FILTERS)
@pytest.mark.parametrize("limit", [1, 2, 4])
def test_protocol_kind_filters_page_by_keyset(
    conn: sa.Connection, protocol_world, flt, expected, limit
) -> None:
    _walk(conn, P, flt, expected, limit)


def test_summary_counts_and_lists_tools_call_rows_only(conn: sa.Connection, protocol_world) -> None:
    assert timeline.summary(conn, **P) == timeline.TimelineSummary(
        tool_calls=2,
        errors=1,
        tickets=1,
        tools=("search",),
        first_at=T0,
        last_at=T0 + 4 * S,
        protocol=3,
    )


def test_cursor_at_seq_reaches_a_protocol_request(conn: sa.Connection, protocol_world) -> None:
    cursor = timeline.cursor_at_seq(conn, **P, seq=2)
    assert list(timeline.window(conn, **P, after=cursor, limit=2).rows["id"]) == ["tc_p2", "tc_p3"]


# --- workflow stages: their own kind, merged in time; a cursor that shows a given item ---------


@pytest.fixture()
def stage_world(conn: sa.Connection) -> None:
    """ses_w: scraping at 0 s, a call at 1 s, enrichment (failed) at 2 s, a ticket at 2 s, two
    stages not started; the same stages in org B's look-alike session."""
    a, b = factories.org(conn, id="org_a"), factories.org(conn, id="org_b")
    ua, ub = factories.end_user(conn, a), factories.end_user(conn, b)
    sva = factories.server(conn, a, kind="workflow")
    svb = factories.server(conn, b, kind="workflow")
    ses = factories.session(conn, a, ua, sva, id="ses_w", started_at=T0)
    factories.stage(conn, ses, "scraping", started_at=T0, completed_at=T0 + S)
    factories.tool_call(conn, ses, id="tc_w1", seq=1, started_at=T0 + S)
    factories.stage(conn, ses, "enrichment", status="failed", started_at=T0 + 2 * S)
    factories.ticket(conn, ses, ua, id="sr_w1", created_at=T0 + 2 * S)
    for stage in ("contacts", "results"):
        factories.stage(conn, ses, stage, status="pending", started_at=None, completed_at=None)
    other = factories.session(conn, b, ub, svb, id="ses_wb", started_at=T0)
    factories.stage(conn, other, "scraping", started_at=T0)


W = {"org_id": "org_a", "session_id": "ses_w"}
STAGE_ORDER = ["stg_scraping", "tc_w1", "sr_w1", "stg_enrichment"]  # same instant: ticket, stage


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (TimelineFilter(), STAGE_ORDER),
        (TimelineFilter(kinds=("stage",)), ["stg_scraping", "stg_enrichment"]),
        (TimelineFilter(kinds=("tool_call", "ticket")), ["tc_w1", "sr_w1"]),
        (TimelineFilter(errors_only=True), ["stg_enrichment"]),
        (TimelineFilter(tool="tool"), []),  # a tool filter keeps tool calls only
    ],
)
@pytest.mark.parametrize("limit", [1, 2, 10])
def test_stages_merge_in_time_and_page_by_keyset(
    conn: sa.Connection, stage_world, flt, expected, limit
) -> None:
    _walk(conn, W, flt, expected, limit)


def test_stage_rows_and_summary(conn: sa.Connection, stage_world) -> None:
    rows = timeline.window(conn, **W).rows.set_index("id")
    assert list(rows.loc["stg_enrichment", ["kind", "label", "status", "is_error"]]) == [
        "stage",
        "enrichment",
        "failed",
        True,
    ]
    got = timeline.summary(conn, **W)
    assert (got.stages, got.pending_stages) == (2, ("contacts", "results"))
    assert got.last_at == T0 + 2 * S


@pytest.mark.parametrize("item_id", ["tc_w1", "sr_w1", "stg_enrichment", "stg_scraping"])
@pytest.mark.parametrize("above", [0, 1, 3])
def test_cursor_showing_puts_the_item_at_row_above_plus_one(
    conn: sa.Connection, stage_world, item_id: str, above: int
) -> None:
    flt = TimelineFilter()
    cursor = timeline.cursor_showing(conn, **W, flt=flt, item_id=item_id, above=above)
    ids = list(timeline.window(conn, **W, after=cursor, limit=3).rows["id"])
    at = STAGE_ORDER.index(item_id)
    assert ids == STAGE_ORDER[max(at - above, 0) :][:3]


@pytest.mark.parametrize(
    ("org_id", "session_id", "item_id"),
    [
        ("org_b", "ses_w", "tc_w1"),  # another organization
        ("org_a", "ses_w", "stg_contacts"),  # not started: not in the timeline
        ("org_a", "ses_w", "tc_nope"),
        ("org_a", "ses_wb", "stg_scraping"),  # org B's session named from org A
        ("org_a", "ses_w", "xx_1"),
    ],
)
def test_item_key_of_what_is_not_there_is_none(
    conn: sa.Connection, stage_world, org_id, session_id, item_id
) -> None:
    assert timeline.item_key(conn, org_id=org_id, session_id=session_id, item_id=item_id) is None
