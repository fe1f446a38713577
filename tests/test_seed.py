"""The demo data: deterministic, internally consistent, with every documented edge case.

Most tests read `demo_engine` (seeded once per backend, never written to); the ones that seed
use `fresh_engine`, a brand-new database each.
"""

from __future__ import annotations

import io
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sessionscope import schema
from sessionscope.errors import ConfigError, DatabaseUnavailable
from sessionscope.seed import (
    ACTIVE_WINDOW,
    TABLES,
    SeedConfig,
    content,
    generate,
    ids,
    is_empty,
    seed_database,
)
from sessionscope.seed.progress import Progress
from tests.conftest import DatabaseFactory

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
DEMO = SeedConfig.for_size(400, seed=7, now=NOW)  # what conftest's demo_engine holds
METRICS = {  # stage -> the session total and state metric that equal its `completed`
    "scraping": "jobs",
    "enrichment": "companies",
    "contacts": "contacts",
    "campaigns": "campaigns",
}


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every seeded table's rows, ordered by primary key."""
    tables = {}
    with engine.connect() as conn:
        for name in TABLES:
            table = schema.metadata.tables[name]
            stmt = sa.select(table).order_by(*table.primary_key.columns)
            tables[name] = [tuple(row) for row in conn.execute(stmt)]
    return tables


def rows(engine: Engine, stmt: sa.Select[Any]) -> list[sa.Row[Any]]:
    with engine.connect() as conn:
        return list(conn.execute(stmt))


# --- configuration ---------------------------------------------------------------------------


def test_for_size_scales_edge_cases_below_full_size() -> None:
    small = SeedConfig.for_size(400, now=NOW)
    assert (small.heavy_user_sessions, small.huge_session_calls) == (100, 2000)
    assert 1_048_576 < small.big_payload_bytes < 1_300_000  # still over a 1 MiB preview
    full = SeedConfig.for_size(3000, now=NOW)
    assert (full.heavy_user_sessions, full.huge_session_calls) == (1000, 20_000)
    assert full.big_payload_bytes == 5 * 1024 * 1024
    assert SeedConfig.for_size(1_000_000, now=NOW).huge_session_calls == 20_000


def test_default_now_is_the_current_hour() -> None:
    now = SeedConfig().now
    assert now.tzinfo is not None and (now.minute, now.second, now.microsecond) == (0, 0, 0)
    assert datetime.now(UTC) - now < timedelta(hours=1, minutes=1)


@pytest.mark.parametrize(
    "kwargs",
    [{"sessions": 10}, {"now": datetime(2026, 1, 1)}, {"heavy_user_sessions": 5000}],
)
def test_bad_config_is_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        SeedConfig(**({"now": NOW} | kwargs))


def test_progress_bar_reports_rows_rate_and_eta() -> None:
    out = io.StringIO()
    bar = Progress(1000, enabled=True, stream=out)
    bar.advance(1000, 5000)
    bar.phase("ANALYZE")
    text = out.getvalue()
    assert "1,000/1,000 sessions" in text and "5,000 rows" in text and "ETA" in text
    assert "ANALYZE" in text


# --- seeding -----------------------------------------------------------------------------------


def test_same_seed_and_now_give_identical_rows(fresh_engine: Engine, demo_engine: Engine) -> None:
    assert is_empty(fresh_engine)
    report = seed_database(fresh_engine, DEMO)
    assert not is_empty(fresh_engine)
    tables = dump(fresh_engine)
    assert tables == dump(demo_engine)
    assert report.counts == {name: len(found) for name, found in tables.items()}
    assert "sessions" in report.summary() and f"{DEMO.sessions:,}" in report.summary()


def test_a_different_seed_gives_different_rows(
    fresh_engine: Engine, demo_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_database(fresh_engine, SeedConfig.for_size(400, seed=8, now=NOW), progress=True)
    assert "400/400 sessions" in capsys.readouterr().err
    other, demo = dump(fresh_engine), dump(demo_engine)
    assert len(other["sessions"]) == len(demo["sessions"]) == 400
    assert other["sessions"] != demo["sessions"]
    assert other["end_users"] != demo["end_users"]


def test_both_backends_hold_the_same_rows(databases: DatabaseFactory) -> None:
    config = SeedConfig.for_size(100, seed=5, now=NOW)
    tables = []
    for backend in ("sqlite", "postgresql"):
        engine = databases.engine(backend)
        seed_database(engine, config)
        tables.append(dump(engine))
    assert tables[0] == tables[1]


def schema_shape(engine: Engine) -> dict[str, Any]:
    """Indexes and foreign keys of the seeded tables, as the database reports them now."""
    inspector = sa.inspect(engine)

    def by_name(found: list[Any]) -> list[Any]:
        return sorted(found, key=lambda item: item["name"])

    return {
        name: (by_name(inspector.get_indexes(name)), by_name(inspector.get_foreign_keys(name)))
        for name in TABLES
    }


def test_seeding_keeps_every_index_and_foreign_key(
    fresh_engine: Engine, demo_engine: Engine
) -> None:
    assert schema_shape(demo_engine) == schema_shape(fresh_engine)  # seeded vs just migrated


def test_a_failed_load_leaves_no_rows_and_the_schema_intact(
    fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = schema_shape(fresh_engine)
    first_batch_only = generate.Generator.batches

    def batches_then_crash(self: generate.Generator) -> Iterator[generate.Batch]:
        yield from itertools.islice(first_batch_only(self), 1)
        raise RuntimeError("generator crashed")

    monkeypatch.setattr(generate.Generator, "batches", batches_then_crash)
    with pytest.raises(RuntimeError, match="generator crashed"):
        seed_database(fresh_engine, SeedConfig.for_size(100, now=NOW))
    assert is_empty(fresh_engine)
    assert schema_shape(fresh_engine) == before


def test_seeding_twice_is_refused(fresh_engine: Engine) -> None:
    seed_database(fresh_engine, SeedConfig.for_size(100, now=NOW))
    with pytest.raises(DatabaseUnavailable, match="already has data"):
        seed_database(fresh_engine, SeedConfig.for_size(100, now=NOW))


# --- consistency -------------------------------------------------------------------------------


def test_session_totals_equal_their_rows(demo_engine: Engine) -> None:
    s, tc, st = schema.sessions, schema.tool_calls, schema.session_stages
    calls: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for sid, is_error in rows(demo_engine, sa.select(tc.c.session_id, tc.c.is_error)):
        calls[sid] += 1
        errors[sid] += is_error
    completed: dict[str, dict[str, int]] = defaultdict(dict)
    for sid, stage, done in rows(
        demo_engine, sa.select(st.c.session_id, st.c.stage, st.c.completed)
    ):
        completed[sid][stage] = done
    sessions = rows(demo_engine, sa.select(s))
    assert len(sessions) == DEMO.sessions
    for ses in sessions:
        assert (ses.total_tool_calls, ses.total_errors) == (calls[ses.id], errors[ses.id])
        stages = completed.get(ses.id, {})
        assert set(stages) in (set(), set(schema.STAGES)), ses.id  # all five, or none (MCP)
        totals = (ses.total_jobs, ses.total_companies, ses.total_contacts, ses.total_campaigns)
        assert totals == tuple(stages.get(stage, 0) for stage in METRICS)
    assert 0.04 < sum(errors.values()) / sum(calls.values()) < 0.09


def test_tool_calls_are_numbered_in_time_order(demo_engine: Engine) -> None:
    tc = schema.tool_calls
    stmt = sa.select(tc.c.session_id, tc.c.seq, tc.c.started_at).order_by(tc.c.session_id, tc.c.seq)
    by_session: dict[str, list[tuple[int, datetime]]] = defaultdict(list)
    for sid, seq, started in rows(demo_engine, stmt):
        by_session[sid].append((seq, started))
    for sid, calls in by_session.items():
        assert [seq for seq, _ in calls] == list(range(1, len(calls) + 1)), sid
        times = [started for _, started in calls]
        assert times == sorted(times), sid


STATE_KEYS = {"version", "stage", "completed_stages", "metrics", "cursor", "config"}


def _shape_problem(state: Any) -> str | None:
    if not isinstance(state, dict):
        return "not_an_object"
    if STATE_KEYS - set(state):
        return "missing_keys"
    if state["stage"] not in schema.STAGES:
        return "unknown_stage"
    return None


def _latest_problem(state: Any, ses: sa.Row[Any], stages: dict[str, sa.Row[Any]]) -> str | None:
    """Why a session's latest state breaks the documented invariants (None if it does not)."""
    if problem := _shape_problem(state):
        return problem
    totals = (ses.total_jobs, ses.total_companies, ses.total_contacts, ses.total_campaigns)
    if state["metrics"] != dict(zip(METRICS.values(), totals, strict=True)):
        return "contradicting_metrics"
    done = [name for name in schema.STAGES if stages[name].status == "completed"]
    assert state["completed_stages"] == done, ses.id
    assert (state["version"], state["stage"]) == (ses.state_version, ses.current_stage), ses.id
    return None


def test_saved_states_match_sessions_except_the_corrupted_ones(demo_engine: Engine) -> None:
    s, st, ss = schema.sessions, schema.session_stages, schema.session_states
    stages: dict[str, dict[str, sa.Row[Any]]] = defaultdict(dict)
    for row in rows(demo_engine, sa.select(st)):
        stages[row.session_id][row.stage] = row
    history: dict[str, list[sa.Row[Any]]] = defaultdict(list)
    for row in rows(demo_engine, sa.select(ss).order_by(ss.c.session_id, ss.c.version)):
        history[row.session_id].append(row)
    invalid = {}
    for ses in rows(demo_engine, sa.select(s).where(s.c.current_stage.is_not(None))):
        versions = history[ses.id]
        assert [v.version for v in versions] == list(range(1, ses.state_version + 1))
        assert versions[-1].state == ses.workflow_state
        for earlier in versions[:-1]:  # history is never corrupted
            assert _shape_problem(earlier.state) is None
            assert earlier.state["version"] == earlier.version
        if problem := _latest_problem(ses.workflow_state, ses, stages[ses.id]):
            invalid[ses.id] = problem
            assert ses.status in ("paused", "failed"), ses.id  # resumable, so resume sees it
    assert {sid: invalid.get(sid) for sid in ids.CORRUPT_SESSION_IDS.values()} == {
        sid: kind for kind, sid in ids.CORRUPT_SESSION_IDS.items()
    }
    assert len(invalid) < 0.1 * len(stages)


def test_users_first_and_last_seen_span_their_sessions(demo_engine: Engine) -> None:
    s, u = schema.sessions, schema.end_users
    stmt = (
        sa.select(u.c.id, u.c.first_seen_at, u.c.last_seen_at)
        .add_columns(sa.func.min(s.c.started_at), sa.func.max(s.c.last_activity_at))
        .join(s, s.c.end_user_id == u.c.id)
        .group_by(u.c.id, u.c.first_seen_at, u.c.last_seen_at)
    )
    found = rows(demo_engine, stmt)
    assert len(found) == len(rows(demo_engine, sa.select(u.c.id)))  # nobody without sessions
    for uid, first, last, earliest, latest in found:
        assert (first, last) == (earliest, latest), uid
        assert NOW - timedelta(days=91) < first <= last <= NOW


def test_every_timestamp_is_at_or_before_now(demo_engine: Engine) -> None:
    for name in TABLES:
        table = schema.metadata.tables[name]
        for col in table.c:
            if isinstance(col.type, schema.UTCDateTime):
                latest = rows(demo_engine, sa.select(sa.func.max(col)))[0][0]
                assert latest is None or latest <= NOW, f"{name}.{col.name}"


def test_rows_reference_only_their_own_organization(demo_engine: Engine) -> None:
    s, u, srv = schema.sessions, schema.end_users, schema.servers
    tc, t = schema.tool_calls, schema.support_tickets

    def crossing(child: sa.Table, parent: sa.Table, key: sa.Column, *more: Any) -> sa.Select:
        """Rows of `child` whose `parent` (by `key`) is another organization's (or `more`)."""
        bad = sa.or_(parent.c.org_id != child.c.org_id, *more)
        return sa.select(child.c.id).join(parent, parent.c.id == key).where(bad)

    crossings = {
        "session -> user": crossing(s, u, s.c.end_user_id),
        "session -> server": crossing(s, srv, s.c.server_id),
        "tool call -> session": crossing(tc, s, tc.c.session_id),
        "ticket -> user": crossing(t, u, t.c.end_user_id),
        "ticket -> session": crossing(t, s, t.c.session_id, s.c.end_user_id != t.c.end_user_id),
    }
    for name, stmt in crossings.items():
        assert rows(demo_engine, stmt) == [], name


# --- shape -------------------------------------------------------------------------------------


def test_members_have_the_fixed_emails_and_roles(demo_engine: Engine) -> None:
    m, o = schema.members, schema.organizations
    found = rows(demo_engine, sa.select(o.c.slug, m.c.email, m.c.role).join(o))
    assert sorted(found) == [
        ("acme", "admin@acme.example", "admin"),
        ("acme", "analyst@acme.example", "analyst"),
        ("acme", "consultant@partner.example", "analyst"),
        ("globex", "admin@globex.example", "admin"),
        ("globex", "analyst@globex.example", "analyst"),
        ("globex", "consultant@partner.example", "admin"),
    ]
    names = rows(demo_engine, sa.select(o.c.slug, o.c.name).order_by(o.c.slug))
    assert names == [("acme", "Acme Corp"), ("globex", "Globex")]


def test_the_mix_covers_every_screen(demo_engine: Engine) -> None:
    s, t = schema.sessions, schema.support_tickets
    sessions = rows(demo_engine, sa.select(s))
    statuses = Counter(ses.status for ses in sessions)
    assert set(statuses) == set(schema.SESSION_STATUSES)
    assert statuses["completed"] > len(sessions) / 2
    orgs = Counter(ses.org_id for ses in sessions)
    assert orgs["org_acme"] == round(0.8 * DEMO.sessions)
    assert any(ses.title is None for ses in sessions)
    for ses in sessions:
        if ses.status == "active":
            assert NOW - ACTIVE_WINDOW <= ses.last_activity_at <= NOW
            assert ses.completed_at is None
    tickets = rows(demo_engine, sa.select(t))
    assert any(ticket.session_id is None for ticket in tickets)
    assert {ticket.status for ticket in tickets} >= {"pending", "resolved"}


def test_edge_cases_are_present_with_their_ids(demo_engine: Engine) -> None:
    s, t, u = schema.sessions, schema.support_tickets, schema.end_users
    edge = {
        row.id: row
        for row in rows(demo_engine, sa.select(s).where(s.c.id.in_(ids.EDGE_SESSION_IDS)))
    }
    assert set(edge) == set(ids.EDGE_SESSION_IDS)
    assert {row.org_id for row in edge.values()} == {"org_acme"}
    assert edge[ids.HUGE_SESSION_ID].total_tool_calls == DEMO.huge_session_calls
    assert edge[ids.EMPTY_SESSION_ID].total_tool_calls == 0
    assert rows(demo_engine, sa.select(t.c.id).where(t.c.session_id == ids.EMPTY_SESSION_ID)) == []
    assert (edge[ids.PAUSED_SESSION_ID].status, edge[ids.PAUSED_SESSION_ID].current_stage) == (
        "paused",
        "contacts",
    )
    assert edge[ids.FAILED_SESSION_ID].status == "failed"
    assert edge[ids.ACTIVE_SESSION_ID].status == "active"
    heavy = rows(demo_engine, sa.select(s.c.id).where(s.c.end_user_id == ids.HEAVY_USER_ID))
    assert len(heavy) == DEMO.heavy_user_sessions
    distinct = rows(demo_engine, sa.select(u.c.distinct_id).where(u.c.id == ids.HEAVY_USER_ID))
    assert distinct == [(ids.HEAVY_USER_DISTINCT_ID,)]


def test_big_payload_is_over_its_size(demo_engine: Engine) -> None:
    tc = schema.tool_calls
    [(session_id, output)] = rows(
        demo_engine,
        sa.select(tc.c.session_id, tc.c.output).where(tc.c.id == ids.BIG_PAYLOAD_TOOL_CALL_ID),
    )
    assert session_id == ids.BIG_PAYLOAD_SESSION_ID
    size = len(json.dumps(output, separators=(",", ":")))
    assert DEMO.big_payload_bytes <= size < DEMO.big_payload_bytes * 1.05


def test_hostile_text_reaches_titles_payloads_and_tickets(demo_engine: Engine) -> None:
    s, tc, t, u = schema.sessions, schema.tool_calls, schema.support_tickets, schema.end_users
    [(title,)] = rows(demo_engine, sa.select(s.c.title).where(s.c.id == ids.HOSTILE_SESSION_ID))
    assert content.SCRIPT in title and content.ARABIC in title and content.HEBREW in title
    [(name,)] = rows(demo_engine, sa.select(u.c.display_name).where(u.c.id == ids.HOSTILE_USER_ID))
    assert content.IMG in name
    payloads = rows(
        demo_engine,
        sa.select(tc.c.input, tc.c.output).where(tc.c.session_id == ids.HOSTILE_SESSION_ID),
    )
    text = json.dumps([list(p) for p in payloads], ensure_ascii=False)
    for hostile in (content.SCRIPT, content.IMG, content.ARABIC, content.HEBREW, content.EMOJI):
        assert hostile in text
    tickets = rows(demo_engine, sa.select(t).where(t.c.session_id == ids.HOSTILE_SESSION_ID))
    assert any(
        content.SCRIPT in ticket.title
        and content.IMG in ticket.summary
        and content.ARABIC in ticket.context
        for ticket in tickets
    )
