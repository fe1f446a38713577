"""The User sessions page: every pane state, the URL round trip, bad links, caching."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from queries import items
from sessionscope import schema
from tests.pages import explorer_data
from tests.pages.details_data import opener
from tests.pages.downloads import Downloads

PAGE = "app_pages/user_sessions.py"


def texts(at: AppTest) -> str:
    """Everything the page shows as text, for 'is it there / is it absent' checks."""
    parts = [
        e.value
        for kind in (
            "markdown",
            "caption",
            "info",
            "warning",
            "error",
            "header",
            "subheader",
            "title",
            "code",
            "text",
        )
        for e in at.get(kind)
    ]
    parts += [b.label for b in at.button]
    return "\n".join(str(p) for p in parts)


def card_titles(at: AppTest) -> list[str]:
    return [b.label for b in at.button if b.key and b.key.startswith("us_card_")]


def row_labels(at: AppTest) -> list[str]:
    return [b.label for b in at.button if b.key and b.key.startswith("us_row_")]


def test_nothing_selected_shows_cards_newest_first_and_placeholders(app) -> None:
    at = app(PAGE, user="usr_ann")
    assert not at.exception
    titles = card_titles(at)
    assert len(titles) == 50  # one keyset page
    assert titles[0].startswith("Big payload") and "Live one" in titles[1]
    assert "Choose a session on the left" in texts(at)
    assert "Choose a tool call or ticket" in texts(at)
    assert dict(at.query_params) == {"user": "usr_ann"}


def test_a_cards_exact_start_is_in_its_title_tooltip_not_a_help_icon(app) -> None:
    at = app(PAGE, user="usr_ann")
    title = next(b for b in at.button if b.key and b.key.startswith("us_card_"))
    assert title.help.startswith("Show this session's timeline. Started ")
    assert [c.value for c in at.caption if c.help] == []  # no "Help" tab stop per card


def test_user_ref_may_be_the_distinct_id(app) -> None:
    at = app(PAGE, user="ann-1")
    assert not at.exception and "Ann Lee" in texts(at)


def test_load_more_appends_the_next_keyset_page(app) -> None:
    at = app(PAGE, user="usr_ann")
    at.button(key="us_more").click().run()
    titles = card_titles(at)
    assert len(titles) == 63 and len(set(titles)) == 63  # 60 routine + long, live, big
    assert titles[-1].startswith("Routine session 59")


def test_session_selected_shows_the_merged_timeline_window(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long")
    assert not at.exception
    rows = row_labels(at)
    assert len(rows) == 200
    assert "tool\\_1" in rows[0] and "Export fails" in rows[5]  # ticket at +5.5 s, after call 5
    assert "Items 1–200 of 252" in texts(at)
    assert "Choose a tool call or ticket" in texts(at)


def test_timeline_next_window_and_filters(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long")
    at.button(key="us_tl_next").click().run()
    assert "Items 201–252 of 252" in texts(at)
    at.toggle(key="us_tl_errors").set_value(True).run()
    rows = row_labels(at)
    assert len(rows) == 25 and all("error" in r for r in rows)


def test_timeline_jump_to_a_call_number(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long")
    at.number_input(key="us_tl_jump").set_value(240).run()
    first = row_labels(at)[0]
    assert "tool\\_0" in first and "(+4:00.0)" in first  # call 240 ran at +240 s


def test_clicking_a_card_writes_session_and_clears_item(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long", item="tc_long001")
    at.button(key="us_card_ses_big_open").click().run()
    assert dict(at.query_params) == {"user": "usr_ann", "session": "ses_big"}


def test_clicking_a_row_writes_item(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long")
    at.button(key="us_row_sr_long1").click().run()
    assert at.query_params["item"] == "sr_long1"
    assert "The export button fails" in texts(at)


def test_tool_call_details_show_every_field_and_json(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_long", item="tc_long010")
    assert not at.exception
    shown = texts(at)
    assert "rate limited" in shown and "call #10" in shown and "tc\\_long010" in shown
    tree = json.loads(at.json[0].value)
    assert tree["nested"]["list"][2] == {"deep": True}
    assert '"query": "q10"' in shown  # the indented text view, copyable


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
    fresh_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = fresh_engine
    explorer_data.build(engine)
    clicks = Downloads(monkeypatch)
    with opener(engine, monkeypatch) as open_:
        at = open_(PAGE, user="usr_ann", session="ses_big", item="tc_big")
        at.run()
        at.run()  # shown three times: nothing read, nothing audited
        assert _downloads_audited(engine) == []
        body = clicks.click(at, "dl_tc_big_output")
        clicks.click(at, "dl_tc_big_output")
    assert len(body) > explorer_data.BIG_OUTPUT_BYTES and json.loads(body)["rows"]
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
            "not a tool call or ticket id",
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
    at.button(key="us_row_tc_long003").click().run()
    assert at.query_params["item"] == "tc_long003"
    sql = "\n".join(statements).lower()
    assert "from tool_calls" in sql  # the item itself
    assert "from sessions" not in sql and "union" not in sql and "support_tickets" not in sql


def test_active_session_timeline_refreshes_itself(app) -> None:
    at = app(PAGE, user="usr_ann", session="ses_live")
    assert "new items appear by themselves" in texts(at)


def test_untitled_session_without_events(app) -> None:
    at = app(PAGE, user="usr_bob", session="ses_bob_empty")
    assert not at.exception
    assert card_titles(at) == ["Untitled GitHub MCP session, Nov 01"]
    assert "no tool calls or tickets" in texts(at)


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
