"""Find within a session: TimelineFilter.contains, its count, keyset pages, next/previous
match and a match's number, on both databases (case, non-English text, hostile text)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from queries import timeline
from queries.timeline import TimelineFilter
from sessionscope import schema
from sessionscope.textfold import fold_json
from tests import factories
from tests.factories import T0

S = timedelta(seconds=1)
# id -> (seq, at offset in s, input, output, error message). The defaults' texts ({"q": "x"},
# {"ok": true}) hold none of the terms searched below.
CALLS = {
    "tc_1": (1, 0, {"customer": "Müller GmbH"}, {"ok": True}, None),
    "tc_2": (2, 1, {"q": "x"}, {"country": "ΕΛΛΆΔΑ"}, None),
    "tc_3": (3, 2, {"q": "x"}, None, "quota 100% used by job_7"),
    "tc_4": (4, 3, {"pattern": "a.*b[0-9]+", "tax": 3}, {"ok": True}, None),
    "tc_5": (5, 5, {"q": "x"}, {"ok": True}, None),  # matches nothing
    "tc_6": (6, 6, {"note": "mueller", "path": "C:\\temp"}, {"ok": True}, None),
}
# id -> (at offset, title, summary, context)
TICKETS = {
    "sr_1": (4, "Refund for MÜLLER", "It broke", ""),
    "sr_2": (7, "Other", "It broke", "seen in Ελλάδα"),
}
ORDER = ["tc_1", "tc_2", "tc_3", "tc_4", "sr_1", "tc_5", "tc_6", "sr_2", "stg_scraping"]
A = {"org_id": "org_a", "session_id": "ses_f"}


def _fill(conn: sa.Connection, ses: dict, user: dict, suffix: str = "") -> None:
    for cid, (seq, off, inp, out, err) in CALLS.items():
        factories.tool_call(
            conn,
            ses,
            id=cid + suffix,
            seq=seq,
            started_at=T0 + off * S,
            input=inp,
            output=out,
            is_error=err is not None,
            error_message=err,
        )
    for tid, (off, title, summary, context) in TICKETS.items():
        factories.ticket(
            conn,
            ses,
            user,
            id=tid + suffix,
            created_at=T0 + off * S,
            title=title,
            summary=summary,
            context=context,
        )
    at = T0 + 8 * S
    factories.stage(conn, ses, "scraping", started_at=at, data={"source": "Straße München"})


@pytest.fixture()
def world(conn: sa.Connection) -> None:
    """ses_f in org A; the same items in org B's ses_b (which A must never find)."""
    a, b = factories.org(conn, id="org_a"), factories.org(conn, id="org_b")
    ua, ub = factories.end_user(conn, a), factories.end_user(conn, b)
    sva, svb = factories.server(conn, a), factories.server(conn, b)
    _fill(conn, factories.session(conn, a, ua, sva, id="ses_f", started_at=T0), ua)
    _fill(conn, factories.session(conn, b, ub, svb, id="ses_b", started_at=T0), ub, "_b")


ALL = TimelineFilter()


def found(conn: sa.Connection, q: str, flt: TimelineFilter = ALL, **k: str) -> list:
    where = A | k
    return list(timeline.window(conn, **where, flt=flt.finding(q)).rows["id"])


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("müller", ["tc_1", "sr_1"]),  # a payload (stored as M\u00fcller on SQLite), a title
        ("MÜLLER", ["tc_1", "sr_1"]),
        ("Müller GmbH", ["tc_1"]),  # a phrase
        ("ελλάδα", ["tc_2", "sr_2"]),  # an output, a ticket's context
        ("ΕΛΛΆΔΑ", ["tc_2", "sr_2"]),
        ("Ελλάδα", ["tc_2", "sr_2"]),
        ("STRASSE", []),  # lower case, not Unicode case folding: ß is not ss
        ("straße münchen", ["stg_scraping"]),  # a stage's data
        ("100%", ["tc_3"]),  # an error message; % is itself
        ("%", ["tc_3"]),
        ("ob_7", ["tc_3"]),
        ("t_x", []),  # _ is itself: not "tax"
        (".*b[0-9]+", ["tc_4"]),  # regex characters are themselves
        ("a.b", []),
        ('"customer"', ["tc_1"]),  # JSON text: keys and quotes are in it
        ("QUOTA", ["tc_3"]),
        ("nothing at all", []),
        ("nul\x00byte", []),
    ],
)
def test_contains_is_a_case_insensitive_literal_substring(
    conn: sa.Connection, world, q: str, expected: list
) -> None:
    assert found(conn, q) == expected
    assert timeline.count(conn, **A, flt=TimelineFilter().finding(q)) == len(expected)


def test_the_other_filters_still_apply(conn: sa.Connection, world) -> None:
    assert found(conn, "müller", TimelineFilter(kinds=("ticket",))) == ["sr_1"]
    assert found(conn, "ελλάδα", TimelineFilter(errors_only=True)) == []
    assert found(conn, "quota", TimelineFilter(errors_only=True)) == ["tc_3"]
    assert found(conn, "müller", TimelineFilter(tool="search")) == ["tc_1"]


def test_no_text_is_no_filter(conn: sa.Connection, world) -> None:
    assert TimelineFilter().finding("") == TimelineFilter().finding(None) == TimelineFilter()
    assert found(conn, "") == ORDER


def test_another_org_finds_nothing(conn: sa.Connection, world) -> None:
    assert found(conn, "müller", org_id="org_b") == []  # A's session, B's org
    assert found(conn, "müller", session_id="ses_b") == []  # B's session, A's org
    assert found(conn, "müller", org_id="org_b", session_id="ses_b") == ["tc_1_b", "sr_1_b"]
    flt = TimelineFilter().finding("müller")
    assert timeline.count(conn, org_id="org_b", session_id="ses_f", flt=flt) == 0
    step = {"flt": flt, "item_id": None, "forward": True}
    assert timeline.step(conn, org_id="org_b", session_id="ses_f", **step) is None
    assert (
        timeline.place(conn, org_id="org_a", session_id="ses_b", flt=flt, item_id="tc_1_b") is None
    )


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_matches_page_by_keyset_with_positions(conn: sa.Connection, world, limit: int) -> None:
    flt = TimelineFilter().finding("OK")  # {"ok": true} and the tickets' "It broke"
    expected = ["tc_1", "tc_4", "sr_1", "tc_5", "tc_6", "sr_2"]
    seen, after = [], None
    while True:
        assert timeline.position(conn, **A, flt=flt, cursor=after) == len(seen)
        page = timeline.window(conn, **A, flt=flt, after=after, limit=limit)
        seen += list(page.rows["id"])
        after = page.next_cursor
        if after is None:
            break
    assert seen == expected


def test_next_and_previous_match_and_the_match_number(conn: sa.Connection, world) -> None:
    flt = TimelineFilter().finding("müller")  # tc_1, sr_1; tc_6 has "mueller"

    def step(item: str | None, forward: bool) -> str | None:
        return timeline.step(conn, **A, flt=flt, item_id=item, forward=forward)

    assert (step(None, True), step(None, False)) == ("tc_1", "sr_1")  # nothing selected
    assert (step("tc_1", True), step("sr_1", False)) == ("sr_1", "tc_1")
    assert (step("sr_1", True), step("tc_1", False)) == (None, None)  # no wrap here
    assert (step("tc_3", True), step("tc_3", False)) == ("sr_1", "tc_1")  # from a non-match
    assert (step("stg_scraping", False), step("tc_9", True)) == ("sr_1", "tc_1")
    assert timeline.place(conn, **A, flt=flt, item_id="tc_1") == 1
    assert timeline.place(conn, **A, flt=flt, item_id="sr_1") == 2
    assert timeline.place(conn, **A, flt=flt, item_id="tc_3") is None
    assert timeline.place(conn, **A, flt=flt, item_id="tc_missing") is None


def test_a_match_link_opens_the_window_that_shows_it(conn: sa.Connection, world) -> None:
    cursor = timeline.cursor_showing(conn, **A, flt=TimelineFilter(), item_id="tc_6", above=2)
    assert list(timeline.window(conn, **A, after=cursor, limit=3).rows["id"]) == [
        "sr_1",
        "tc_5",
        "tc_6",
    ]


def test_text_stored_unescaped_is_found_the_same(conn: sa.Connection, world) -> None:
    """JSON written as UTF-8 (bulk loads, outside writers) and as \\u escapes (SQLAlchemy's
    default) are the same text to find."""
    raw: sa.ColumnElement = sa.literal('{"name": "Grüße aus Αθήνα"}', sa.Text)
    if conn.dialect.name == "postgresql":
        raw = sa.cast(raw, JSONB)
    t = schema.tool_calls
    conn.execute(sa.update(t).where(t.c.id == "tc_5").values(input=raw))
    stored = sa.select(sa.cast(t.c.input, sa.Text)).where(t.c.id == "tc_5")
    assert "Grüße" in conn.execute(stored).scalar()
    assert found(conn, "GRÜSSE") == []
    assert found(conn, "grüße AUS αθήνα") == ["tc_5"]


def test_fold_json_decodes_only_non_ascii_escapes() -> None:
    assert fold_json('{"k": "M\\u00dcLLER \\ud83d\\ude00"}') == '{"k": "müller 😀"}'
    assert fold_json('{"k": "a\\\\u00fc \\"Q\\" \\u0041"}') == '{"k": "a\\\\u00fc \\"q\\" \\u0041"}'
    assert fold_json(None) is None


def test_kept_says_which_of_a_windows_items_match(conn: sa.Connection, world) -> None:
    flt = TimelineFilter().finding("ü")  # tc_1's Müller, sr_1's MÜLLER, the stage's München
    assert timeline.kept(conn, **A, flt=flt, item_ids=tuple(ORDER)) == {
        "tc_1",
        "sr_1",
        "stg_scraping",
    }
    assert timeline.kept(conn, **A, flt=flt, item_ids=("tc_2", "sr_2")) == set()
    assert timeline.kept(conn, **A, flt=flt, item_ids=()) == set()
    assert timeline.kept(
        conn, **A, flt=TimelineFilter(kinds=("ticket",)).finding("ü"), item_ids=tuple(ORDER)
    ) == {"sr_1"}
    other = {"org_id": "org_b", "session_id": "ses_f"}
    assert timeline.kept(conn, **other, flt=flt, item_ids=tuple(ORDER)) == set()
    assert timeline.kept(conn, **A, flt=flt, item_ids=("tc_1_b", "sr_1_b")) == set()
