"""queries.admin on both backends, over a hand-built world of two organizations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from queries.admin import (
    SORTS,
    AdminFilter,
    count_sessions,
    list_sessions,
    servers,
    sessions_by_ids,
)
from tests import factories
from tests.admin_world import COLUMNS, World, at, build_world


@pytest.fixture()
def world(conn: sa.Connection) -> World:
    return build_world(conn)


def ids(frame: pd.DataFrame) -> list[str]:
    return list(frame["id"])


def a(*numbers: int) -> list[str]:
    return [f"ses_a{n:02d}" for n in numbers]


def all_rows(conn: sa.Connection, world: World, flt: AdminFilter, sort: str) -> list[str]:
    return ids(list_sessions(conn, org_id=world.acme, flt=flt, sort=sort, limit=100).rows)


def test_list_sessions_default_is_newest_first_without_archived(conn, world):
    page = list_sessions(conn, org_id=world.acme, flt=AdminFilter())
    assert list(page.rows.columns) == COLUMNS
    assert ids(page.rows) == a(9, 8, 7, 6, 5, 4, 3, 2, 1)
    assert page.next_cursor is None


def test_list_sessions_row_values_and_types(conn, world):
    rows = list_sessions(conn, org_id=world.acme, flt=AdminFilter()).rows.set_index("id")
    a04 = rows.loc["ses_a04"]
    assert a04["duration_s"] == 30.25
    assert (a04["user_email"], a04["user_distinct_id"]) == ("bob@acme.test", "d-bob")
    assert (a04["server_name"], a04["server_kind"]) == ("Search", "mcp")
    assert a04["started_at"] == at(2, 0)
    assert a04["completed_at"] == at(2, 0) + timedelta(seconds=30.25)
    assert str(rows["started_at"].dt.tz) == "UTC"
    assert pd.isna(rows.loc["ses_a05", "duration_s"])
    assert rows["duration_s"].dtype == float
    assert rows["total_errors"].dtype == "int64"
    assert rows.loc["ses_a03", "total_contacts"] == 50


def test_archived_only_with_include_archived(conn, world):
    flt = AdminFilter(include_archived=True)
    assert all_rows(conn, world, flt, "started_at") == a(9, 10, 8, 7, 6, 5, 4, 3, 2, 1)
    assert count_sessions(conn, org_id=world.acme, flt=AdminFilter()) == 9
    assert count_sessions(conn, org_id=world.acme, flt=flt) == 10


# Expected full orders (include_archived), worked out by hand from admin_world.ACME_SESSIONS.
ORDERS = {
    # a10 and a08 start at the same instant: id DESC breaks the tie.
    "started_at": a(9, 10, 8, 7, 6, 5, 4, 3, 2, 1),
    # 1800, 600, 120, 90, 60 (a07), 60 (a01), 45, 30.25, then NULLs (a08, a05) last.
    "duration": a(3, 6, 2, 9, 7, 1, 10, 4, 8, 5),
    # 3, 2, 1 x4 by id DESC, 0 x4 by id DESC.
    "errors": a(9, 2, 10, 7, 5, 1, 8, 6, 4, 3),
}


@pytest.mark.parametrize("sort", SORTS)
def test_full_order_per_sort(conn, world, sort):
    assert all_rows(conn, world, AdminFilter(include_archived=True), sort) == ORDERS[sort]


@pytest.mark.parametrize("limit", [1, 2, 3, 4])
@pytest.mark.parametrize("sort", SORTS)
def test_keyset_paging_walks_every_row_once_in_order(conn, world, sort, limit):
    flt, seen, after, pages = AdminFilter(include_archived=True), [], None, 0
    while True:
        page = list_sessions(conn, org_id=world.acme, flt=flt, sort=sort, after=after, limit=limit)
        assert len(page.rows) <= limit
        seen += ids(page.rows)
        pages += 1
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == ORDERS[sort]
    assert pages == -(-10 // limit)  # no empty trailing page: 10 rows fill ceil(10/limit)


def test_cursor_values_are_plain_python(conn, world):
    flt = AdminFilter(include_archived=True)
    by_start = list_sessions(conn, org_id=world.acme, flt=flt, limit=3).next_cursor
    assert by_start == (at(3, 9), "ses_a08")
    assert type(by_start[0]) is datetime
    by_dur = list_sessions(conn, org_id=world.acme, flt=flt, sort="duration", limit=9)
    assert by_dur.next_cursor == (None, "ses_a08")
    by_err = list_sessions(conn, org_id=world.acme, flt=flt, sort="errors", limit=2)
    assert by_err.next_cursor == (2, "ses_a02")


def test_unknown_sort_and_empty_pages_are_rejected(conn, world):
    with pytest.raises(ValueError, match="unknown sort"):
        list_sessions(conn, org_id=world.acme, flt=AdminFilter(), sort="title")
    with pytest.raises(ValueError, match="limit"):
        list_sessions(conn, org_id=world.acme, flt=AdminFilter(), limit=0)


FILTERS = [
    (AdminFilter(date_from=date(2026, 11, 2), date_to=date(2026, 11, 2)), a(7, 6, 5, 4)),
    (AdminFilter(date_to=date(2026, 11, 1)), a(3, 2, 1)),  # 23:30 is still 1 Nov
    (AdminFilter(date_from=date(2026, 11, 3)), a(9, 8)),
    (AdminFilter(statuses=("completed",)), a(9, 4, 3, 1)),
    (AdminFilter(statuses=("failed", "active")), a(7, 6, 5, 2)),
    (AdminFilter(server_ids=("srv_a_wf",)), a(8, 6, 3)),
    (AdminFilter(server_ids=("srv_b_mcp",)), []),  # another org's server
    (AdminFilter(title_q="100%"), a(9)),  # % is literal, so not "Quarterly 1000"
    (AdminFilter(title_q="quarterly"), a(9, 8)),
    (AdminFilter(title_q="a_b"), a(7)),  # _ is literal, so not "axb"
    (AdminFilter(user_q="ALICE"), a(8, 7, 5, 2, 1)),  # email, any case
    (AdminFilter(user_q="d-bo"), a(9, 6, 4, 3)),  # distinct_id
    (AdminFilter(user_q="archer"), a(8, 7, 5, 2, 1)),  # display name
    (AdminFilter(user_q="_"), a(9, 6, 4, 3)),  # only Bob_Builder has a literal _
    (AdminFilter(user_q="usr_bob"), a(9, 6, 4, 3)),  # exact end-user id
    (AdminFilter(user_q="carol"), []),  # another org's user
    (AdminFilter(user_q="  "), a(9, 8, 7, 6, 5, 4, 3, 2, 1)),  # blank = no filter
    (AdminFilter(user_q="alice", statuses=("failed",), date_to=date(2026, 11, 1)), a(2)),
]


@pytest.mark.parametrize(("flt", "expected"), FILTERS)
def test_filters(conn, world, flt, expected):
    assert all_rows(conn, world, flt, "started_at") == expected
    assert count_sessions(conn, org_id=world.acme, flt=flt) == len(expected)


def test_org_isolation(conn, world):
    rows = list_sessions(conn, org_id=world.beta, flt=AdminFilter()).rows
    assert list(rows["id"]) == ["ses_b02", "ses_b01"]
    assert count_sessions(conn, org_id=world.beta, flt=AdminFilter(user_q="alice")) == 0
    assert count_sessions(conn, org_id="org_nobody", flt=AdminFilter()) == 0


def test_sessions_by_ids_keeps_only_this_orgs_rows(conn, world):
    wanted = ["ses_a01", "ses_b01", "ses_a10", "ses_missing", "ses_a01"]
    rows = sessions_by_ids(conn, org_id=world.acme, ids=wanted)
    assert list(rows.columns) == COLUMNS
    assert list(rows["id"]) == ["ses_a10", "ses_a01"]  # archived rows export too
    empty = sessions_by_ids(conn, org_id=world.acme, ids=[])
    assert list(empty.columns) == COLUMNS and empty.empty


def test_sessions_by_ids_in_chunks(conn, world, monkeypatch):
    monkeypatch.setattr("queries.admin.EXPORT_CHUNK", 3)
    rows = sessions_by_ids(conn, org_id=world.acme, ids=[f"ses_a{n:02d}" for n in range(1, 11)])
    assert list(rows["id"]) == ORDERS["started_at"]


def test_servers(conn, world):
    rows = servers(conn, org_id=world.acme)
    assert list(rows.columns) == ["id", "slug", "name", "kind"]
    assert rows.to_dict("records") == [
        {"id": "srv_a_wf", "slug": "outreach", "name": "Outreach", "kind": "workflow"},
        {"id": "srv_a_mcp", "slug": "search", "name": "Search", "kind": "mcp"},
    ]


def test_empty_result_keeps_columns(conn, world):
    page = list_sessions(conn, org_id=world.acme, flt=AdminFilter(user_q="nobody"))
    assert list(page.rows.columns) == COLUMNS
    assert page.rows.empty and page.next_cursor is None


def test_admin_filter_is_hashable():
    assert hash(AdminFilter(statuses=("failed",))) == hash(AdminFilter(statuses=("failed",)))


def test_durations_are_exact_to_the_microsecond(conn, world):
    acme, user = {"id": world.acme}, {"id": world.alice}
    srv = {"id": world.mcp}
    start = datetime(2026, 11, 20, 23, 59, 59, 999_600, tzinfo=UTC)
    for sid, length in (
        ("ses_us1", timedelta(seconds=30, microseconds=250_500)),
        ("ses_us2", timedelta(days=2, microseconds=1)),
        ("ses_us3", timedelta(microseconds=400)),
    ):
        factories.session(
            conn, acme, user, srv, id=sid, started_at=start, completed_at=start + length
        )
    flt = AdminFilter(date_from=date(2026, 11, 20))
    rows = list_sessions(conn, org_id=world.acme, flt=flt, sort="duration").rows
    assert list(zip(rows["id"], rows["duration_s"], strict=True)) == [
        ("ses_us2", 172800.000001),
        ("ses_us1", 30.2505),
        ("ses_us3", 0.0004),
    ]


@pytest.mark.parametrize("field", ["user_q", "title_q"])
def test_a_nul_in_the_search_text_matches_nothing_and_never_errors(conn, world, field) -> None:
    flt = AdminFilter(**{field: "ali\x00ce"})
    assert count_sessions(conn, org_id=world.acme, flt=flt) == 0
