"""Find in a session on the User sessions page: the text in the URL (`find`), the matching
rows marked, the count, and next/previous match moving `item` (explorer data set, ses_long:
call n's input is {"query": "q<n>", ...}, so "q24" is in calls 24 and 240-249)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from components.timeline_view import MATCH_MARK
from tests.pages.explorer_view import PAGE, row_ids, row_labels, selected_row, texts

LONG = {"user": "usr_ann", "session": "ses_long"}
Q24 = ["tc_long024", *(f"tc_long{n}" for n in range(240, 250))]


def marked(at: AppTest) -> list[str]:
    """The ids of the rows shown with the match mark."""
    labels = dict(zip(row_ids(at), row_labels(at), strict=True))
    return [i for i, label in labels.items() if label.startswith(MATCH_MARK)]


def count_line(at: AppTest) -> str:
    lines = [c.value for c in at.caption if "match" in c.value]
    return lines[0] if lines else ""


def step(at: AppTest, forward: bool) -> AppTest:
    key = keys.US_TL_FIND_NEXT if forward else keys.US_TL_FIND_PREV
    return at.button(key=key).click().run()


def test_typing_a_term_writes_it_marks_the_matches_in_view_and_counts_them(app) -> None:
    at = app(PAGE, **LONG)
    assert not marked(at) and not count_line(at)  # no find, no marks, no count
    at.text_input(key=keys.US_TL_FIND).set_value("  Q24 ").run()
    assert not at.exception
    assert at.query_params[keys.P_FIND] == "Q24"
    assert count_line(at) == "11 matches"
    assert marked(at) == ["tc_long024"]  # the first window holds items 1-100
    assert row_ids(at)[0] == "tc_long001"  # finding does not move the window
    at.text_input(key=keys.US_TL_FIND).set_value("").run()
    assert keys.P_FIND not in at.query_params and not marked(at)


def test_next_and_previous_move_the_item_and_the_window(app) -> None:
    at = app(PAGE, **LONG, find="q24")
    step(at, forward=True)
    assert at.query_params[keys.P_ITEM] == "tc_long024" and selected_row(at) == "tc_long024"
    assert row_ids(at)[0] == "tc_long001"  # in view: the window stays
    assert count_line(at) == "1 of 11 matches"
    step(at, forward=True)
    assert at.query_params[keys.P_ITEM] == "tc_long240"
    assert row_ids(at)[3] == "tc_long240"  # out of view: the window moves, rows above it
    assert marked(at) == Q24[1:]
    assert count_line(at) == "2 of 11 matches"
    step(at, forward=False)
    assert at.query_params[keys.P_ITEM] == "tc_long024"
    step(at, forward=False)  # before the first match: round to the last
    assert at.query_params[keys.P_ITEM] == "tc_long249"
    assert count_line(at) == "11 of 11 matches"
    step(at, forward=True)
    assert at.query_params[keys.P_ITEM] == "tc_long024"


def test_next_starts_after_the_selected_item_and_respects_the_filters(app) -> None:
    at = app(PAGE, **LONG, find="q24", item="tc_long100")
    assert count_line(at) == "11 matches"  # the item is not a match: no number
    step(at, forward=True)
    assert at.query_params[keys.P_ITEM] == "tc_long240"
    at = app(PAGE, **LONG, find="q24", errors="1")  # errors: calls 240 only (every 10th)
    assert count_line(at) == "1 match"
    step(at, forward=True)
    assert at.query_params[keys.P_ITEM] == "tc_long240"


def test_the_find_survives_a_reload_and_reads_any_language_and_case(app) -> None:
    at = app(PAGE, **LONG, find="EXPORT BUTTON", direct=True)  # a ticket's summary
    assert not at.exception
    assert at.text_input(key=keys.US_TL_FIND).value == "EXPORT BUTTON"
    assert count_line(at) == "1 match" and marked(at) == ["sr_long1"]
    at = app(PAGE, **LONG, find="Ελλάδα")
    assert count_line(at) == "No matches"
    assert at.button(key=keys.US_TL_FIND_NEXT).disabled


@pytest.mark.parametrize(
    ("q", "count"),
    [
        ("%", "No matches"),
        ("_", "1 match"),  # the title "Ticket sr_long2", not every item
        ("q2_", "No matches"),
        (".*", "No matches"),
        ("q[0-9]", "No matches"),
        ("' OR 1=1 --", "No matches"),
    ],
)
def test_wildcards_and_regex_characters_match_themselves(app, q: str, count: str) -> None:
    at = app(PAGE, **LONG, find=q)
    assert not at.exception
    assert count_line(at) == count
    assert at.query_params[keys.P_FIND] == q


def test_another_orgs_text_is_not_found(app) -> None:
    at = app(PAGE, **LONG, find="Globex secret")
    assert count_line(at) == "No matches"


@pytest.mark.parametrize("q", ["x" * 10_000, "q24\x00", "q" * 201])
def test_a_hostile_find_is_dropped_with_a_message(app, q: str) -> None:
    at = app(PAGE, **LONG, find=q)
    assert not at.exception
    assert "were not valid and were removed" in texts(at)
    assert "`find` is not a search text (at most 200 characters)" in texts(at)
    assert dict(at.query_params) == LONG
    assert at.text_input(key=keys.US_TL_FIND).value == "" and not marked(at)


def test_only_matches_shows_just_the_matches_and_is_kept_in_the_url(app) -> None:
    at = app(PAGE, **LONG, find="q24")
    assert at.toggle(key=keys.US_TL_FIND_ONLY).value is False
    at.toggle(key=keys.US_TL_FIND_ONLY).set_value(True).run()
    assert at.query_params[keys.P_FIND_ONLY] == "1"
    assert row_ids(at) == Q24 and "Items 1–11 of 11" in texts(at)
    assert not marked(at)  # every row is a match: no marks
    step(at, forward=True)
    step(at, forward=True)
    assert at.query_params[keys.P_ITEM] == "tc_long240" and row_ids(at) == Q24
    at = app(PAGE, **LONG, find="q24", matches="1", direct=True)  # a reload
    assert row_ids(at) == Q24 and at.toggle(key=keys.US_TL_FIND_ONLY).value is True
    at.text_input(key=keys.US_TL_FIND).set_value("").run()  # no text: the flag goes too
    assert keys.P_FIND not in at.query_params and keys.P_FIND_ONLY not in at.query_params
    assert len(row_ids(at)) == 100


def test_only_matches_without_a_find_text_is_dropped(app) -> None:
    at = app(PAGE, **LONG, matches="1")
    assert dict(at.query_params) == LONG and len(row_ids(at)) == 100
    at = app(PAGE, **LONG, find="q24", matches="yes")
    assert "`matches` is 1 or absent" in texts(at) and len(row_ids(at)) == 100


def found_lines(at: AppTest) -> list[str]:
    """The details pane's lines saying where the Find phrase occurs."""
    return [m.value for m in at.markdown if m.value.startswith(":material/search:")]


def test_the_details_mark_where_the_phrase_occurs(app) -> None:
    at = app(PAGE, **LONG, find="Q24", item="tc_long024")
    (line,) = found_lines(at)
    assert line.startswith(":material/search: input: ")
    assert ":orange-background[**q24**]" in line  # as stored, marked in context
    at = app(PAGE, **LONG, find="export button", item="sr_long1")  # a ticket's summary
    (line,) = found_lines(at)
    assert line.startswith(":material/search: ticket summary: ")
    assert ":orange-background[**" in line
    assert not found_lines(app(PAGE, **LONG, find="q24", item="tc_long100"))  # not a match
    assert not found_lines(app(PAGE, **LONG, item="tc_long024"))  # no find
