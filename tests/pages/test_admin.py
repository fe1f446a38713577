"""The Admin page: roles and their audit entries, URL filters, the table, bulk actions,
analytics against numbers worked out by hand (tests/pages/datasets/admin.py), the audit log.

Tests that only read share one database per backend (visits still add admin.view entries
there, which no reading test counts); tests that write or count audit entries get a fresh
database each.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from charts import admin as charts
from components.admin import analytics as admin_analytics
from components.admin import bulk as admin_bulk
from components.admin import data as admin_data
from components.admin import keys as ak
from queries.admin import AdminFilter
from sessionscope import bulk, schema
from tests.pages.admin_view import audit_entries, shown
from tests.pages.datasets import ADMIN, ANALYST
from tests.pages.datasets import admin as admin_data_set
from tests.pages.downloads import Downloads
from tests.pages.explorer_view import texts

NOV1_2 = {"from": "2026-11-01", "to": "2026-11-02"}
VISIBLE = {"ses_a1", "ses_a2", "ses_a3", "ses_a4", "ses_a5", "ses_p1", "ses_p2"}

# --- helpers -----------------------------------------------------------------------------------


def select(at: AppTest, ids: list[str]) -> AppTest:
    rows = shown(at)
    table = at.dataframe[0].key
    at.session_state[table] = {
        "selection": {"rows": [rows.index(i) for i in ids], "columns": [], "cells": []}
    }
    return at.run()


def archived(engine: sa.Engine) -> dict[str, bool]:
    s = schema.sessions.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(s.id, s.archived_at).where(s.org_id == "org_acme"))
        return {sid: at is not None for sid, at in rows}


def metrics(at: AppTest) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.proto.delta or None) for m in at.metric}


# --- access ------------------------------------------------------------------------------------


def test_an_admin_sees_every_session_and_the_view_is_audited_once(writer, fresh) -> None:
    at = writer()
    assert not at.exception
    assert set(shown(at)) == VISIBLE  # archived hidden, globex never
    at.run()
    at.run()
    entries = audit_entries(fresh)
    assert [(e["action"], e["actor_email"], e["org_id"]) for e in entries] == [
        ("admin.view", ADMIN, "org_acme")
    ]


def test_an_analyst_gets_admins_only_no_data_and_one_denied_entry(writer, fresh) -> None:
    at = writer(email=ANALYST, tab=ak.TAB_ANALYTICS)
    assert not at.exception
    assert "Admins only" in at.error[0].value
    assert not at.dataframe and not at.metric and not at.get("plotly_chart")
    assert "Deploy" not in texts(at)
    at.run()
    entries = audit_entries(fresh)
    assert [(e["action"], e["actor_email"], e["org_id"]) for e in entries] == [
        ("admin.denied", ANALYST, "org_acme")
    ]


def test_a_non_member_typing_admin_gets_admins_only_and_one_org_less_entry(writer, fresh) -> None:
    at = writer(email="stranger@elsewhere.example")
    assert not at.exception
    assert "Admins only" in at.error[0].value
    assert not at.dataframe and not at.metric and "Deploy" not in texts(at)
    at.run()
    entries = audit_entries(fresh)
    assert [(e["action"], e["actor_email"], e["org_id"]) for e in entries] == [
        ("admin.denied", "stranger@elsewhere.example", None)
    ]


def test_a_non_member_elsewhere_sees_no_access_and_nothing_is_audited(app) -> None:
    at = app(email="stranger@elsewhere.example")
    assert not at.exception
    assert [t.value for t in at.title] == ["No access"]
    assert "stranger@elsewhere.example" in [c.value for c in at.code]


def test_another_organizations_admin_sees_only_their_own(admin) -> None:
    at = admin(email="admin@globex.example")
    assert shown(at) == ["ses_g1"]
    assert "ann@corp" not in at.dataframe[0].value.to_string()


# --- filters in the URL ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "failed"}, {"ses_a2", "ses_p2"}),
        ({"status": "failed,paused"}, {"ses_a2", "ses_p2", "ses_a5"}),
        ({"user": "bob"}, {"ses_a3", "ses_a4", "ses_p2"}),
        ({"user": "usr_ann"}, {"ses_a1", "ses_a2", "ses_a5", "ses_p1"}),
        ({"from": "2026-11-02"}, {"ses_a3", "ses_a4", "ses_a5"}),
        ({"from": "2026-11-01", "to": "2026-11-01"}, {"ses_a1", "ses_a2"}),
        ({"to": "2026-10-31"}, {"ses_p1", "ses_p2"}),
        ({"q": "DEPLOY"}, {"ses_a1", "ses_a2"}),
        ({"server": "srv_wf"}, {"ses_a3"}),
        ({"status": "completed", "user": "ann", "from": "2026-11-01"}, {"ses_a1"}),
    ],
)
def test_filters_are_read_from_the_url(admin, params, expected) -> None:
    at = admin(**params)
    assert not at.exception and not at.warning
    assert set(shown(at)) == expected
    assert dict(at.query_params) == params  # a valid link is left as it is
    assert f"of {len(expected)} session" in texts(at)


def test_the_widgets_show_what_the_url_says(admin) -> None:
    at = admin(status="failed,paused", user="bob", q="deploy", server="srv_wf", **NOV1_2)
    assert at.text_input(key=ak.F_USER).value == "bob"
    assert at.text_input(key=ak.F_Q).value == "deploy"
    assert at.pills(key=ak.F_STATUS).value == ["failed", "paused"]
    assert at.multiselect(key=ak.F_SERVER).value == ["srv_wf"]
    assert at.date_input(key=ak.F_FROM).value == date(2026, 11, 1)
    assert at.date_input(key=ak.F_TO).value == date(2026, 11, 2)


@pytest.mark.parametrize(
    ("params", "message", "kept", "expected"),
    [
        ({"status": "bogus"}, "unknown `status`", {}, VISIBLE),
        (
            {"status": "failed,bogus"},
            "unknown `status`",
            {"status": "failed"},
            {"ses_a2", "ses_p2"},
        ),
        ({"from": "2026-13-01"}, "is not a date", {}, VISIBLE),
        (
            {"to": "yesterday", "q": "deploy"},
            "is not a date",
            {"q": "deploy"},
            {"ses_a1", "ses_a2"},
        ),
        ({"from": "9999-12-31"}, "is not a date", {}, VISIBLE),
        ({"from": "2026-11-05", "to": "2026-11-01"}, "`from` is after `to`", {}, VISIBLE),
        ({"q": "x" * 100_000}, "not a search text", {}, VISIBLE),
        ({"user": "a\x00b"}, "not a search text", {}, VISIBLE),
        ({"server": "srv_gx"}, "unknown `server`", {}, VISIBLE),  # globex's server
    ],
)
def test_bad_params_get_a_short_message_and_leave_the_url(
    admin, params, message, kept, expected
) -> None:
    at = admin(**params)
    assert not at.exception
    assert message in at.warning[0].value and len(at.warning[0].value) < 400
    assert dict(at.query_params) == kept
    assert set(shown(at)) == expected
    assert "Globex" not in texts(at)


def test_a_filter_widget_writes_its_param_in_one_update(admin) -> None:
    at = admin(status="failed")
    at.text_input(key=ak.F_Q).input("rollback").run()
    assert dict(at.query_params) == {"status": "failed", "q": "rollback"}
    assert shown(at) == ["ses_a2"]
    at.date_input(key=ak.F_FROM).set_value(date(2026, 11, 2)).run()
    assert at.query_params["from"] == "2026-11-02" and at.info  # nothing matches now
    at.button(key=ak.F_CLEAR).click().run()
    assert dict(at.query_params) == {} and set(shown(at)) == VISIBLE


def test_archived_sessions_only_with_show_archived(admin) -> None:
    at = admin()
    assert admin_data_set.ARCHIVED not in shown(at)
    at.toggle(key=ak.F_ARCHIVED).set_value(True).run()
    assert admin_data_set.ARCHIVED in shown(at)
    assert "archived_at" in at.dataframe[0].value.columns


def test_sort_by_duration_or_errors(admin) -> None:
    at = admin()
    assert shown(at)[:2] == ["ses_a5", "ses_a4"]  # newest first
    at.segmented_control(key=ak.SORT).set_value("duration").run()
    assert shown(at)[:3] == ["ses_a3", "ses_a2", "ses_p2"]
    at.segmented_control(key=ak.SORT).set_value("errors").run()
    assert shown(at)[:2] == ["ses_a2", "ses_p2"]


def test_keyset_pages_next_and_previous_with_the_total(admin, monkeypatch) -> None:
    monkeypatch.setattr(admin_data, "PAGE_SIZE", 3)
    at = admin()
    assert shown(at) == ["ses_a5", "ses_a4", "ses_a3"] and "1–3 of 7 sessions" in texts(at)
    at.button(key=ak.NEXT).click().run()
    assert shown(at) == ["ses_a2", "ses_a1", "ses_p1"] and "4–6 of 7 sessions" in texts(at)
    at.button(key=ak.NEXT).click().run()
    assert shown(at) == ["ses_p2"] and at.button(key=ak.NEXT).disabled
    at.button(key=ak.PREV).click().run()
    assert shown(at) == ["ses_a2", "ses_a1", "ses_p1"]


def test_the_table_reads_well(admin) -> None:
    table = admin(status="failed", q="rollback").dataframe[0].value
    row = table.iloc[0]
    assert row["status"] == "✖ failed" and row["duration"] == "2 min"
    assert row["user"] == "user?user=usr_ann" and row["session"] == "session?session=ses_a2"
    assert row["error_rate"] == 1.0 and row["total_errors"] == 5
    # What an admin scans first comes first: at 1,366 px the columns after Server scroll.
    first = ["status", "title", "started_at", "duration", "total_tool_calls", "total_errors"]
    assert list(table.columns[: len(first)]) == first


def test_the_sessions_tab_runs_no_analytics(admin, statements) -> None:
    statements.clear()
    admin()
    sql = "\n".join(statements).lower()
    assert "from sessions" in sql and "group by" not in sql and "row_number" not in sql


# --- bulk actions ------------------------------------------------------------------------------


def test_archive_selected_rows_after_a_confirmation(writer, fresh) -> None:
    before = archived(fresh)
    at = select(writer(), ["ses_a1", "ses_a2"])
    assert "**2 sessions selected**" in texts(at)
    at.button(key=ak.ARCHIVE).click().run()
    assert "Archive **2 sessions** selected?" in texts(at)
    assert archived(fresh) == before  # the dialog alone writes nothing
    at.button(key=ak.CONFIRM).click().run()
    assert not at.exception
    assert "2 sessions archived." in at.success[0].value
    assert {s for s, gone in archived(fresh).items() if gone} == {"ses_a1", "ses_a2", "ses_old"}
    assert set(shown(at)) == VISIBLE - {"ses_a1", "ses_a2"}  # caches cleared
    [entry] = audit_entries(fresh, "sessions.archive")
    assert entry["actor_email"] == ADMIN and set(entry["target_id"].split(",")) == {
        "ses_a1",
        "ses_a2",
    }


def test_restore_an_archived_session(writer, fresh) -> None:
    at = writer()
    # Nothing listed is archived until asked: Restore is off and says why.
    assert at.button(key=ak.RESTORE).disabled and "Show archived" in at.button(key=ak.RESTORE).help
    at.toggle(key=ak.F_ARCHIVED).set_value(True).run()
    select(at, [admin_data_set.ARCHIVED])
    assert not at.button(key=ak.RESTORE).disabled
    at.button(key=ak.RESTORE).click().run()
    at.button(key=ak.CONFIRM).click().run()
    assert "1 session restored." in at.success[0].value
    assert not any(archived(fresh).values())
    [entry] = audit_entries(fresh, "sessions.restore")
    assert entry["target_id"] == admin_data_set.ARCHIVED


def test_cancel_closes_the_dialog_and_changes_nothing(writer, fresh) -> None:
    at = select(writer(), ["ses_a1"])
    at.button(key=ak.ARCHIVE).click().run()
    at.button(key=ak.CANCEL).click().run()
    assert ak.CONFIRM not in [b.key for b in at.button]
    assert not any(v for k, v in archived(fresh).items() if k != admin_data_set.ARCHIVED)
    assert audit_entries(fresh, "sessions.archive") == []


def test_a_failure_part_way_leaves_every_row_as_it_was(writer, fresh, monkeypatch) -> None:
    real = bulk._set_archived_chunk
    calls: list[list[str]] = []

    def fail_on_second(conn, org_id, chunk, value):  # type: ignore[no-untyped-def]
        calls.append(chunk)
        if len(calls) == 2:
            raise sa.exc.OperationalError("UPDATE sessions", {}, Exception("connection lost"))
        return real(conn, org_id, chunk, value)

    monkeypatch.setattr(admin_bulk, "CHUNK", 1)
    monkeypatch.setattr(bulk, "_set_archived_chunk", fail_on_second)
    before = archived(fresh)
    at = select(writer(), ["ses_a1", "ses_a2", "ses_a3"])
    at.button(key=ak.ARCHIVE).click().run()
    at.button(key=ak.CONFIRM).click().run()
    assert not at.exception
    assert len(calls) == 2  # the first chunk was archived, then the failure
    assert "nothing was changed" in at.error[0].value and "connection lost" in at.error[0].value
    assert archived(fresh) == before
    assert audit_entries(fresh, "sessions.archive") == []
    assert {"ses_a1", "ses_a2", "ses_a3"} <= set(shown(at))


def test_all_matching_the_filter_with_progress(writer, fresh, monkeypatch) -> None:
    progress: list[tuple[int, int]] = []
    real = bulk.archive

    def spy(conn, **kw):  # type: ignore[no-untyped-def]
        shown_bar = kw["progress"]
        assert shown_bar is not None  # more ids than one chunk: a progress bar

        def record(done: int, total: int) -> None:
            progress.append((done, total))
            shown_bar(done, total)

        return real(conn, **{**kw, "progress": record})

    monkeypatch.setattr(admin_bulk, "CHUNK", 2)
    monkeypatch.setitem(admin_bulk.ACTIONS, "archive", ("Archive", ":material/archive:", spy))
    at = writer(user="ann")
    select(at, ["ses_a1"])
    at.toggle(key=ak.SCOPE_ALL).set_value(True).run()
    assert "**All 4 sessions matching**" in texts(at) and "1 session selected" not in texts(at)
    at.button(key=ak.ARCHIVE).click().run()
    assert "Archive **4 sessions** matching the filter?" in texts(at)
    at.button(key=ak.CONFIRM).click().run()
    assert progress == [(2, 4), (4, 4)]
    gone = {s for s, a in archived(fresh).items() if a} - {admin_data_set.ARCHIVED}
    assert gone == {"ses_a1", "ses_a2", "ses_a5", "ses_p1"}
    assert len(audit_entries(fresh, "sessions.archive")) == 1


def _export(at: AppTest, kind: str) -> None:
    at.button(key=ak.EXPORT).click().run()
    at.radio(key=ak.EXPORT_FORMAT).set_value(kind).run()
    at.button(key=ak.CONFIRM).click().run()
    assert not at.exception
    assert at.download_button(key=ak.DOWNLOAD)


def test_export_csv_is_a_download_and_one_audit_entry(writer, fresh, monkeypatch) -> None:
    downloads = Downloads(monkeypatch)
    at = select(writer(), ["ses_a1", "ses_a2"])
    _export(at, "csv")
    payload = downloads.click(at, ak.DOWNLOAD)
    rows = list(csv.DictReader(io.StringIO(payload.decode(), newline="")))
    assert [r["id"] for r in rows] == ["ses_a2", "ses_a1"]
    assert rows[0]["title"] == "Deploy rollback"
    [entry] = audit_entries(fresh, "sessions.export_csv")
    assert entry["actor_email"] == ADMIN and entry["detail"]["exported"] == 2
    assert audit_entries(fresh, "sessions.export_json") == []


def test_export_json_carries_each_sessions_timeline(writer, fresh, monkeypatch) -> None:
    downloads = Downloads(monkeypatch)
    at = select(writer(), ["ses_a2"])
    _export(at, "json")
    [session] = json.loads(downloads.click(at, ak.DOWNLOAD))
    kinds = [item["kind"] for item in session["timeline"]]
    assert session["id"] == "ses_a2" and kinds == ["tool_call"] * 3 + ["ticket"]
    assert len(audit_entries(fresh, "sessions.export_json")) == 1


def test_an_export_file_is_deleted_on_dismiss_and_on_the_next_export(writer) -> None:
    at = select(writer(), ["ses_a1", "ses_a2"])
    _export(at, "csv")
    first = at.session_state[ak.OUTCOME].file
    assert first.size > 0 and not first.closed
    _export(select(at, ["ses_a1"]), "json")
    second = at.session_state[ak.OUTCOME].file
    assert first.closed and not second.closed
    at.button(key=ak.DISMISS).click().run()
    assert second.closed and not at.download_button


def test_an_export_over_the_limits_is_refused_with_no_file(writer, fresh, monkeypatch) -> None:
    small = functools.partial(bulk.export_csv, limits=bulk.ExportLimits(items=1))
    monkeypatch.setattr(bulk, "export_csv", small)
    at = select(writer(), ["ses_a1", "ses_a2"])
    _export_refused(at)
    assert "Not exported" in at.error[0].value and "Select fewer sessions" in at.error[0].value
    assert audit_entries(fresh, "sessions.export_csv") == []


def _export_refused(at: AppTest) -> None:
    at.button(key=ak.EXPORT).click().run()
    at.radio(key=ak.EXPORT_FORMAT).set_value("csv").run()
    at.button(key=ak.CONFIRM).click().run()
    assert not at.exception and not at.download_button


def test_nothing_selected_means_no_action(admin) -> None:
    at = admin()
    assert all(at.button(key=k).disabled for k in (ak.ARCHIVE, ak.RESTORE, ak.EXPORT))


def test_the_audit_log_is_only_ever_appended_to(writer, fresh, statements) -> None:
    at = select(writer(), ["ses_a1"])
    at.button(key=ak.ARCHIVE).click().run()
    at.button(key=ak.CONFIRM).click().run()
    at.toggle(key=ak.F_ARCHIVED).set_value(True).run()
    select(at, ["ses_a1"]).button(key=ak.RESTORE).click().run()
    at.button(key=ak.CONFIRM).click().run()
    _export(select(at, ["ses_a1"]), "csv")
    sql = [s.lower() for s in statements if "audit_log" in s.lower()]
    assert any(s.startswith("insert into audit_log") for s in sql)
    assert not any(s.startswith(("update audit_log", "delete from audit_log")) for s in sql)
    assert [e["action"] for e in audit_entries(fresh)] == [
        "admin.view",
        "sessions.archive",
        "sessions.restore",
        "sessions.export_csv",
    ]


# --- analytics ---------------------------------------------------------------------------------


def test_kpi_cards_equal_the_numbers_worked_out_by_hand(admin) -> None:
    at = admin(tab=ak.TAB_ANALYTICS, **NOV1_2)
    assert not at.exception
    assert metrics(at) == {
        "Sessions": ("5", "+3"),
        "Active now": ("1", None),
        "Success rate": ("66.7%", "+16.7 pp"),
        "Median duration": ("2 min", "+1 min 30 s"),
        "p95 duration": ("5 min", "+3 min 30 s"),
        "Tool error rate": ("30.0%", "+20.0 pp"),
        "Tickets opened": ("2", "+1"),
    }
    assert "deltas against 2026-10-30 to 2026-10-31" in texts(at)
    assert len(at.get("plotly_chart")) == 6


def test_analytics_follow_the_filters(admin) -> None:
    at = admin(tab=ak.TAB_ANALYTICS, user="bob", **NOV1_2)
    assert metrics(at)["Sessions"] == ("2", "+1")  # a3, a4 against p2
    assert metrics(at)["Success rate"] == ("100.0%", "+100.0 pp")


def test_without_a_range_the_analytics_cover_the_last_30_days(admin) -> None:
    at = admin(tab=ak.TAB_ANALYTICS)
    assert not at.exception and "Last 30 days" in texts(at)
    assert len(at.metric) == 7


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        (None, None, (date(2026, 10, 24), date(2026, 11, 22))),  # the last 30 days
        (date(2026, 11, 1), None, (date(2026, 11, 1), date(2026, 11, 22))),
        (None, date(2026, 11, 1), (date(2026, 10, 3), date(2026, 11, 1))),
        (date(2026, 1, 1), date(2026, 1, 2), (date(2026, 1, 1), date(2026, 1, 2))),
    ],
)
def test_analytics_period(date_from, date_to, expected) -> None:
    flt = AdminFilter(date_from=date_from, date_to=date_to)
    shown_ = admin_analytics.period(flt, today=date(2026, 11, 22))
    assert (shown_.date_from, shown_.date_to) == expected


def _day(day: str, **more: str) -> dict[str, str]:
    return {"from": day, "to": day, **more}


@pytest.mark.parametrize(
    ("chart", "customdata", "params", "note"),
    [
        ("per_day", ["2026-11-01", "failed", 1, 3], _day("2026-11-01", status="failed"), None),
        ("success", ["2026-11-02", 1, 0], _day("2026-11-02", status="completed,failed"), None),
        ("durations", ["2026-11-02", "p95", "5 min"], _day("2026-11-02"), None),
        ("users", ["usr_bob", "bob", 3, 1, "33%"], {"user": "usr_bob"}, None),
        ("tools", ["search", 10, 1, "10%", ""], {}, admin_analytics.TOOL_NOTE),
        ("funnel", ["jobs", ""], {}, admin_analytics.FUNNEL_NOTE),
        ("per_day", [], {}, None),
    ],
)
def test_a_chart_click_narrows_the_table(chart, customdata, params, note) -> None:
    assert admin_analytics.narrow(chart, customdata) == (params, note)


def test_a_click_on_the_real_figures_narrows_by_their_customdata() -> None:
    per_day = pd.DataFrame(
        {"day": [date(2026, 11, 1)] * 2, "status": ["failed", "completed"], "sessions": [1, 2]}
    )
    bar = charts.sessions_per_day(per_day).data[0]
    params, _ = admin_analytics.narrow("per_day", bar.customdata[0])
    assert params == {"from": "2026-11-01", "to": "2026-11-01", "status": bar.name}
    users = pd.DataFrame(
        {
            "end_user_id": ["usr_bob"],
            "user_email": ["bob@corp.example"],
            "sessions": [3],
            "failed": [1],
        }
    )
    point = charts.top_users(users).data[0].customdata[0]
    assert admin_analytics.narrow("users", point) == ({"user": "usr_bob"}, None)


# --- audit log ---------------------------------------------------------------------------------


def test_the_audit_log_shows_who_did_what_to_which_ids(writer, monkeypatch) -> None:
    at = select(writer(), ["ses_a1", "ses_a2"])
    at.button(key=ak.ARCHIVE).click().run()
    at.button(key=ak.CONFIRM).click().run()
    at.query_params[ak.P_TAB] = ak.TAB_AUDIT  # the Audit log tab, as a click writes it
    at.run()
    log = at.dataframe[0].value
    assert list(log["action"]) == ["sessions.archive", "admin.view"]
    assert log.iloc[0]["actor_email"] == ADMIN and log.iloc[0]["targets"] == 2
    assert set(log.iloc[0]["target_id"].split(",")) == {"ses_a1", "ses_a2"}
    at.multiselect(key=ak.AUDIT_ACTIONS).set_value(["admin.view"]).run()
    assert list(at.dataframe[0].value["action"]) == ["admin.view"]
    at.text_input(key=ak.AUDIT_ACTOR).input("nobody").run()
    assert "No audit entries match." in texts(at)


def test_audit_log_pages(writer, monkeypatch) -> None:
    monkeypatch.setattr(admin_data, "PAGE_SIZE", 1)
    at = select(writer(q="deploy check"), ["ses_a1"])
    at.button(key=ak.ARCHIVE).click().run()
    at.button(key=ak.CONFIRM).click().run()
    at.query_params[ak.P_TAB] = ak.TAB_AUDIT  # the Audit log tab, as a click writes it
    at.run()
    assert list(at.dataframe[0].value["action"]) == ["sessions.archive"]
    at.button(key=ak.AUDIT_OLDER).click().run()
    assert list(at.dataframe[0].value["action"]) == ["admin.view"]
    assert at.button(key=ak.AUDIT_OLDER).disabled
    at.button(key=ak.AUDIT_NEWER).click().run()
    assert list(at.dataframe[0].value["action"]) == ["sessions.archive"]
