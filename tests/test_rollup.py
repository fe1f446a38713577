"""The daily rollup: the analytics read from it give exactly what reading live gives.

The seeded demo data (400 sessions over 90 days, the rollup settled by the seed) is read
inside a transaction that is rolled back, so writes here never reach other tests.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from queries import analytics, daily, paths
from queries.admin import AdminFilter
from sessionscope import bulk, rollup, schema
from sessionscope.migrate import downgrade, upgrade
from tests import factories

ORG = "org_acme"
SEED_NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


def _path_rows(query: Callable[..., pd.DataFrame], **kw: object) -> Callable[..., list[tuple]]:
    """A tool-paths panel as rows, all of them (NULL steps as None: NaN != NaN)."""

    def rows(conn: sa.Connection, *, org_id: str, flt: AdminFilter) -> list[tuple]:
        df = query(conn, org_id=org_id, flt=flt, **kw)
        return [tuple(None if pd.isna(v) else v for v in r) for r in df.itertuples(index=False)]

    return rows


QUERIES = (
    analytics.kpis,
    analytics.sessions_per_day,
    analytics.success_rate_per_day,
    analytics.duration_percentiles_per_day,
    analytics.tool_stats,
    analytics.workflow_funnel,
    _path_rows(paths.sequences, limit=10_000),
    _path_rows(paths.loops, limit=None),
    _path_rows(paths.before_error, limit=10_000),
)


@pytest.fixture()
def demo(demo_engine: sa.Engine) -> Iterator[sa.Connection]:
    with demo_engine.connect() as conn:
        trans = conn.begin()
        yield conn
        trans.rollback()


def _everything(conn: sa.Connection, flt: AdminFilter) -> list:
    out = []
    for query in QUERIES:
        result = query(conn, org_id=ORG, flt=flt)
        out.append(result.to_dict("list") if isinstance(result, pd.DataFrame) else result)
    return out


def _live(conn: sa.Connection, flt: AdminFilter) -> list:
    """The same numbers with the rollup out of the way (the mark removed, then put back)."""
    nested = conn.begin_nested()
    conn.execute(sa.delete(schema.rollup_marks).where(schema.rollup_marks.c.org_id == ORG))
    try:
        return _everything(conn, flt)
    finally:
        nested.rollback()


def _servers(conn: sa.Connection) -> tuple[str, ...]:
    v = schema.servers
    query = sa.select(v.c.id).where(v.c.org_id == ORG).order_by(v.c.id).limit(2)
    return tuple(conn.execute(query).scalars())


def test_the_seed_settles_the_rollup_up_to_the_day_before_yesterday(demo) -> None:
    assert daily.settled_before(demo, org_id=ORG) == date(2026, 10, 31)
    rows = demo.execute(sa.select(sa.func.sum(schema.rollup_sessions.c.sessions))).scalar_one()
    s = schema.sessions
    before = s.c.started_at < datetime(2026, 10, 31, tzinfo=UTC)
    assert rows == demo.execute(sa.select(sa.func.count()).where(before)).scalar_one()


@pytest.mark.parametrize(
    "flt",
    [
        AdminFilter(),
        AdminFilter(include_archived=True),
        AdminFilter(date_from=date(2026, 10, 2), date_to=date(2026, 11, 1)),
        AdminFilter(date_from=date(2026, 10, 29), date_to=date(2026, 11, 1)),  # spans the mark
        AdminFilter(date_from=date(2026, 10, 31), date_to=date(2026, 10, 31)),  # live only
        AdminFilter(date_from=date(2026, 9, 1), date_to=date(2026, 9, 30)),  # rollup only
        AdminFilter(statuses=("failed", "paused")),
        AdminFilter(statuses=("completed",), date_from=date(2026, 10, 1)),
    ],
    ids=lambda f: repr(f)[12:60],
)
def test_rollup_and_live_give_the_same_numbers(demo, flt) -> None:
    assert _everything(demo, flt) == _live(demo, flt)


def test_rollup_and_live_agree_on_a_server_filter(demo) -> None:
    flt = AdminFilter(server_ids=_servers(demo))
    assert _everything(demo, flt) == _live(demo, flt)


def test_a_title_or_user_filter_reads_live(demo) -> None:
    src = daily.sessions_source(demo, org_id=ORG, flt=AdminFilter(title_q="a"))
    assert "rollup_sessions" not in str(src.element)
    src = daily.sessions_source(demo, org_id=ORG, flt=AdminFilter())
    assert "rollup_sessions" in str(src.element)


def _settled_session_ids(conn: sa.Connection, n: int) -> list[str]:
    s = schema.sessions
    query = (
        sa.select(s.c.id)
        .where(s.c.org_id == ORG, s.c.started_at < datetime(2026, 10, 20, tzinfo=UTC))
        .where(s.c.archived_at.is_(None))
        .order_by(s.c.id)
        .limit(n)
    )
    return list(conn.execute(query).scalars())


def test_archive_and_restore_keep_the_rollup_true(demo) -> None:
    ids = _settled_session_ids(demo, 25)
    before = _everything(demo, AdminFilter())
    bulk.archive(demo, org_id=ORG, actor="admin@acme.example", session_ids=ids)
    after = _everything(demo, AdminFilter())
    assert after != before  # the archived sessions left the numbers
    assert after == _live(demo, AdminFilter())
    assert _everything(demo, AdminFilter(include_archived=True)) == _live(
        demo, AdminFilter(include_archived=True)
    )
    bulk.restore(demo, org_id=ORG, actor="admin@acme.example", session_ids=ids)
    assert _everything(demo, AdminFilter()) == before


def test_a_stale_rollup_would_show_and_refresh_days_repairs_it(demo) -> None:
    """The equality tests above can fail: change sessions behind the rollup's back."""
    ids = _settled_session_ids(demo, 10)
    s = schema.sessions
    demo.execute(sa.update(s).where(s.c.id.in_(ids)).values(status="failed"))
    assert _everything(demo, AdminFilter()) != _live(demo, AdminFilter())
    days = rollup.session_days(demo, org_id=ORG, session_ids=ids)
    assert rollup.refresh_days(demo, org_id=ORG, days=days) == len(days)
    assert _everything(demo, AdminFilter()) == _live(demo, AdminFilter())


def test_settle_moves_the_mark_once_a_day(demo) -> None:
    later = SEED_NOW + timedelta(days=3)
    assert rollup.settle(demo, org_id=ORG, now=later) is True
    assert daily.settled_before(demo, org_id=ORG) == date(2026, 11, 3)
    assert rollup.settle(demo, org_id=ORG, now=later + timedelta(hours=1)) is False
    assert _everything(demo, AdminFilter()) == _live(demo, AdminFilter())


def test_rebuild_redoes_every_settled_day(demo) -> None:
    demo.execute(sa.delete(schema.rollup_tools))
    assert _everything(demo, AdminFilter()) != _live(demo, AdminFilter())
    rollup.rebuild(demo, org_id=ORG, now=SEED_NOW)
    assert _everything(demo, AdminFilter()) == _live(demo, AdminFilter())


def test_rebuild_redoes_the_tool_paths(demo) -> None:
    demo.execute(sa.delete(schema.rollup_paths).where(schema.rollup_paths.c.kind == "loop"))
    flt = AdminFilter(date_from=date(2026, 9, 1), date_to=date(2026, 10, 30))  # settled only
    assert _everything(demo, flt) != _live(demo, flt)
    rollup.rebuild(demo, org_id=ORG, now=SEED_NOW)
    assert _everything(demo, flt) == _live(demo, flt)
    assert paths.loops(demo, org_id=ORG, flt=flt)["sessions"].sum() > 0  # there are loops


def test_a_new_org_without_a_mark_reads_live(conn) -> None:
    org = factories.org(conn)["id"]
    assert daily.settled_before(conn, org_id=org) is None
    assert rollup.refresh_days(conn, org_id=org, days={date(2026, 1, 1)}) == 0
    assert analytics.kpis(conn, org_id=org, flt=AdminFilter()).total_sessions == 0


# (method, target, ms) of each session's requests, in order; the last two failed.
REQUESTS = [
    ("initialize", None, 5000),
    ("tools/list", None, 6000),
    ("tools/call", "search", 100),
    ("resources/read", "docs://index", 7000),
    ("tools/call", "search", 300),
]


def _tool_calls_among_protocol_requests(conn: sa.Connection) -> str:
    """A new org with one session on a settled day and one on a live day, each with two
    search calls (100 ms, and 300 ms failed) between initialize, tools/list and a failed
    resources/read, all slower than any call; returns the org id."""
    org = factories.org(conn)
    user, srv = factories.end_user(conn, org), factories.server(conn, org)
    for start in (SEED_NOW - timedelta(days=10), SEED_NOW):
        ses = factories.session(conn, org, user, srv, started_at=start)
        for seq, (method, target, ms) in enumerate(REQUESTS, 1):
            at = start + timedelta(seconds=seq)
            factories.request(
                conn, ses, method, target, seq=seq, duration_ms=ms, is_error=seq >= 4, started_at=at
            )
    return org["id"]


def test_tool_stats_count_tools_call_only_live_and_rolled_up(conn) -> None:
    org = _tool_calls_among_protocol_requests(conn)
    search = [("search", 4, 2, 0.5, 100.0, 300.0)]  # two sessions x (100 ms, 300 ms failed)

    def tool_rows() -> list[tuple]:
        rows = analytics.tool_stats(conn, org_id=org, flt=AdminFilter())
        return [tuple(r) for r in rows.itertuples(index=False)]

    assert daily.settled_before(conn, org_id=org) is None  # live throughout
    assert tool_rows() == search
    assert rollup.settle(conn, org_id=org, now=SEED_NOW)
    assert "rollup_tools" in str(daily.tools_source(conn, org_id=org, flt=AdminFilter()).element)
    t = schema.rollup_tools
    stored = sa.select(t.c.method, t.c.tool_name).distinct().where(t.c.org_id == org)
    # The settled day's rows: the calls MCP traffic ranks too, each under its method.
    assert sorted(tuple(r) for r in conn.execute(stored)) == [
        ("resources/read", "docs://index"),
        ("tools/call", "search"),
    ]
    assert tool_rows() == search


DURATIONS = [0, 1, 19, 20, 21, 22, 99, 100, 1362, 38_455, 1_362_868, 2**31 - 1, 2**40]


def test_buckets_are_ordered_and_at_most_ten_percent_wide() -> None:
    values = sorted({*DURATIONS, *random.Random(5).sample(range(20, 10**7), 2000)})
    keys = [daily.bucket_of(v) for v in values]
    assert keys == sorted(keys)
    spans: dict[int, list[int]] = {}
    for v, k in zip(values, keys, strict=True):
        spans.setdefault(k, []).append(v)
    assert all(max(vs) <= 1.1 * min(vs) for vs in spans.values())
    assert [daily.bucket_of(v) for v in range(20)] == list(range(20))


def test_sql_buckets_match_the_reference(conn) -> None:
    values = [*DURATIONS, *random.Random(6).sample(range(20, 10**7), 300)]
    query = sa.select(*[daily.bucket(sa.literal(v, sa.BigInteger)) for v in values])
    assert list(conn.execute(query).one()) == [daily.bucket_of(v) for v in values]


def test_migration_0010_drops_the_marks_so_no_empty_paths_are_read(fresh_engine) -> None:
    """An old mark over an empty rollup_paths would show no tool paths: after the upgrade
    the analytics read live until the next settle, which builds every table again."""
    downgrade(fresh_engine, "0009")
    with fresh_engine.begin() as conn:
        org = factories.org(conn)["id"]
        marks = schema.rollup_marks.insert().values(
            org_id=org, settled_before=date(2026, 11, 1), refreshed_at=SEED_NOW
        )
        conn.execute(marks)
    upgrade(fresh_engine)
    with fresh_engine.begin() as conn:
        assert daily.settled_before(conn, org_id=org) is None
        assert rollup.settle(conn, org_id=org, now=SEED_NOW)
        assert daily.settled_before(conn, org_id=org) == date(2026, 10, 31)
