"""The User sessions page: every pane state, the URL round trip, bad links, caching."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
import streamlit as st

from components import data, keys
from components import format as fmt
from queries import items
from sessionscope import schema
from tests.pages.datasets import explorer
from tests.pages.downloads import Downloads
from tests.pages.explorer_view import (
    PAGE,
    card_captions,
    card_ids,
    card_titles,
    choose_item,
    choose_session,
    row_ids,
    row_labels,
    selected_card,
    selected_row,
    texts,
)


def test_nothing_selected_shows_cards_newest_first_and_placeholders(app) -> None:
    at = app(PAGE, user="usr_ann")
    assert not at.exception
    titles = card_titles(at)
    assert len(titles) == 50  # one window
    assert titles[0] == "**Big payload**" and "Live one" in titles[1]
    assert selected_card(at) is None
    assert "Choose a session on the left" in texts(at)
    # No timeline yet, so no "choose in the timeline" either.
    assert "The item you choose in a session's timeline shows here." in texts(at)
    assert "Choose a tool call or ticket" not in texts(at)
    assert dict(at.query_params) == {"user": "usr_ann"}


def test_a_card_is_title_then_status_and_counts_then_server_and_time(app) -> None:
    at = app(PAGE, user="usr_ann")
    long = card_ids(at).index("ses_long")
    status_counts, server_time = card_captions(at)[long].split("  \n")
    assert "completed" in status_counts and "250 calls" in status_counts
    assert "25 errors" in status_counts
    assert server_time.startswith(":gray[GitHub MCP · ")


def test_user_ref_may_be_the_distinct_id(app) -> None:
    at = app(PAGE, user="ann-1")
    assert not at.exception and "Ann Lee" in texts(at)


def to_top_scripts(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.proto.body for h in at.get("html") if "scrollTop = 0" in h.proto.body]


def test_older_and_newer_move_the_window_of_cards(app) -> None:
    at = app(PAGE, user="usr_ann")
    assert to_top_scripts(at) == []
    at.button(key="us_list_older").click().run()
    ids = card_ids(at)
    assert len(ids) == 13 and ids[-1] == "ses_ann59"  # 60 routine + long, live, big
    # Read from its first card: the pane scrolls back to its top (the button was at the end).
    (script,) = to_top_scripts(at)
    assert ".st-key-us_left" in script
    at.run()
    assert to_top_scripts(at) == []  # once, after the move
    at.button(key="us_list_newer").click().run()
    assert card_ids(at)[0] == "ses_big" and len(card_ids(at)) == 50


def test_a_link_to_a_session_past_the_first_window_opens_around_it(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_ann55")
    ids = card_ids(at)
    assert ids.index("ses_ann55") == 3  # three newer cards above it, the rest below
    assert ids[:3] == ["ses_ann52", "ses_ann53", "ses_ann54"]
    assert selected_card(at) == "ses_ann55"
    at.button(key="us_list_newest").click().run()
    assert card_ids(at)[0] == "ses_big" and selected_card(at) is None  # not in this window


def test_choosing_a_card_in_view_keeps_the_window_where_it_is(app) -> None:
    at = app(PAGE, user="usr_ann")
    choose_session(at, "ses_ann40")
    assert at.query_params["session"] == "ses_ann40"
    assert card_ids(at)[0] == "ses_big" and selected_card(at) == "ses_ann40"


def test_session_selected_shows_the_merged_timeline_window(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long")
    assert not at.exception
    rows = row_labels(at)
    assert len(rows) == 100
    assert "tool\\_1" in rows[0] and "Export fails" in rows[5]  # ticket at +5.5 s, after call 5
    assert "Items 1–100 of 252" in texts(at)
    assert "Choose a tool call or ticket" in texts(at)


def test_timeline_rows_are_one_line_each(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long")
    assert all("\n" not in r for r in row_labels(at))


def test_timeline_next_window_and_filters(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long")
    at.button(key="us_tl_next").click().run()
    at.button(key="us_tl_next").click().run()
    assert "Items 201–252 of 252" in texts(at)
    at.toggle(key="us_tl_errors").set_value(True).run()
    rows = row_labels(at)
    assert len(rows) == 25 and all("error" in r for r in rows)


def test_a_selected_item_the_filters_hide_is_said_to_be_hidden(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long", item="tc_long241")
    at.toggle(key="us_tl_errors").set_value(True).run()  # call 241 did not fail
    assert "tc_long241" not in row_ids(at) and selected_row(at) is None
    assert "The selected item is hidden by this view's filters." in texts(at)
    assert at.query_params["item"] == "tc_long241"  # the details still show it


def test_paged_away_from_the_selected_item_a_button_brings_it_back(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long", item="tc_long240")
    at.button(key="us_tl_first").click().run()
    assert "tc_long240" not in row_ids(at)
    # 239 calls and 2 tickets come before it
    assert "The selected item, #242, is outside this window." in texts(at)
    at.button(key="us_tl_show_selected").click().run()
    assert row_ids(at)[3] == "tc_long240" and selected_row(at) == "tc_long240"
    assert "outside this window" not in texts(at)


def test_a_row_chosen_while_the_selected_item_is_out_of_view_takes_the_line_away(app) -> None:
    """The click reruns the timeline with the details (not the details alone, as a row in
    view does), so the line about the item chosen before does not stay beside the new one."""
    for away, said in (
        ({"item": "tc_long240", "click": "us_tl_first"}, "is outside this window"),
        ({"item": "tc_long241", "toggle": "us_tl_errors"}, "is hidden by this view's filters"),
    ):
        at = app(PAGE, user="usr_ann", session="ses_long", item=away["item"])
        if "click" in away:
            at.button(key=away["click"]).click().run()
        else:
            at.toggle(key=away["toggle"]).set_value(True).run()
        assert said in texts(at)
        row = row_ids(at)[1]
        at.radio(key=keys.US_TL_ITEMS).set_value(row).run()
        assert not at.exception and at.query_params["item"] == row
        assert selected_row(at) == row, "the click's run did not draw the timeline again"
        assert said not in texts(at)


def test_a_row_chosen_after_a_link_to_another_sessions_item_reruns_the_details_alone(
    app,
) -> None:
    """No line is drawn for an item of another session (the details say the link's item is
    not available), so there is none to take away: a row reruns the details alone."""
    at = app(PAGE, user="usr_ann", session="ses_long", item="tc_big")
    assert "item is not available" in texts(at) and "outside this window" not in texts(at)
    choose_item(at, row_ids(at)[1])  # fails if the click's run draws the timeline again
    assert at.query_params["item"] == row_ids(at)[1]


def test_timeline_jump_to_a_call_number(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long")
    at.number_input(key="us_tl_jump").set_value(240).run()
    first = row_labels(at)[0]
    assert "tool\\_0" in first and "(+4:00.0)" in first  # call 240 ran at +240 s


def test_a_link_to_an_item_opens_the_window_that_holds_it_with_rows_above(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long", item="tc_long240")
    ids = row_ids(at)
    assert ids[3] == "tc_long240" and selected_row(at) == "tc_long240"
    assert "Items 239–252 of 252" in texts(at)  # calls 237-239 above it, tickets counted
    assert "call #240" in texts(at)


def test_a_link_to_an_item_of_a_view_that_fits_one_window_shows_it_whole(app) -> None:
    """Not three rows above the item with the rest behind Previous: every row of the view."""
    at = app(PAGE, user="usr_ann", session="ses_long", item="tc_long240", errors="1")
    assert "Items 1–25 of 25" in texts(at)  # call 240 is the 24th error
    assert row_ids(at)[23] == "tc_long240" and selected_row(at) == "tc_long240"


def test_choosing_a_row_in_view_keeps_the_window_where_it_is(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long")
    choose_item(at, "tc_long050")
    assert row_ids(at)[0] == "tc_long001" and selected_row(at) == "tc_long050"


def test_clicking_a_card_writes_session_and_clears_item(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long", item="tc_long001")
    choose_session(at, "ses_big")
    assert dict(at.query_params) == {"user": "usr_ann", "session": "ses_big"}
    assert "Big payload" in [s.value for s in at.subheader]


def test_clicking_a_row_writes_item(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long")
    choose_item(at, "sr_long1")
    assert at.query_params["item"] == "sr_long1"
    assert "The export button fails" in texts(at)


def test_filters_are_read_from_the_link_and_shown_in_the_widgets(app) -> None:
    at = app(
        PAGE,
        user="usr_ann",
        session="ses_long",
        status="completed",
        title="session 5",
        hide="ticket,protocol",
        tool="tool_2",
        errors="1",
    )
    assert not at.exception
    assert card_ids(at) == [f"ses_ann5{i}" for i in range(10)]  # "Routine session 5x"
    assert at.pills(key="us_status").value == ["completed"]
    assert at.text_input(key="us_title").value == "session 5"
    assert at.pills(key="us_tl_kinds").value == ["tool_call"]
    assert at.selectbox(key="us_tl_tool").value == "tool_2"
    assert at.toggle(key="us_tl_errors").value is True
    rows = row_labels(at)
    assert rows and all("tool\\_2" in r and "error" in r for r in rows)


def test_changing_a_filter_writes_it_to_the_url(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long")
    at.pills(key="us_status").set_value(["failed", "active"]).run()
    assert at.query_params["status"] == "failed,active"
    assert at.pills(key="us_tl_kinds").options == ["Tool calls", "Tickets"]  # what it has
    at.pills(key="us_tl_kinds").set_value(["tool_call"]).run()
    assert at.query_params["hide"] == "ticket"
    at.toggle(key="us_tl_errors").set_value(True).run()
    at.selectbox(key="us_tl_tool").set_value("tool_1").run()
    assert (at.query_params["errors"], at.query_params["tool"]) == ("1", "tool_1")
    at.text_input(key="us_title").set_value("  long  ").run()
    assert at.query_params["title"] == "long"


@pytest.mark.parametrize(
    "params",
    [
        {"status": "finished"},
        {"hide": "everything"},
        {"errors": "yes"},
        {"title": "x" * 500},
        {"title": "nul\x00byte"},
    ],
)
def test_bad_filter_params_are_dropped_with_a_note(app, params) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long", **params)
    assert not at.exception
    assert "were not valid and were removed" in texts(at)
    assert dict(at.query_params) == {"user": "usr_ann", "session": "ses_long"}


def test_a_tool_filter_the_next_session_lacks_goes_with_a_line_saying_so(app) -> None:
    """A link's unknown tool, or a tool filter kept while choosing a session without it: the
    line names the tool and does not blame a link."""
    at = app(PAGE, user="usr_ann", session="ses_long", tool="no_such_tool")
    assert "no “no\\_such\\_tool” calls, so the tool filter was removed" in texts(at)
    assert "were not valid" not in texts(at)
    assert dict(at.query_params) == {"user": "usr_ann", "session": "ses_long"}
    at = app(PAGE, user="usr_ann", session="ses_long", tool="tool_1")
    assert "tool filter was removed" not in texts(at)
    # The card's click (its run says it once; choose_session would ask a full run to agree).
    at.radio(key=keys.US_LIST).set_value("ses_big").run()  # its one call is dump_table
    assert "no “tool\\_1” calls, so the tool filter was removed" in texts(at)
    assert dict(at.query_params) == {"user": "usr_ann", "session": "ses_big"}


def test_a_workflow_session_shows_its_stages_merged_with_calls_and_tickets(app) -> None:
    at = app(PAGE, user="usr_wes", session="ses_flow")
    assert not at.exception
    assert row_ids(at) == ["stg_scraping", "tc_flow1", "stg_enrichment", "sr_flow1", "stg_contacts"]
    assert "Not started yet: campaigns, results." in texts(at)
    assert "Choose a stage, tool call or ticket" in texts(at)


def test_a_stage_shows_its_totals_timings_and_data(app) -> None:
    at = app(PAGE, user="usr_wes", session="ses_flow", item="stg_scraping")
    assert not at.exception
    shown = texts(at)
    assert "Stage scraping" in shown and "**Total:** 40" in shown and "**Took:** 5 min" in shown
    assert json.loads(at.json[0].value) == {"source": "jobs board"}
    choose_item(at, "stg_contacts")
    assert "**Failed:** 27" in texts(at) and "**Finished:** —" in texts(at)


def test_errors_only_keeps_failed_stages_and_calls(app) -> None:
    at = app(PAGE, user="usr_wes", session="ses_flow", errors="1")
    assert row_ids(at) == ["stg_contacts"]


def test_a_missing_stage_is_a_bad_link(app) -> None:
    at = app(PAGE, user="usr_wes", session="ses_flow", item="stg_nowhere")
    assert "stage is not available" in texts(at)
    assert dict(at.query_params) == {"user": "usr_wes", "session": "ses_flow"}


def test_tool_call_details_show_every_field_and_json(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long", item="tc_long010")
    assert not at.exception
    shown = texts(at)
    assert "rate limited" in shown and "call #10" in shown and "tc\\_long010" in shown
    tree = json.loads(at.json[0].value)
    assert tree["nested"]["list"][2] == {"deep": True}
    assert '"query": "q10"' not in shown  # only the open tab is drawn: the JSON goes once
    at.session_state["us_json_input"] = "Text"  # the Text tab, chosen
    at.run()
    assert '"query": "q10"' in texts(at)  # the indented text view, copyable


def test_ticket_details(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long", item="sr_long1")
    shown = texts(at)
    assert "Export fails" in shown and "high priority" in shown
    assert "The export button fails" in shown and "ann@corp.example" in shown.replace("\\", "")


def test_big_payload_is_previewed_and_downloadable(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_big", item="tc_big")
    assert "showing the first part" in texts(at)
    previews = [c.value for c in at.code if c.value.startswith('{"rows"')]
    assert [len(p) for p in previews] == [items.PREVIEW_CHARS]  # the preview, cut
    # The whole payload is read only when the download is clicked (a deferred download).
    assert at.download_button(key="dl_tc_big_output").proto.deferred_file_id


def test_a_payload_download_is_audited_when_it_happens_not_when_shown(
    client, fresh_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = fresh_engine
    explorer.build(engine)
    clicks = Downloads(monkeypatch)
    at = client(engine)(PAGE, user="usr_ann", session="ses_big", item="tc_big")
    at.run()
    at.run()  # shown three times: nothing read, nothing audited
    assert _downloads_audited(engine) == []
    body = clicks.click(at, "dl_tc_big_output")
    clicks.click(at, "dl_tc_big_output")
    assert len(body) > explorer.BIG_OUTPUT_BYTES and json.loads(body)["rows"]
    entry = {
        "actor_email": "analyst@acme.example",
        "target_id": "tc_big",
        "detail": {"field": "output", "bytes": len(body), "ids": ["tc_big"]},
    }
    assert _downloads_audited(engine) == [entry, entry]  # one per download


def _downloads_audited(engine: sa.Engine) -> list[dict]:
    a = schema.audit_log.c
    stmt = sa.select(a.actor_email, a.target_id, a.detail).where(a.action == "payload.download")
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt.order_by(a.created_at)).mappings()]


@pytest.mark.parametrize(
    ("params", "message", "kept"),
    [
        ({"session": "ses_nope"}, "session is not available", {"user": "usr_ann"}),
        ({"session": "'; DROP TABLE sessions;--"}, "session is not available", {"user": "usr_ann"}),
        ({"session": "ses_globex"}, "session is not available", {"user": "usr_ann"}),
        ({"session": "ses_archived"}, "session is not available", {"user": "usr_ann"}),
        (
            {"session": "ses_long", "item": "tc_globex"},
            "item is not available",
            {"user": "usr_ann", "session": "ses_long"},
        ),
        (
            {"session": "ses_long", "item": "tc_big"},
            "item is not available",
            {"user": "usr_ann", "session": "ses_long"},
        ),
        (
            {"session": "ses_long", "item": "<script>"},
            "not a tool call, ticket or stage id",
            {"user": "usr_ann", "session": "ses_long"},
        ),
    ],
)
def test_bad_ids_get_a_message_and_leave_the_url(app, params, message, kept) -> None:
    at = app(PAGE, user="usr_ann", **params)
    assert not at.exception
    assert message in texts(at)
    assert dict(at.query_params) == kept
    assert "Globex" not in texts(at) and "secret" not in texts(at)


@pytest.mark.parametrize("ref", ["usr_gus", "gus-9", "usr_nobody", "x" * 300])
def test_foreign_or_missing_user(app, ref: str) -> None:
    at = app(PAGE, user=ref, session="ses_globex")
    assert not at.exception
    assert "user is not available" in texts(at) and "Gus" not in texts(at)
    assert dict(at.query_params) == {}


def test_choosing_an_item_runs_no_list_or_timeline_query_again(app, statements) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long")
    statements.clear()
    at.radio(key=keys.US_TL_ITEMS).set_value("tc_long003").run()  # the click's run alone
    assert at.query_params["item"] == "tc_long003"
    sql = "\n".join(statements).lower()
    assert "from tool_calls" in sql  # the item itself
    assert "union" not in sql and "support_tickets" not in sql
    assert "end_users" not in sql  # neither the user nor the list was read again


@pytest.fixture()
def timers(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float | None]]:
    """Every st.fragment the runs make: (its function's name, its run_every), in order."""
    made: list[tuple[str, float | None]] = []
    fragment = st.fragment

    def recorded(func=None, **kw):  # type: ignore[no-untyped-def]
        if func is None:  # @st.fragment(...) on a function elsewhere
            return lambda f: recorded(f, **kw)
        made.append((func.__name__, kw.get("run_every")))
        return fragment(func, **kw)

    monkeypatch.setattr(st, "fragment", recorded)
    return made


LIVE_PANES = ("_panes", data.LIVE_TTL)


def test_active_session_timeline_refreshes_itself(app, timers) -> None:
    at = app(PAGE, user="usr_ann", session="ses_live")
    assert "new items appear by themselves" in texts(at)
    assert LIVE_PANES in timers


def test_the_users_totals_refresh_while_the_chosen_session_is_active(app, timers) -> None:
    """Also when the list's filter leaves its card out (no live card refreshes them)."""
    at = app(PAGE, user="usr_ann", session="ses_live", status="completed")
    assert "ses_live" not in card_ids(at)
    assert ("_live_header", data.LIVE_TTL) in timers
    assert ("_cards", data.LIVE_TTL) not in timers


def test_choosing_a_live_session_or_leaving_one_reruns_the_panes_alone(app, timers) -> None:
    """The self-refresh of a live session's panes starts and stops in the click's run, which
    is the panes' fragment alone: the session list and the frame are not run again
    (choose_session checks), and the refresh is not left to a full run."""
    at = app(PAGE, user="usr_ann", session="ses_long")
    assert "new items appear by themselves" not in texts(at)
    assert LIVE_PANES not in timers
    timers.clear()
    choose_session(at, "ses_live")
    assert "new items appear by themselves" in texts(at)
    assert LIVE_PANES in _click_run(timers)
    timers.clear()
    choose_session(at, "ses_long")
    assert "new items appear by themselves" not in texts(at)
    assert LIVE_PANES not in timers


def _click_run(timers: list[tuple[str, float | None]]) -> list[tuple[str, float | None]]:
    """The fragments of a click's run, before choose_session's full run: up to the details'
    fragment, the last thing the panes draw."""
    return timers[: timers.index(("details", None)) + 1]


def test_a_card_title_pasted_into_the_title_search_searches_for_the_title(app) -> None:
    """A title copied from a card carries its label's invisible tag (components/panes.tagged),
    which is no search text: it is left out, not reported as an invalid filter."""
    at = app(PAGE, user="usr_ann")
    at.text_input(key=keys.US_TITLE).input("Big payload" + fmt.tag("ses_big")).run()
    assert not at.exception
    assert at.query_params[keys.P_TITLE] == "Big payload"
    assert card_titles(at) == ["**Big payload**"]
    assert "not valid" not in texts(at)


def test_untitled_session_without_events(app) -> None:
    at = app(PAGE, user="usr_bob", session="ses_bob_empty")
    assert not at.exception
    assert card_titles(at) == ["**Untitled GitHub MCP session, Nov 01**"]
    assert "no tool calls, tickets or stages" in texts(at)


def test_view_details_opens_the_session_in_a_dialog_over_the_page(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long")
    at.button(key="us_details_ses_long").click().run()
    assert not at.exception
    # The dialog's title is an h3 and its sections are h3 too: no heading under it skips.
    heads = [h.value for h in at.subheader]
    assert "Timeline" in heads and "Results breakdown" in heads, heads
    assert not at.header
    assert len(at.get("plotly_chart")) == 3  # waterfall, calls per tool, latency
    assert dict(at.query_params) == {"user": "usr_ann", "session": "ses_long"}  # page stays
