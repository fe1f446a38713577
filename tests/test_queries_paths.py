"""queries.paths and the tool-path filter (queries.tool_path) on both backends.

The world is tests/pages/datasets/paths.py; every expected number is worked out by hand
from the `tools/call` streams listed there:

    ses_s1  search fetch search fetch✖              ticket after the last fetch
    ses_s2  search✖ fetch fetch fetch fetch summarize   ticket after the first fetch
    ses_s3  search✖ search search fetch              ticket before any call
    ses_p1  search fetch✖ (31 Oct)                    ticket after the fetch
and never: ses_s4 (archived), globex's ses_g1, acme's session-less ticket.
"""

from __future__ import annotations

import pathlib
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from queries import daily, paths
from queries.admin import AdminFilter, count_sessions, list_sessions
from queries.tool_path import Path
from sessionscope import bulk, rollup, schema
from tests.importing import import_lines
from tests.pages.datasets.paths import build_world

NOV = AdminFilter(date_from=date(2026, 11, 1), date_to=date(2026, 11, 2))
OCT31 = AdminFilter(date_from=date(2026, 10, 31), date_to=date(2026, 10, 31))
ACME = "org_acme"


# When the daily rollup is settled: never (live throughout), up to 2 Nov (31 Oct and 1 Nov
# from rollup_paths, 2 Nov live), or up to 9 Nov (every day from rollup_paths).
SETTLED = {"live": None, "split": datetime(2026, 11, 3, 12, tzinfo=UTC)}
SETTLED["rolled"] = datetime(2026, 11, 10, 12, tzinfo=UTC)


@pytest.fixture()
def world(conn: sa.Connection) -> None:
    build_world(conn)


@pytest.fixture(params=list(SETTLED))
def any_world(conn: sa.Connection, request: pytest.FixtureRequest) -> str:
    """The world, its rollup settled as SETTLED[param] says: the panels' numbers must not
    change."""
    build_world(conn)
    now = SETTLED[request.param]
    if now is not None:
        for org in (ACME, "org_globex"):
            assert rollup.settle(conn, org_id=org, now=now)
    return request.param


def rows(df: pd.DataFrame) -> list[tuple]:
    return [tuple(None if pd.isna(v) else v for v in r) for r in df.itertuples(index=False)]


def seqs(conn: sa.Connection, flt: AdminFilter, length: int, org: str = ACME) -> list[tuple]:
    df = paths.sequences(conn, org_id=org, flt=flt)
    picked = df[df["length"] == length]
    return [
        (" > ".join(s for s in r[1 : 1 + length]), r.sessions, r.occurrences)
        for r in picked.itertuples(index=False)
    ]


def test_sequences_of_two(conn, any_world):
    # search>fetch: s1 twice, s2 once, s3 once = 4 in 3 sessions; fetch>fetch: s2's run of
    # four fetches holds three; search>search: s3 twice; then one each, by name.
    assert seqs(conn, NOV, 2) == [
        ("search > fetch", 3, 4),
        ("fetch > fetch", 1, 3),
        ("search > search", 1, 2),
        ("fetch > search", 1, 1),
        ("fetch > summarize", 1, 1),
    ]


def test_sequences_of_three_and_four(conn, any_world):
    assert seqs(conn, NOV, 3) == [
        ("fetch > fetch > fetch", 1, 2),  # s2: fetches 1-3 and 2-4
        ("fetch > fetch > summarize", 1, 1),
        ("fetch > search > fetch", 1, 1),
        ("search > fetch > fetch", 1, 1),
        ("search > fetch > search", 1, 1),
        ("search > search > fetch", 1, 1),
        ("search > search > search", 1, 1),
    ]
    assert seqs(conn, NOV, 4) == [
        ("fetch > fetch > fetch > fetch", 1, 1),
        ("fetch > fetch > fetch > summarize", 1, 1),
        ("search > fetch > fetch > fetch", 1, 1),
        ("search > fetch > search > fetch", 1, 1),
        ("search > search > search > fetch", 1, 1),
    ]


def test_sequences_skip_other_methods_and_pad_with_none(conn, any_world):
    df = paths.sequences(conn, org_id=ACME, flt=NOV)
    assert list(df.columns) == [
        "length",
        "step1",
        "step2",
        "step3",
        "step4",
        "sessions",
        "occurrences",
    ]
    # s1's resources/read between fetch and search is no step: fetch>search is there,
    # nothing names the resource or initialize.
    named = set(df[["step1", "step2", "step3", "step4"]].stack().dropna())
    assert named == {"search", "fetch", "summarize"}
    two = df[df["length"] == 2]
    assert two["step3"].isna().all() and two["step4"].isna().all()
    assert df["sessions"].dtype == "int64"


def test_sequences_limit_is_per_length(conn, any_world):
    df = paths.sequences(conn, org_id=ACME, flt=NOV, limit=1)
    assert rows(df) == [
        (2, "search", "fetch", None, None, 3, 4),
        (3, "fetch", "fetch", "fetch", None, 1, 2),
        (4, "fetch", "fetch", "fetch", "fetch", 1, 1),
    ]


def test_previous_period_and_other_org(conn, any_world):
    assert seqs(conn, OCT31, 2) == [("search > fetch", 1, 1)]  # ses_p1 only
    assert seqs(conn, OCT31, 3) == []
    # globex's own stream: search fetch search fetch fetch fetch summarize
    assert seqs(conn, NOV, 2, org="org_globex")[0] == ("fetch > fetch", 1, 2)


def test_archived_sessions_count_only_when_asked(conn, any_world):
    flt = AdminFilter(date_from=NOV.date_from, date_to=NOV.date_to, include_archived=True)
    # ses_s4 (search fetch✖ fetch fetch fetch) adds search>fetch once (4 sessions, 5
    # times) and fetch>fetch three times (2 sessions, 6 times).
    assert seqs(conn, flt, 2)[:2] == [("search > fetch", 4, 5), ("fetch > fetch", 2, 6)]


def test_loops(conn, any_world):
    df = paths.loops(conn, org_id=ACME, flt=NOV)
    assert list(df.columns) == ["tool_name", "sessions", "loops", "longest", "calls"]
    assert rows(df) == [("fetch", 1, 1, 4, 4), ("search", 1, 1, 3, 3)]
    assert paths.loops(conn, org_id=ACME, flt=OCT31).empty
    archived = AdminFilter(date_from=NOV.date_from, date_to=NOV.date_to, include_archived=True)
    # ses_s4: fetch✖ fetch fetch fetch is one run of four (a failure does not break it).
    assert rows(paths.loops(conn, org_id=ACME, flt=archived))[0] == ("fetch", 2, 2, 4, 8)


def test_before_error(conn, any_world):
    df = paths.before_error(conn, org_id=ACME, flt=NOV)
    assert list(df.columns) == ["before_2", "before_1", "failed_tool", "errors", "sessions"]
    # s2 and s3 fail their first call (nothing before); s1's last fetch follows fetch, search.
    # s3's prompts/get failure is no tools/call.
    assert rows(df) == [(None, None, "search", 2, 2), ("fetch", "search", "fetch", 1, 1)]
    assert rows(paths.before_error(conn, org_id=ACME, flt=OCT31)) == [
        (None, "search", "fetch", 1, 1)
    ]


def test_before_ticket(conn, any_world):
    df = paths.before_ticket(conn, org_id=ACME, flt=NOV)
    assert list(df.columns) == ["before_1", "last_tool", "tickets", "sessions"]
    # t1 after s1's search, fetch✖; t2 after s2's search✖, fetch; t3 before any call.
    # The archived session's and the session-less tickets are not counted.
    assert rows(df) == [("search", "fetch", 2, 2), (None, None, 1, 1)]


def test_tickets_per_tool(conn, any_world):
    df = paths.tickets_per_tool(conn, org_id=ACME, flt=NOV)
    assert rows(df) == [("fetch", 2, 2), (None, 1, 1)]
    assert rows(paths.tickets_per_tool(conn, org_id=ACME, flt=OCT31)) == [("fetch", 1, 1)]
    globex = paths.tickets_per_tool(conn, org_id="org_globex", flt=NOV)
    assert rows(globex) == [("summarize", 1, 1)]  # its ticket followed all seven calls


def test_empty_period(conn, any_world):
    flt = AdminFilter(date_from=date(2020, 1, 1), date_to=date(2020, 1, 2))
    for fn in (
        paths.sequences,
        paths.loops,
        paths.before_error,
        paths.before_ticket,
        paths.tickets_per_tool,
    ):
        assert fn(conn, org_id=ACME, flt=flt).empty


# --- the Admin table's path filter ---------------------------------------------------------


def matching(conn: sa.Connection, path: Path, flt: AdminFilter = NOV, org: str = ACME) -> list[str]:
    from dataclasses import replace

    narrowed = replace(flt, path=path)
    listed = list_sessions(conn, org_id=org, flt=narrowed, limit=100).rows["id"]
    assert count_sessions(conn, org_id=org, flt=narrowed) == len(listed)
    return sorted(listed)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (Path(("search", "fetch")), ["ses_s1", "ses_s2", "ses_s3"]),
        (Path(("fetch", "search")), ["ses_s1"]),  # across s1's resources/read
        (Path(("fetch", "fetch", "fetch")), ["ses_s2"]),
        (Path(("search", "search", "search", "fetch")), ["ses_s3"]),
        (Path(("fetch", "fetch", "fetch", "fetch")), ["ses_s2"]),
        (Path(("summarize", "fetch")), []),
        (Path(("search",), start=True), ["ses_s1", "ses_s2", "ses_s3"]),
        (Path(("search", "search"), start=True), ["ses_s3"]),
        (Path(("fetch",), start=True), []),
        (Path(("fetch",), then="error"), ["ses_s1"]),
        (Path(("search",), start=True, then="error"), ["ses_s2", "ses_s3"]),
        (Path(("fetch", "search", "fetch"), then="error"), ["ses_s1"]),
        (Path(("search", "fetch"), then="ticket"), ["ses_s1", "ses_s2"]),
        (Path(("fetch",), then="ticket"), ["ses_s1", "ses_s2"]),
        (Path(("search",), then="ticket"), []),  # t3 came before any call
        (Path(("fetch", "fetch"), then="ticket"), []),  # t2 followed the first fetch
    ],
)
def test_path_filter(conn, world, path, expected):
    assert matching(conn, path) == expected


def test_path_filter_is_org_scoped_and_hides_archived(conn, world):
    assert matching(conn, Path(("search", "fetch")), AdminFilter()) == [
        "ses_p1",
        "ses_s1",
        "ses_s2",
        "ses_s3",
    ]
    archived = AdminFilter(include_archived=True)
    assert "ses_s4" in matching(conn, Path(("fetch", "fetch", "fetch")), archived)
    assert matching(conn, Path(("fetch", "fetch")), AdminFilter(), org="org_globex") == ["ses_g1"]


def test_each_row_opens_exactly_its_sessions(conn, world):
    """A sequence's `sessions` equals the sessions its path filter lists."""
    df = paths.sequences(conn, org_id=ACME, flt=NOV)
    for r in df.itertuples(index=False):
        steps = tuple(s for s in (r.step1, r.step2, r.step3, r.step4) if isinstance(s, str))
        assert len(matching(conn, Path(steps))) == r.sessions, steps
    for r in paths.tickets_per_tool(conn, org_id=ACME, flt=NOV).itertuples(index=False):
        if isinstance(r.last_tool, str):
            assert len(matching(conn, Path((r.last_tool,), then="ticket"))) == r.sessions


def test_a_path_holds_one_to_four_steps():
    with pytest.raises(ValueError, match="1 to 4"):
        Path(())
    with pytest.raises(ValueError, match="1 to 4"):
        Path(("a",) * 5)
    with pytest.raises(ValueError, match="unknown"):
        Path(("a",), then="crash")


# --- the daily rollup: the same tables either way ---------------------------------------------

ROLLED_FILTERS = [
    NOV,
    OCT31,
    AdminFilter(),
    AdminFilter(include_archived=True),
    AdminFilter(date_from=date(2026, 11, 1), date_to=date(2026, 11, 1)),
    AdminFilter(statuses=("completed",)),
    AdminFilter(server_ids=("srv_gh",), include_archived=True),
    AdminFilter(server_ids=("srv_none",)),
]


def tables(conn: sa.Connection, flt: AdminFilter, org: str = ACME) -> list[list[tuple]]:
    """The five panels, every row (no top-N cut: the whole table is compared)."""
    return [
        rows(paths.sequences(conn, org_id=org, flt=flt, limit=1000)),
        rows(paths.loops(conn, org_id=org, flt=flt, limit=None)),
        rows(paths.before_error(conn, org_id=org, flt=flt, limit=1000)),
        rows(paths.before_ticket(conn, org_id=org, flt=flt, limit=1000)),
        rows(paths.tickets_per_tool(conn, org_id=org, flt=flt, limit=None)),
    ]


def live_tables(conn: sa.Connection, flt: AdminFilter, org: str = ACME) -> list[list[tuple]]:
    """tables() with the rollup out of the way (the mark removed, then put back)."""
    nested = conn.begin_nested()
    conn.execute(sa.delete(schema.rollup_marks).where(schema.rollup_marks.c.org_id == org))
    try:
        assert daily.settled_before(conn, org_id=org) is None
        return tables(conn, flt, org)
    finally:
        nested.rollback()


def stored(conn: sa.Connection, kind: str, day: date) -> list[tuple]:
    t = schema.rollup_paths
    cols = [t.c.step1, t.c.step2, t.c.step3, t.c.step4, t.c.sessions, t.c.occurrences]
    query = sa.select(*cols, t.c.longest, t.c.calls).where(
        t.c.org_id == ACME, t.c.kind == kind, t.c.day == day, t.c.archived.is_(False)
    )
    return sorted((tuple(r) for r in conn.execute(query)), key=repr)


@pytest.mark.parametrize("settled", ["split", "rolled"])
def test_rollup_and_live_give_the_same_tables(conn, world, settled):
    for org in (ACME, "org_globex"):
        rollup.settle(conn, org_id=org, now=SETTLED[settled])
    assert daily.settled_before(conn, org_id=ACME) == SETTLED[settled].date() - timedelta(days=1)
    src = daily.paths_source(conn, org_id=ACME, flt=NOV, kinds=("loop",))
    assert "rollup_paths" in str(src.element)
    for flt in ROLLED_FILTERS:
        assert tables(conn, flt) == live_tables(conn, flt), flt
    assert tables(conn, NOV, "org_globex") == live_tables(conn, NOV, "org_globex")


def test_the_rollup_holds_the_hand_computed_rows(conn, world):
    rollup.settle(conn, org_id=ACME, now=SETTLED["rolled"])
    nov1 = date(2026, 11, 1)
    # s2's run of four fetches: one session, one loop, longest 4, 4 calls.
    assert stored(conn, "loop", nov1) == [("fetch", None, None, None, 1, 1, 4, 4)]
    # 1 Nov: s2 fails its first search; s1's last fetch follows fetch, search (ses_s4 is
    # archived: stored apart, under archived=True).
    assert stored(conn, "before_error", nov1) == [
        ("fetch", "search", "fetch", None, 1, 1, 0, 0),
        (None, None, "search", None, 1, 1, 0, 0),
    ]
    seq2 = {r[:2]: r[4:6] for r in stored(conn, "seq2", nov1)}
    assert seq2[("search", "fetch")] == (2, 3)  # s1 twice, s2 once
    assert seq2[("fetch", "fetch")] == (1, 3)
    assert stored(conn, "loop", date(2026, 10, 31)) == []
    # Tickets on their session's day: t1 after s1's search, fetch; t2 after s2's search,
    # fetch (both 1 Nov); t3 before any of s3's calls (2 Nov).
    assert stored(conn, "before_ticket", nov1) == [("search", "fetch", None, None, 2, 2, 0, 0)]
    assert stored(conn, "ticket_tool", nov1) == [("fetch", None, None, None, 2, 2, 0, 0)]
    nov2 = date(2026, 11, 2)
    assert stored(conn, "before_ticket", nov2) == [(None, None, None, None, 1, 1, 0, 0)]


def test_a_filter_the_rollup_cannot_answer_reads_live(conn, world):
    rollup.settle(conn, org_id=ACME, now=SETTLED["rolled"])
    for flt in (AdminFilter(title_q="Paths"), AdminFilter(user_q="ann")):
        src = daily.paths_source(conn, org_id=ACME, flt=flt, kinds=daily.SEQ_KINDS)
        assert "rollup_paths" not in str(src.element)
        assert tables(conn, flt) == live_tables(conn, flt)
    assert rows(paths.loops(conn, org_id=ACME, flt=AdminFilter(user_q="bob"))) == [
        ("fetch", 1, 1, 4, 4),
        ("search", 1, 1, 3, 3),
    ]


def test_an_archive_refreshes_the_rollup(conn, world):
    rollup.settle(conn, org_id=ACME, now=SETTLED["rolled"])
    before = tables(conn, NOV)
    bulk.archive(conn, org_id=ACME, actor="admin@acme.example", session_ids=["ses_s2"])
    after = tables(conn, NOV)
    assert after != before
    assert rows(paths.loops(conn, org_id=ACME, flt=NOV)) == [("search", 1, 1, 3, 3)]  # s3's
    assert after == live_tables(conn, NOV)
    archived = AdminFilter(date_from=NOV.date_from, date_to=NOV.date_to, include_archived=True)
    assert tables(conn, archived) == live_tables(conn, archived)
    bulk.restore(conn, org_id=ACME, actor="admin@acme.example", session_ids=["ses_s2"])
    assert tables(conn, NOV) == before


def test_a_ticket_imported_into_a_settled_day_refreshes_the_rollup(
    fresh_engine: sa.Engine, tmp_path: pathlib.Path
) -> None:
    """A ticket may be raised days after its session's day was rolled up: the import that
    brings it rebuilds that day, in its own transaction."""
    with fresh_engine.begin() as conn:
        build_world(conn)
        rollup.settle(conn, org_id=ACME, now=SETTLED["rolled"])
        before = tables(conn, NOV)
    late = {"type": "support_ticket", "id": "sr_late", "org_id": ACME, "session_id": "ses_s3"}
    late |= {"end_user_id": "usr_bob", "title": "Still failing", "status": "pending"}
    late |= {"priority": "low", "created_at": "2026-11-09T08:00:00Z"}  # after all s3's calls
    import_lines(fresh_engine, tmp_path, late, org_id=ACME)
    with fresh_engine.connect() as conn:
        assert daily.settled_before(conn, org_id=ACME) == date(2026, 11, 9)
        assert tables(conn, NOV) != before
        assert tables(conn, NOV) == live_tables(conn, NOV)
        # s3's last tools/call is the fetch after two searches (prompts/get is not a step).
        assert rows(paths.tickets_per_tool(conn, org_id=ACME, flt=NOV)) == [
            ("fetch", 3, 3),
            (None, 1, 1),
        ]


def test_a_stale_rollup_would_show_and_a_rebuild_repairs_it(conn, world):
    """The equality tests above can fail: change calls behind the rollup's back."""
    rollup.settle(conn, org_id=ACME, now=SETTLED["rolled"])
    tc = schema.tool_calls
    conn.execute(sa.update(tc).where(tc.c.id == "tc_ses_s1_2").values(is_error=True))
    conn.execute(sa.update(tc).where(tc.c.id == "tc_ses_s2_6").values(tool_name="fetch"))
    assert tables(conn, NOV) != live_tables(conn, NOV)
    rollup.rebuild(conn, org_id=ACME, now=SETTLED["rolled"])
    assert tables(conn, NOV) == live_tables(conn, NOV)
    # s1's first search failed at its start; s2's loop of fetches is now five long.
    assert rows(paths.loops(conn, org_id=ACME, flt=NOV))[0] == ("fetch", 1, 1, 5, 5)
    assert rows(paths.before_error(conn, org_id=ACME, flt=NOV))[0] == (None, None, "search", 3, 3)


def test_live_paths_takes_known_kinds_only(conn):
    with pytest.raises(ValueError, match="kinds"):
        daily.live_paths(conn, org_id=ACME, where=[], kinds=("seq5",))
    with pytest.raises(ValueError, match="kinds"):
        daily.live_paths(conn, org_id=ACME, where=[], kinds=())
