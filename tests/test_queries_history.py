"""queries.history: the sidebar's quick stats by hand, latest sessions, recently viewed cards."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from queries import history
from tests import factories as f

NOW = f.T0  # 2026-11-01 12:00 UTC
H = timedelta(hours=1)
D = timedelta(days=1)


@pytest.fixture()
def world(conn: sa.Connection) -> dict:
    """Sessions around NOW, with the status and start each count turns on."""
    acme, other = f.org(conn), f.org(conn)
    ann, srv = f.end_user(conn, acme), f.server(conn, acme, name="GitHub")
    wf = f.server(conn, acme, name="Lead gen", kind="workflow")

    def ses(sid: str, ago: timedelta, status: str = "completed", **kw: object) -> dict:
        start, end = NOW - ago, NOW - ago + timedelta(minutes=5)
        times = {"started_at": start, "last_activity_at": end, "completed_at": end}
        return f.session(conn, acme, ann, srv, id=sid, status=status, **(times | kw))

    done = ses("ses_today_done", 1 * H, title="Fix the 100% CPU_bug")
    ses("ses_today_failed", 11 * H, "failed", title="Deploy")
    ses("ses_today_active", 2 * H, "active", completed_at=None, title="Live")
    ses("ses_yesterday", 13 * H, "failed", title="Late night")  # 23:00 the day before
    ses("ses_old_active", 3 * D, "active", completed_at=None, title="Stuck")
    ses("ses_paused", 2 * D, "paused", completed_at=None, title="Paused")
    ses("ses_week_done", 6 * D, title="Older fix")
    ses("ses_too_old", 8 * D, title="Fix from last month")  # outside the 7 days
    ses("ses_gone", timedelta(minutes=30), "active", archived_at=NOW, title="Fix")
    f.session(
        conn,
        acme,
        ann,
        wf,
        id="ses_wf",
        started_at=NOW - 4 * D,
        status="failed",
        title="Leads",
        total_jobs=7,
    )
    f.ticket(conn, done, ann)
    b_user, b_srv = f.end_user(conn, other), f.server(conn, other)
    for sid, status in (("ses_b1", "active"), ("ses_b2", "completed")):
        f.session(conn, other, b_user, b_srv, id=sid, started_at=NOW - H, status=status)
    return {"org": acme["id"], "other": other["id"]}


def test_quick_stats_by_hand(conn: sa.Connection, world: dict) -> None:
    stats = history.quick_stats(conn, org_id=world["org"], now=NOW)
    # today (since 00:00 UTC): done, failed, active; not yesterday 23:00, not the archived one
    assert stats.today == 3
    # active: today's and the stuck one from 3 days ago; not the archived one, not org b's
    assert stats.active == 2
    # last 7 days: completed today_done, week_done; failed today_failed, yesterday, ses_wf
    assert (stats.completed_7d, stats.failed_7d) == (2, 3)
    assert stats.success_rate == pytest.approx(2 / 5)


def test_quick_stats_of_an_empty_org(conn: sa.Connection, world: dict) -> None:
    empty = f.org(conn)
    stats = history.quick_stats(conn, org_id=empty["id"], now=NOW)
    assert (stats.today, stats.active, stats.success_rate) == (0, 0, None)


def test_latest_is_newest_first_in_keyset_pages(conn: sa.Connection, world: dict) -> None:
    first = history.latest(conn, org_id=world["org"], limit=4)
    assert list(first.rows["id"]) == [
        "ses_today_done",
        "ses_today_active",
        "ses_today_failed",
        "ses_yesterday",
    ]
    second = history.latest(conn, org_id=world["org"], limit=4, before=first.next_cursor)
    assert list(second.rows["id"]) == ["ses_paused", "ses_old_active", "ses_wf", "ses_week_done"]
    last = history.latest(conn, org_id=world["org"], limit=4, before=second.next_cursor)
    assert list(last.rows["id"]) == ["ses_too_old"] and last.next_cursor is None


def test_latest_cards_carry_what_a_card_shows(conn: sa.Connection, world: dict) -> None:
    rows = history.latest(conn, org_id=world["org"], limit=1).rows
    assert list(rows.columns) == list(history.CARD_COLUMNS)
    card = rows.iloc[0]
    assert (card["server_name"], card["server_kind"], card["ticket_count"]) == ("GitHub", "mcp", 1)
    assert card["duration_s"] == 300.0  # the factory's 5 minutes


def test_latest_filters_by_status_and_title(conn: sa.Connection, world: dict) -> None:
    org = world["org"]
    active = history.latest(conn, org_id=org, statuses=("active",))
    assert list(active.rows["id"]) == ["ses_today_active", "ses_old_active"]
    fixes = history.latest(conn, org_id=org, title_q="  FIX ")
    assert list(fixes.rows["id"]) == ["ses_today_done", "ses_week_done", "ses_too_old"]
    literal = history.latest(conn, org_id=org, title_q="100% cpu_")  # % and _ are not wildcards
    assert list(literal.rows["id"]) == ["ses_today_done"]
    both = history.latest(conn, org_id=org, statuses=("failed",), title_q="deploy")
    assert list(both.rows["id"]) == ["ses_today_failed"]


def test_title_search_covers_the_newest_sessions_only(
    conn: sa.Connection, world: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The 4 newest, archived or not: the archived "Fix", today's three. Older fixes are out.
    monkeypatch.setattr(history, "SEARCH_SCOPE", 4)
    fixes = history.latest(conn, org_id=world["org"], title_q="fix")
    assert list(fixes.rows["id"]) == ["ses_today_done"]


def test_latest_never_shows_another_org(conn: sa.Connection, world: dict) -> None:
    ids = set(history.latest(conn, org_id=world["org"], limit=50).rows["id"])
    assert not ids & {"ses_b1", "ses_b2", "ses_gone"}
    assert set(history.latest(conn, org_id=world["other"]).rows["id"]) == {"ses_b1", "ses_b2"}


def test_by_ids_keeps_the_order_and_drops_what_is_not_visible(
    conn: sa.Connection, world: dict
) -> None:
    ids = ["ses_paused", "ses_b1", "ses_nope", "ses_gone", "ses_today_done", "ses_paused"]
    rows = history.by_ids(conn, org_id=world["org"], ids=ids)
    assert list(rows["id"]) == ["ses_paused", "ses_today_done"]
    filtered = history.by_ids(conn, org_id=world["org"], ids=ids, statuses=("paused",))
    assert list(filtered["id"]) == ["ses_paused"]
    assert history.by_ids(conn, org_id=world["org"], ids=[]).empty
