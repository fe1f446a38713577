"""`sessionscope sync mcplatform` against a real PostgreSQL holding MCPlatform's tables."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from sessionscope import schema
from sessionscope.sync import mcplatform
from sessionscope.sync import mcplatform_source as src
from tests.conftest import DatabaseFactory
from tests.mcplatform_db import TICKETS, T, activity_row, call_row, insert_rows, run


def snapshot(engine: sa.Engine) -> dict[str, list]:
    tables = (
        "organizations",
        "members",
        "servers",
        "end_users",
        "sessions",
        "tool_calls",
        "support_tickets",
        "sync_marks",
    )
    out = {}
    with engine.connect() as conn:
        for name in tables:
            table = schema.metadata.tables[name]
            cols = [c for c in table.c if c.name not in ("created_at", "updated_at")]
            out[name] = [
                tuple(r) for r in conn.execute(sa.select(*cols).order_by(*table.primary_key))
            ]
    return out


def test_a_sync_maps_mcplatform_onto_the_contract(
    fresh_engine: sa.Engine, mcplatform_url: str
) -> None:
    report = run(fresh_engine, mcplatform_url)
    assert report.inserted["sessions"] == 4 and report.inserted["tool calls"] == 4
    assert [r for r in report.skipped if "tc_e" in r and "nope" in r]
    with fresh_engine.connect() as conn:
        orgs = dict(conn.execute(sa.text("SELECT slug, id FROM organizations")).all())
        assert set(orgs) == {"acme", "beta-labs"}
        roles = set(conn.execute(sa.text("SELECT org_id, email, role FROM members")).all())
        assert roles == {
            (orgs["acme"], "al@acme.example", "admin"),
            (orgs["acme"], "bo@acme.example", "analyst"),
            (orgs["beta-labs"], "al@acme.example", "admin"),
        }
        users = conn.execute(
            sa.text("SELECT org_id, distinct_id, display_name FROM end_users")
        ).all()
        acme, beta = orgs["acme"], orgs["beta-labs"]
        expected = {
            (acme, "dist-1"),
            (beta, "dist-1"),
            (acme, "anonymous:acme-docs"),
            (acme, "mcpu_2"),
            (acme, "zed@x.example"),
        }
        assert {(o, d) for o, d, _ in users} >= expected
        assert "Eve Example" in {n for _, _, n in users}
        s = schema.sessions.c
        rows = {r.external_id: r for r in conn.execute(sa.select(schema.sessions))}
        assert {r.source for r in rows.values()} == {"mcplatform"}
        assert rows["s2"].started_at == datetime(2026, 9, 30, tzinfo=UTC)
        assert rows["s1"].total_tool_calls == 2 and rows["s1"].status == "completed"
        assert rows["s1"].last_activity_at == datetime.fromtimestamp((T + 300) / 1000, tz=UTC)
        assert rows["s4"].total_tool_calls == 0
        t = schema.tool_calls.c
        calls = {
            r.attributes["mcplatform_id"]: r for r in conn.execute(sa.select(schema.tool_calls))
        }
        assert calls["tc_b"].output == "step 1" and calls["tc_b"].seq == 2
        assert {c.duration_ms for c in calls.values()} == {None}
        assert calls["tc_c"].started_at == rows["s2"].started_at
        tickets = {r.title: r for r in conn.execute(sa.select(schema.support_tickets))}
        assert tickets["Stuck"].session_id == rows["s1"].id
        assert tickets["Billing"].session_id is None and tickets["Billing"].status == "resolved"
        audit = conn.execute(sa.text("SELECT action, actor_email FROM audit_log")).all()
        assert set(audit) == {("sync.mcplatform", "cli:test")} and len(audit) == 2
        del s, t


def activities(engine: sa.Engine, ticket: str) -> list[dict]:
    st = schema.support_tickets.c
    with engine.connect() as conn:
        attributes = conn.execute(
            sa.select(st.attributes).where(st.attributes["mcplatform_id"].as_string() == ticket)
        ).scalar_one()
    return attributes["activities"]


def test_ticket_activities_are_kept_in_time_order_and_redacted(
    backend: str, databases: DatabaseFactory, mcplatform_url: str
) -> None:
    engine = databases.engine(backend)
    report = run(engine, mcplatform_url)
    assert report.inserted["ticket activities"] == 3 and "not synced" not in report.summary()
    first, second = activities(engine, "sr_1")
    assert [first["id"], second["id"]] == ["sta_1", "sta_2"]
    assert first["at"] == "2026-10-01T12:00:00.500+00:00" and first["type"] == "comment"
    assert first["by"] == "al@acme.example" and "abc.def" not in first["content"]
    assert second["content"] == {"from": "pending", "to": "in_progress"}
    assert [a["content"] for a in activities(engine, "sr_2")] == ["Refunded"]
    engine.dispose()


def test_a_later_activity_on_a_synced_ticket_is_appended_once(
    fresh_engine: sa.Engine, mcplatform_url: str
) -> None:
    run(fresh_engine, mcplatform_url)
    insert_rows(
        mcplatform_url,
        "support_ticket_activities",
        [activity_row("sta_4", T + 90_000, "sr_1", "comment", "Fixed")],
    )
    again = run(fresh_engine, mcplatform_url)
    assert dict(again.read) == {"support_ticket_activities": 1}
    assert [a["id"] for a in activities(fresh_engine, "sr_1")] == ["sta_1", "sta_2", "sta_4"]
    with fresh_engine.begin() as conn:  # read every activity again: nothing is added twice
        conn.execute(sa.text("DELETE FROM sync_marks WHERE key = 'support_ticket_activities'"))
    reread = run(fresh_engine, mcplatform_url)
    assert reread.read["support_ticket_activities"] == 4 and not reread.inserted
    assert [a["id"] for a in activities(fresh_engine, "sr_1")] == ["sta_1", "sta_2", "sta_4"]


def test_a_ticket_moved_to_another_session_refreshes_both(
    fresh_engine: sa.Engine, mcplatform_url: str
) -> None:
    """MCPlatform re-links ticket sr_1 from s1 to s4; a run that reads it again updates the
    ticket and refreshes both sessions (s1's last activity falls back to its last call)."""
    run(fresh_engine, mcplatform_url)

    def last_activity(external_id: str) -> datetime:
        s = schema.sessions.c
        with fresh_engine.connect() as conn:
            query = sa.select(s.last_activity_at).where(s.external_id == external_id)
            return conn.execute(query).scalar_one()

    assert last_activity("s1") == datetime.fromtimestamp((T + 300) / 1000, tz=UTC)  # sr_1
    source = sa.create_engine(mcplatform_url)
    with source.begin() as conn:  # a fixture statement on MCPlatform's own test database
        conn.execute(
            sa.text("UPDATE support_requests SET mcp_server_session_id = 's4' WHERE id = 'sr_1'")
        )
    source.dispose()
    with fresh_engine.begin() as conn:  # read every ticket again (the module docstring's way)
        conn.execute(sa.text("DELETE FROM sync_marks WHERE key = 'support_requests'"))
    run(fresh_engine, mcplatform_url)
    assert last_activity("s1") == datetime.fromtimestamp((T + 200) / 1000, tz=UTC)  # tc_b
    st, s = schema.support_tickets.c, schema.sessions.c
    with fresh_engine.connect() as conn:
        moved = conn.execute(
            sa.select(s.external_id)
            .select_from(schema.support_tickets.join(schema.sessions, s.id == st.session_id))
            .where(st.title == "Stuck")
        ).scalar_one()
    assert moved == "s4"


def test_a_second_sync_reads_only_new_rows(fresh_engine: sa.Engine, mcplatform_url: str) -> None:
    run(fresh_engine, mcplatform_url)
    before = snapshot(fresh_engine)
    again = run(fresh_engine, mcplatform_url)
    assert sum(again.read.values()) == 0 and snapshot(fresh_engine) == before
    insert_rows(
        mcplatform_url, "mcp_tool_calls", [call_row("tc_f", T + 9000, "srv1", "s4", {"x": 1})]
    )
    third = run(fresh_engine, mcplatform_url)
    assert dict(third.read) == {"mcp_tool_calls": 1}
    with fresh_engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM tool_calls")).scalar()
        total = conn.execute(
            sa.text("SELECT total_tool_calls FROM sessions WHERE external_id = 's4'")
        ).scalar()
    assert n == 5 and total == 1


def test_an_interrupted_sync_resumes_to_the_same_result(
    backend: str, databases: DatabaseFactory, mcplatform_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole, broken = databases.engine(backend), databases.engine(backend)
    run(whole, mcplatform_url, batch=1)
    real, seen = mcplatform.WRITERS["mcp_tool_calls"], []

    def failing(*args: object) -> None:
        seen.append(1)
        if len(seen) == 2:
            raise RuntimeError("cut")
        real(*args)

    monkeypatch.setitem(mcplatform.WRITERS, "mcp_tool_calls", failing)
    with pytest.raises(RuntimeError, match="cut"):
        run(broken, mcplatform_url, batch=1)
    monkeypatch.setitem(mcplatform.WRITERS, "mcp_tool_calls", real)
    run(broken, mcplatform_url, batch=1)
    assert snapshot(broken) == snapshot(whole)
    whole.dispose(), broken.dispose()


def test_a_dry_run_writes_nothing(fresh_engine: sa.Engine, mcplatform_url: str) -> None:
    before = snapshot(fresh_engine)
    report = run(fresh_engine, mcplatform_url, dry_run=True)
    assert report.inserted["sessions"] == 4 and "dry run" in report.summary()
    assert snapshot(fresh_engine) == before


def test_only_the_named_organizations_are_synced(
    fresh_engine: sa.Engine, mcplatform_url: str
) -> None:
    report = run(fresh_engine, mcplatform_url, org_slugs=["beta-labs"])
    assert list(report.orgs.values()) == ["beta-labs"] and report.inserted["sessions"] == 1


def test_the_source_connection_is_read_only(mcplatform_url: str) -> None:
    engine = src.connect(mcplatform_url)
    with pytest.raises(sa.exc.InternalError, match="read-only"), engine.connect() as conn:
        conn.execute(sa.text("DELETE FROM mcp_tool_calls"))
    engine.dispose()


def test_the_organizations_redaction_rules_apply_before_anything_is_stored(
    fresh_engine: sa.Engine, mcplatform_url: str
) -> None:
    """The default rules (secret keys, bearer tokens) hold for synced calls and tickets."""
    secret = call_row("tc_s", T + 150, "srv1", "s1", {"ok": True})
    secret["input"] = {"q": "login", "password": "hunter2"}
    insert_rows(mcplatform_url, "mcp_tool_calls", [secret])
    ticket = {**TICKETS[1], "id": "sr_3", "context": "curl -H 'Authorization: Bearer abc.def'"}
    insert_rows(mcplatform_url, "support_requests", [ticket])
    run(fresh_engine, mcplatform_url)
    with fresh_engine.connect() as conn:
        stored = conn.execute(
            sa.select(schema.tool_calls.c.input, schema.tool_calls.c.attributes).where(
                schema.tool_calls.c.attributes["mcplatform_id"].as_string() == "tc_s"
            )
        ).one()
        context = conn.execute(
            sa.select(schema.support_tickets.c.context).where(
                schema.support_tickets.c.context.is_not(None)
            )
        ).scalar_one()
    assert stored.input["password"] != "hunter2" and stored.attributes["redacted"] is True
    assert "abc.def" not in context
