"""The Compare page: two sessions aligned, a pair's diff, two calls, every bad link, the way in
from the explorer; never another organization's data."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from components import compare_view, keys
from queries.items import ToolCallDetail
from tests import factories as f
from tests.pages.client import Client, Open
from tests.pages.datasets import ANALYST, acme_and_globex, ann_and_bob
from tests.pages.explorer_view import plain_texts, rendered

PAGE = keys.PAGE_COMPARE
# (id suffix, tool, input, output, is_error) of the good and the bad session, in order.
GOOD = [
    (1, "search", {"q": "invoice"}, {"hits": 3}, False),
    (2, "fetch", {"id": 7}, {"total": 120}, False),
    (3, "write", {"to": "ann"}, {"ok": True}, False),
]
BAD = [
    (1, "search", {"q": "invoice"}, {"hits": 3}, False),  # same
    (2, "fetch", {"id": 8}, {"total": 99}, False),  # other arguments and result
    (3, "write", {"to": "ann"}, None, True),  # failed
    (4, "notify", {"who": "ops"}, {"ok": True}, False),  # only in B
]
SECRET = "Globex secret plan"


def build(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        acme, globex = acme_and_globex(conn)
        ann, _bob = ann_and_bob(conn, acme)
        srv = f.server(conn, acme, id="srv_docs", name="Docs MCP")
        for sid, calls, hours in (("ses_good", GOOD, 2), ("ses_bad", BAD, 1)):
            ses = f.session(
                conn,
                acme,
                ann,
                srv,
                id=sid,
                title=f"The {sid[4:]} one",
                started_at=f.T0 - timedelta(hours=hours),
                total_tool_calls=len(calls),
            )
            for n, tool, args, out, err in calls:
                f.tool_call(
                    conn,
                    ses,
                    id=f"tc_{sid[4:]}{n}",
                    seq=n,
                    tool_name=tool,
                    input=args,
                    output=out,
                    is_error=err,
                    error_message="disk full" if err else None,
                    started_at=ses["started_at"] + timedelta(seconds=n),
                )
            if sid == "ses_bad":  # a protocol request, aligned only when asked
                f.request(
                    conn, ses, "tools/list", id="tc_bad_list", seq=0, started_at=ses["started_at"]
                )
        gone = f.session(conn, acme, ann, srv, id="ses_archived", archived_at=f.T0)
        f.tool_call(conn, gone, id="tc_archived")
        gus = f.end_user(conn, globex, id="usr_gus", display_name="Gus Secret")
        gsrv = f.server(conn, globex, id="srv_globex", name="Globex MCP")
        theirs = f.session(conn, globex, gus, gsrv, id="ses_globex", title=SECRET)
        f.tool_call(conn, theirs, id="tc_globex", tool_name="secret_tool")


@pytest.fixture()
def page(client: Client, data_set) -> Open:  # type: ignore[no-untyped-def]
    """open(**params) -> /compare opened with params on this data set, as acme's analyst."""
    return client(data_set(build), PAGE, email=ANALYST)


def _table(at: AppTest):  # type: ignore[no-untyped-def]
    return next(df for df in at.dataframe if (df.key or "").startswith(keys.CMP_PAIRS))


def _choose_row(at: AppTest, position: int) -> AppTest:
    at.session_state[_table(at).key] = {"selection": {"rows": [position], "columns": []}}
    return at.run()


def _warnings(at: AppTest) -> str:
    return " ".join(w.value for w in at.warning)


def test_two_sessions_show_side_by_side_with_their_calls_aligned(page):
    at = page(a="ses_good", b="ses_bad")
    assert not at.exception
    shown = plain_texts(at).replace("*", "")
    assert "The good one" in shown and "The bad one" in shown
    assert "1 same · 2 differ (1 in arguments or result, 1 in outcome, 0 another tool)" in shown
    assert "0 only in A · 1 only in B" in shown
    table = _table(at).value
    assert list(table["Match"]) == [
        compare_view.MATCH[s] for s in ("same", "differs", "outcome", "only_b")
    ]
    assert list(table["A call"].fillna("")) == ["search", "fetch", "write", ""]
    assert list(table["B result"]) == ["ok", "ok", "error", "ok"]


def test_choosing_a_pair_shows_its_diff_and_keeps_it_in_the_link(page):
    at = _choose_row(page(a="ses_good", b="ses_bad"), 1)
    assert not at.exception
    assert at.query_params[keys.P_CMP_PAIR] == "2"
    diffs = [c.value for c in at.code if c.language == "diff"]
    assert any('-  "id": 7' in d and '+  "id": 8' in d for d in diffs)
    assert any('-  "total": 120' in d and '+  "total": 99' in d for d in diffs)
    assert "Pair #2" in plain_texts(at)


def test_a_link_with_a_pair_opens_with_its_diff_and_every_field(page):
    at = page(a="ses_good", b="ses_bad", pair="3")
    fields = next(df for df in at.dataframe if df.key is None).value
    outcome = fields[fields["Field"] == "Outcome"].iloc[0]
    assert (outcome["A"], outcome["B"], outcome["Differs"]) == ("ok", "error", "≠")
    error = fields[fields["Field"] == "Error message"].iloc[0]
    assert error["B"] == "disk full"
    assert set(compare_view.FIELDS) == set(fields["Field"])
    assert any(c.language == "diff" and "+null" not in c.value for c in at.code)
    assert "Input: identical" in " ".join(e.label for e in at.expander)


def test_a_call_in_one_session_only_diffs_against_nothing(page):
    at = page(a="ses_good", b="ses_bad", pair="4")
    fields = next(df for df in at.dataframe if df.key is None).value
    assert fields[fields["Field"] == "Call"].iloc[0]["A"] == "(no call)"
    assert any('+  "who": "ops"' in c.value for c in at.code if c.language == "diff")


def test_differences_only_hides_the_same_pairs_and_numbers_stay(page):
    at = page(a="ses_good", b="ses_bad", diff="1")
    table = _table(at).value
    assert list(table["#"]) == [2, 3, 4]
    at = _choose_row(at, 0)
    assert at.query_params[keys.P_CMP_PAIR] == "2"


def test_two_calls_compare_alone(page):
    at = page(a="tc_good2", b="tc_bad2")
    assert not at.exception
    diffs = [c.value for c in at.code if c.language == "diff"]
    assert any('-  "id": 7' in d and '+  "id": 8' in d for d in diffs)
    links = {p.value: p.proto.query_string for p in at.get("page_link")}
    assert "a=ses_good&b=ses_bad" in links["Compare their sessions"]


@pytest.mark.parametrize(
    ("params", "dropped", "message"),
    [
        ({"a": "ses_good", "b": "nonsense"}, "b", "is not a session or tool call id"),
        ({"a": "ses_good", "b": "ses_" + "x" * 300}, "b", "is not a session or tool call id"),
        ({"a": "ses_good", "b": "ses_good"}, "b", "is the same as"),
        ({"a": "ses_good", "b": "tc_bad2"}, "b", "is a tool call"),
        ({"a": "ses_good", "b": "ses_globex"}, "b", "this session is not available"),
        ({"a": "ses_globex", "b": "ses_good"}, "a", "this session is not available"),
        ({"a": "tc_good1", "b": "tc_globex"}, "b", "this tool call is not available"),
        ({"a": "ses_good", "b": "ses_archived"}, "b", "this session is not available"),
        ({"a": "tc_archived", "b": "tc_good1"}, "a", "this tool call is not available"),
        ({"a": "ses_good", "b": "ses_missing"}, "b", "this session is not available"),
        ({"a": "sr_1", "b": "ses_good"}, "a", "is not a session or tool call id"),
    ],
)
def test_a_bad_id_gets_a_message_and_leaves_the_link(page, params, dropped, message):
    at = page(**params)
    assert not at.exception
    assert message in _warnings(at).replace("\\", "")
    assert dropped not in at.query_params
    kept = "b" if dropped == "a" else "a"
    assert at.query_params[kept] == params[kept]
    assert "Globex" not in rendered(at) and "secret_tool" not in rendered(at)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"pair": "99"}, "is not a pair of this comparison"),
        ({"pair": "-1"}, "is not a pair of this comparison"),
        ({"pair": "1e3"}, "is not a pair of this comparison"),
        ({"pair": "²"}, "is not a pair of this comparison"),
        ({"pair": "9" * 5000}, "is not a pair of this comparison"),
        ({"diff": "yes"}, "is 1 or absent"),
        ({"protocol": "x" * 500}, "is 1 or absent"),
    ],
)
def test_bad_settings_are_dropped_and_the_comparison_stays(page, params, message):
    at = page(a="ses_good", b="ses_bad", **params)
    assert not at.exception
    assert message in _warnings(at)
    assert not set(params) & set(at.query_params)
    assert len(_table(at).value) == 4


def test_a_pair_without_a_comparison_is_dropped_with_the_bad_ids(page):
    at = page(a="xyz", b="';drop", pair="2")
    assert not at.exception
    assert dict(at.query_params) == {}
    assert "Choose two sessions to compare" in "\n".join(i.value for i in at.info)


def test_a_link_without_ids_says_how_to_choose(page):
    at = page()
    assert not at.exception
    assert "Choose two sessions to compare" in plain_texts(at)
    assert not at.dataframe


def _open_compare_with(at: AppTest, key: str):  # -> the picker (a Selectbox)
    """Open the "Compare with…" popover whose picker is `key`: its content is drawn only then."""
    at.session_state[compare_view.popover_key(key)] = True
    at.run()
    assert not at.exception
    return at.selectbox(key=key)


def test_compare_with_draws_its_choices_only_while_open(page):
    """A closed popover costs a run no query and no options; opening it draws them."""
    at = page(keys.PAGE_USER, user="usr_ann", session="ses_good")
    assert not at.exception
    assert not [s for s in at.selectbox if s.key == keys.US_COMPARE_WITH]
    assert any("The bad one" in o for o in _open_compare_with(at, keys.US_COMPARE_WITH).options)
    at.session_state[compare_view.popover_key(keys.US_COMPARE_WITH)] = False
    at.run()
    assert not [s for s in at.selectbox if s.key == keys.US_COMPARE_WITH]


def test_one_session_offers_the_users_other_sessions(page):
    at = page(a="ses_good")
    assert "Choose a second session" in plain_texts(at)
    picker = _open_compare_with(at, keys.SD_COMPARE_WITH)
    assert picker.options and "ses_good" not in picker.options
    picker.set_value("ses_bad").run()
    links = {p.value: p.proto.query_string for p in at.get("page_link")}
    assert links["Compare these two sessions"] == "a=ses_good&b=ses_bad"


def test_the_explorers_compare_with_opens_the_comparison(page):
    at = page(keys.PAGE_USER, user="usr_ann", session="ses_good")
    assert not at.exception
    _open_compare_with(at, keys.US_COMPARE_WITH).set_value("ses_bad").run()
    link = next(p for p in at.get("page_link") if p.value == "Compare these two sessions")
    assert (
        link.proto.page == keys.PATH_COMPARE and link.proto.query_string == "a=ses_good&b=ses_bad"
    )
    # Following it: the link's params on the compare page.
    for name in list(at.query_params):
        del at.query_params[name]
    at.query_params.update({"a": "ses_good", "b": "ses_bad"})
    at.switch_page(PAGE).run()
    assert not at.exception
    assert "The bad one" in plain_texts(at) and _table(at).value.shape[0] == 4


def test_compare_with_takes_any_session_by_its_id(page):
    """A session older than the picker's window is compared by its id; the Compare page
    decides whether the organization may see it."""
    at = page(keys.PAGE_USER, user="usr_ann", session="ses_good")
    _open_compare_with(at, keys.US_COMPARE_WITH)
    at.text_input(key=f"{keys.US_COMPARE_WITH}_id").set_value("  ses_bad ").run()
    link = next(p for p in at.get("page_link") if p.value == "Compare these two sessions")
    assert link.proto.query_string == "a=ses_good&b=ses_bad"


def test_session_details_offers_compare_with(page):
    at = page(keys.PAGE_SESSION, session="ses_bad")
    assert not at.exception
    options = _open_compare_with(at, keys.SD_COMPARE_WITH).options
    assert any("The good one" in o for o in options)
    assert not any("Archived" in o or "secret" in o.lower() for o in options)


def test_one_tool_call_asks_for_a_second(page):
    at = page(a="tc_good1")
    assert not at.exception
    assert "Add a second tool call" in plain_texts(at) and not at.dataframe


def test_a_control_character_in_an_id_is_dropped(page):
    at = page(a="ses_good", b="ses_bad\x00")
    assert "is not a session or tool call id" in _warnings(at)
    assert "b" not in at.query_params


def _detail(**kw: object) -> ToolCallDetail:
    base = dict.fromkeys(fld.name for fld in fields(ToolCallDetail)) | {"seq": 1, "is_error": False}
    return ToolCallDetail(**(base | kw))  # type: ignore[arg-type]


def test_a_large_payload_is_diffed_on_its_preview_and_says_so():
    big = _detail(output=None, output_preview='{"rows": ["xxx', output_bytes=2_000_000)
    assert compare_view._json_text(big, "output") == ('{"rows": ["xxx', True)
    small = _detail(input={"b": 1, "a": [1]})
    assert compare_view._json_text(small, "input") == (
        '{\n  "a": [\n    1\n  ],\n  "b": 1\n}',
        False,
    )
    assert compare_view._json_text(None, "input") == ("", False)


def test_a_payload_past_the_diff_limit_is_cut():
    huge = _detail(input={"text": "y" * (compare_view.DIFF_CHARS + 10)})
    text, cut = compare_view._json_text(huge, "input")
    assert cut and len(text) == compare_view.DIFF_CHARS


def test_the_diff_marks_removed_and_added_lines():
    lines = compare_view.diff_lines("input", '{\n  "a": 1\n}', '{\n  "a": 2\n}')
    assert lines[:2] == ["--- A input", "+++ B input"]
    assert '-  "a": 1' in lines and '+  "a": 2' in lines


def test_protocol_requests_join_the_alignment_when_asked(page):
    at = page(a="ses_good", b="ses_bad", pair="2")
    assert "tools/list" not in list(_table(at).value["B call"])
    at.toggle(key=keys.CMP_PROTOCOL).set_value(True).run()
    assert at.query_params[keys.P_CMP_PROTOCOL] == "1"
    assert keys.P_CMP_PAIR not in at.query_params  # pairs are numbered anew
    table = _table(at).value
    assert table["B call"].iloc[0] == "tools/list" and len(table) == 5
