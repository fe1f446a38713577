from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from queries import sessions
from tests import factories
from tests.factories import T0


@pytest.fixture()
def world(conn: sa.Connection) -> dict:
    """User A1 with five sessions (two starting together), one archived; a look-alike in org B."""
    a, b = factories.org(conn, id="org_a"), factories.org(conn, id="org_b")
    ua, ub = factories.end_user(conn, a, id="usr_a1"), factories.end_user(conn, b, id="usr_b1")
    sa_, sb = factories.server(conn, a, name="Acme MCP"), factories.server(conn, b)
    h, sec = timedelta(hours=1), timedelta(seconds=1)
    rows = [
        ("ses_1", T0, "completed", {"completed_at": T0 + 90 * sec}),
        ("ses_2", T0 + h, "failed", {"completed_at": None, "last_activity_at": T0 + h + 30 * sec}),
        (
            "ses_3",
            T0 + h,
            "active",
            {"completed_at": None, "last_activity_at": None, "title": "Find 50% of_leads"},
        ),
        ("ses_4", T0 + 2 * h, "paused", {"completed_at": None, "title": "Quarterly leads"}),
        ("ses_arch", T0 + 3 * h, "completed", {"archived_at": T0 + 4 * h}),
    ]
    made = {
        sid: factories.session(conn, a, ua, sa_, id=sid, started_at=started, status=status, **kw)
        for sid, started, status, kw in rows
    }
    factories.session(conn, b, ub, sb, id="ses_b1", started_at=T0 + 5 * h)
    factories.ticket(conn, made["ses_2"], ua)
    return {"a": a, "b": b, "ua": ua, "ub": ub, "server": sa_}


NEWEST_FIRST = ["ses_4", "ses_3", "ses_2", "ses_1"]


def test_for_user_newest_first_with_columns(conn: sa.Connection, world) -> None:
    page = sessions.for_user(conn, org_id="org_a", end_user_id="usr_a1")
    assert list(page.rows.columns) == list(sessions.LIST_COLUMNS)
    assert list(page.rows["id"]) == NEWEST_FIRST
    assert page.next_cursor is None
    by_id = page.rows.set_index("id")
    assert by_id.loc["ses_1", "duration_s"] == 90.0  # completed_at
    assert by_id.loc["ses_2", "duration_s"] == 30.0  # last_activity_at
    assert by_id["duration_s"].isna()["ses_3"]  # neither
    assert list(by_id["ticket_count"]) == [0, 0, 1, 0]
    assert set(by_id["server_name"]) == {"Acme MCP"}
    assert set(by_id["server_kind"]) == {"mcp"}


@pytest.mark.parametrize("limit", [1, 2, 3, 4])
def test_for_user_pages_walk_every_session_once(conn: sa.Connection, world, limit: int) -> None:
    seen, before = [], None
    for _ in range(10):
        page = sessions.for_user(
            conn, org_id="org_a", end_user_id="usr_a1", before=before, limit=limit
        )
        seen += list(page.rows["id"])
        before = page.next_cursor
        if before is None:
            break
    assert seen == NEWEST_FIRST


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"statuses": ("active", "paused")}, ["ses_4", "ses_3"]),
        ({"statuses": ("completed",)}, ["ses_1"]),
        ({"title_q": "LEADS"}, ["ses_4", "ses_3"]),
        ({"title_q": "50%"}, ["ses_3"]),
        ({"title_q": "f_l"}, ["ses_3"]),
        ({"title_q": "s_l"}, []),  # "_" is literal: "s l" in "Quarterly leads" does not match
        ({"title_q": "leads", "statuses": ("paused",)}, ["ses_4"]),
    ],
)
def test_for_user_filters(conn: sa.Connection, world, kw: dict, expected: list[str]) -> None:
    page = sessions.for_user(conn, org_id="org_a", end_user_id="usr_a1", **kw)
    assert list(page.rows["id"]) == expected


@pytest.mark.parametrize(("org_id", "user_id"), [("org_a", "usr_b1"), ("org_b", "usr_a1")])
def test_for_user_other_org_is_empty(conn: sa.Connection, world, org_id, user_id) -> None:
    page = sessions.for_user(conn, org_id=org_id, end_user_id=user_id)
    assert page.rows.empty
    assert list(page.rows.columns) == list(sessions.LIST_COLUMNS)


def test_get_detail(conn: sa.Connection, world) -> None:
    d = sessions.get(conn, org_id="org_a", session_id="ses_2")
    assert (d.id, d.org_id, d.status, d.server_name, d.server_kind) == (
        "ses_2",
        "org_a",
        "failed",
        "Acme MCP",
        "mcp",
    )
    assert (d.user_distinct_id, d.user_email, d.ticket_count, d.duration_s) == (
        "d-usr_a1",
        world["ua"]["email"],
        1,
        30.0,
    )
    assert d.started_at == T0 + timedelta(hours=1)
    assert d.started_at.utcoffset() == timedelta(0)
    assert d.archived_at is None


def test_get_archived_only_when_asked(conn: sa.Connection, world) -> None:
    assert sessions.get(conn, org_id="org_a", session_id="ses_arch") is None
    d = sessions.get(conn, org_id="org_a", session_id="ses_arch", include_archived=True)
    assert d.archived_at == T0 + timedelta(hours=4)


@pytest.mark.parametrize(
    ("org_id", "sid"), [("org_a", "ses_b1"), ("org_b", "ses_1"), ("org_a", "nope")]
)
def test_get_other_org_is_none(conn: sa.Connection, world, org_id, sid) -> None:
    assert sessions.get(conn, org_id=org_id, session_id=sid, include_archived=True) is None


@pytest.mark.parametrize("newer", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("target", NEWEST_FIRST)
def test_before_newer_opens_the_page_with_that_many_sessions_above(
    conn: sa.Connection, world, target: str, newer: int
) -> None:
    """The list opened around a session: `newer` cards above it (fewer near the top)."""
    first = sessions.for_user(conn, org_id="org_a", end_user_id="usr_a1")
    row = first.rows.set_index("id").loc[target]
    key = (row["started_at"].isoformat(), target)
    flt = sessions.ListFilter()
    before = sessions.before_newer(
        conn, org_id="org_a", end_user_id="usr_a1", flt=flt, key=key, newer=newer
    )
    page = sessions.for_user(conn, org_id="org_a", end_user_id="usr_a1", before=before)
    at = NEWEST_FIRST.index(target)
    assert list(page.rows["id"]) == NEWEST_FIRST[max(at - newer, 0) :]
    assert (before is None) == (at <= newer)


def test_before_newer_counts_only_what_the_filter_keeps(conn: sa.Connection, world) -> None:
    key = (T0.isoformat(), "ses_1")
    kw = {"org_id": "org_a", "end_user_id": "usr_a1", "key": key, "newer": 1}
    only_paused = sessions.ListFilter(statuses=("paused", "completed"))
    before = sessions.before_newer(conn, flt=only_paused, **kw)
    page = sessions.for_user(
        conn, org_id="org_a", end_user_id="usr_a1", before=before, statuses=("paused", "completed")
    )
    assert list(page.rows["id"]) == ["ses_4", "ses_1"]  # ses_2 and ses_3 are filtered out
    other_org = sessions.before_newer(conn, flt=sessions.ListFilter(), **{**kw, "org_id": "org_b"})
    assert other_org is None  # nothing of org A counted from org B
