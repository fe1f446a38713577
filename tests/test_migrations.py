from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sessionscope.migrate import downgrade, upgrade
from sessionscope.schema import metadata


def test_upgrade_creates_every_table(fresh_engine: sa.Engine) -> None:
    names = set(sa.inspect(fresh_engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= names


def test_schema_matches_metadata(fresh_engine: sa.Engine) -> None:
    with fresh_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = [
            d for d in compare_metadata(ctx, metadata) if d[0] not in ("add_index", "remove_index")
        ]
    assert diff == []


def test_access_path_indexes_exist(fresh_engine: sa.Engine) -> None:
    inspector = sa.inspect(fresh_engine)
    indexes = {
        ix["name"]
        for t in ("sessions", "tool_calls", "support_tickets")
        for ix in inspector.get_indexes(t)
    }
    assert {
        "ix_sessions_org_user_started",
        "ix_sessions_org_started",
        "ix_sessions_org_status_started",
        "ix_tool_calls_session_started_seq",
        "ix_support_tickets_session_created",
    } <= indexes


def test_downgrade_and_upgrade_again(fresh_engine: sa.Engine) -> None:
    downgrade(fresh_engine, "base")
    assert "sessions" not in sa.inspect(fresh_engine).get_table_names()
    upgrade(fresh_engine)
    assert "sessions" in sa.inspect(fresh_engine).get_table_names()


def test_upgrade_is_idempotent(fresh_engine: sa.Engine) -> None:
    upgrade(fresh_engine)
    with fresh_engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0004"


def test_admin_analytics_covering_indexes_on_postgresql_only(
    fresh_engine: sa.Engine, backend: str
) -> None:
    inspector = sa.inspect(fresh_engine)
    names = {ix["name"] for t in ("sessions", "tool_calls") for ix in inspector.get_indexes(t)}
    cover = {"ix_sessions_org_started_cover", "ix_tool_calls_session_cover"}
    assert (cover <= names) if backend == "postgresql" else not (cover & names)
    downgrade(fresh_engine, "0001")
    inspector = sa.inspect(fresh_engine)
    left = {ix["name"] for t in ("sessions", "tool_calls") for ix in inspector.get_indexes(t)}
    assert not cover & left


def test_contract_v2_keeps_existing_rows_meaning(fresh_engine: sa.Engine) -> None:
    """A 0003 database with data upgrades in place: its sessions came from a file or the
    seed ('import'), its tool calls were tools/call; the new columns accept v2 rows."""
    from tests import factories

    downgrade(fresh_engine, "0003")
    with fresh_engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO organizations VALUES ('org_m', 'm', 'M', '2026-11-01')"))
        conn.execute(
            sa.text(
                "INSERT INTO end_users (id, org_id, distinct_id) VALUES ('usr_m', 'org_m', 'd')"
            )
        )
        conn.execute(sa.text("INSERT INTO servers VALUES ('srv_m', 'org_m', 's', 'S', 'mcp')"))
        conn.execute(
            sa.text(
                "INSERT INTO sessions (id, org_id, end_user_id, server_id, status, started_at) "
                "VALUES ('ses_m', 'org_m', 'usr_m', 'srv_m', 'completed', '2026-11-01')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO tool_calls (id, org_id, session_id, seq, tool_name, started_at) "
                "VALUES ('tc_m', 'org_m', 'ses_m', 1, 'search', '2026-11-01')"
            )
        )
    upgrade(fresh_engine)
    with fresh_engine.begin() as conn:
        assert conn.execute(sa.text("SELECT source, external_id FROM sessions")).one() == (
            "import",
            None,
        )
        assert conn.execute(sa.text("SELECT method FROM tool_calls")).scalar_one() == "tools/call"
        org = {"id": "org_m"}
        user, srv = {"id": "usr_m"}, {"id": "srv_m"}
        factories.session(conn, org, user, srv, source="otlp", external_id="k1")
        try:
            with conn.begin_nested():
                factories.session(conn, org, user, srv, source="otlp", external_id="k1")
        except sa.exc.IntegrityError:
            pass
        else:
            raise AssertionError("(org_id, source, external_id) must be unique")
