from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from queries import users
from queries.page import like_pattern
from tests import factories
from tests.factories import T0


@pytest.fixture()
def acme(conn: sa.Connection) -> dict:
    """Org A with five users (two seen at the same instant, two never seen) and an org B twin."""
    a, b = factories.org(conn, id="org_a"), factories.org(conn, id="org_b")
    seen = {
        "u1": T0 + timedelta(hours=2),
        "u2": T0 + timedelta(hours=1),
        "u3": T0 + timedelta(hours=1),
        "u4": None,
        "u5": None,
    }
    for uid in ("u5", "u3", "u1", "u4", "u2"):  # inserted out of order on purpose
        factories.end_user(
            conn,
            a,
            id=f"usr_{uid}",
            distinct_id=f"dist-{uid}",
            email=f"{uid}@acme.test",
            display_name=f"Person {uid.upper()}",
            last_seen_at=seen[uid],
        )
    factories.end_user(
        conn,
        b,
        id="usr_b1",
        distinct_id="dist-u1",
        email="u1@acme.test",
        display_name="Person U1",
        last_seen_at=T0 + timedelta(hours=9),
    )
    return {"a": a, "b": b}


ORDER = ["usr_u1", "usr_u2", "usr_u3", "usr_u4", "usr_u5"]


def test_search_orders_by_last_seen_desc_nulls_last_then_id(conn: sa.Connection, acme) -> None:
    page = users.search(conn, org_id="org_a")
    assert list(page.rows["id"]) == ORDER
    assert list(page.rows.columns) == list(users.SEARCH_COLUMNS)
    assert page.next_cursor is None


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5])
def test_search_pages_walk_every_user_once(conn: sa.Connection, acme, limit: int) -> None:
    seen, after = [], None
    for _ in range(10):
        page = users.search(conn, org_id="org_a", after=after, limit=limit)
        assert len(page.rows) <= limit
        seen += list(page.rows["id"])
        after = page.next_cursor
        if after is None:
            break
    assert seen == ORDER


def test_search_counts_non_archived_sessions_and_all_tickets(conn: sa.Connection, acme) -> None:
    u1 = {"id": "usr_u1", "org_id": "org_a", "email": "u1@acme.test"}
    srv = factories.server(conn, acme["a"])
    kept = factories.session(conn, acme["a"], u1, srv)
    gone = factories.session(conn, acme["a"], u1, srv, archived_at=T0)
    factories.ticket(conn, kept, u1)
    factories.ticket(conn, gone, u1)
    factories.ticket(conn, None, u1)
    row = users.search(conn, org_id="org_a", q="u1").rows.iloc[0]
    assert (row["id"], row["session_count"], row["ticket_count"]) == ("usr_u1", 1, 3)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("PERSON u2", ["usr_u2"]),  # display_name, case-insensitive
        ("U3@ACME", ["usr_u3"]),  # email
        ("dist-u4", ["usr_u4"]),  # distinct_id
        ("acme.test", ORDER),
        ("  ", ORDER),
        ("nothing", []),
    ],
)
def test_search_filters(conn: sa.Connection, acme, q: str, expected: list[str]) -> None:
    assert list(users.search(conn, org_id="org_a", q=q).rows["id"]) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [("50%", ["usr_pct"]), ("a_b", ["usr_und"]), ("c\\d", ["usr_bsl"]), ("%", ["usr_pct"])],
)
def test_search_wildcards_match_literally(conn: sa.Connection, q: str, expected: list) -> None:
    a = factories.org(conn, id="org_a")
    for uid, name in [
        ("usr_pct", "50% off"),
        ("usr_und", "a_b"),
        ("usr_x", "axb 500"),
        ("usr_bsl", "c\\d"),
        ("usr_y", "cxd"),
    ]:
        factories.end_user(
            conn,
            a,
            id=uid,
            distinct_id=uid.replace("_", "-"),
            email=f"{uid.replace('_', '')}@x.test",
            display_name=name,
        )
    assert sorted(users.search(conn, org_id="org_a", q=q).rows["id"]) == expected


def test_like_pattern_escapes() -> None:
    assert like_pattern("a%b_c\\d") == "%a\\%b\\_c\\\\d%"


def test_search_never_returns_another_org(conn: sa.Connection, acme) -> None:
    assert "usr_b1" not in set(users.search(conn, org_id="org_a", q="u1").rows["id"])
    assert list(users.search(conn, org_id="org_b").rows["id"]) == ["usr_b1"]
    assert users.search(conn, org_id="org_nope").rows.empty


def test_resolve_by_id_or_distinct_id_with_totals(conn: sa.Connection, acme) -> None:
    u2 = {"id": "usr_u2", "org_id": "org_a", "email": "u2@acme.test"}
    srv = factories.server(conn, acme["a"])
    factories.session(conn, acme["a"], u2, srv, total_tool_calls=7, total_errors=2)
    factories.session(conn, acme["a"], u2, srv, total_tool_calls=3, total_errors=1)
    factories.session(conn, acme["a"], u2, srv, total_tool_calls=50, archived_at=T0)
    factories.ticket(conn, None, u2)
    by_id = users.resolve(conn, org_id="org_a", ref="usr_u2")
    assert by_id == users.resolve(conn, org_id="org_a", ref="dist-u2")
    assert by_id == users.EndUser(
        id="usr_u2",
        distinct_id="dist-u2",
        email="u2@acme.test",
        display_name="Person U2",
        first_seen_at=T0,
        last_seen_at=T0 + timedelta(hours=1),
        session_count=2,
        tool_calls=10,
        errors=3,
        ticket_count=1,
    )


def test_resolve_empty_totals_and_prefers_id(conn: sa.Connection, acme) -> None:
    # A user whose distinct_id is another user's id: the id wins.
    factories.end_user(conn, acme["a"], id="usr_odd", distinct_id="usr_u5")
    assert users.resolve(conn, org_id="org_a", ref="usr_u5").id == "usr_u5"
    u = users.resolve(conn, org_id="org_a", ref="usr_odd")
    assert (u.session_count, u.tool_calls, u.errors, u.ticket_count) == (0, 0, 0, 0)


@pytest.mark.parametrize("ref", ["usr_b1", "nope", ""])
def test_resolve_other_org_or_unknown_is_none(conn: sa.Connection, acme, ref: str) -> None:
    assert users.resolve(conn, org_id="org_a", ref=ref) is None
