from __future__ import annotations

import argparse

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from sessionscope import audit
from sessionscope.migrate import MigrationRefused, alembic_config, downgrade, upgrade
from sessionscope.schema import metadata

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()  # one head only


def test_upgrade_creates_every_table(fresh_engine: sa.Engine) -> None:
    names = set(sa.inspect(fresh_engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= names


# SQLite cannot reflect the expression index uq_members_org_email_ci; both say so and skip it.
@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_schema_matches_metadata(fresh_engine: sa.Engine) -> None:
    with fresh_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = [
            d
            for d in compare_metadata(ctx, metadata)
            if d[0] not in ("add_index", "remove_index") and not _search_index(d)
        ]
    assert diff == []


def _search_index(diff: tuple) -> bool:
    """Migration 0009's SQLite search index (search_docs, the FTS5 table search_fts and its
    shadow tables): index structures, not data-contract tables, so not in the metadata."""
    return diff[0] == "remove_table" and diff[1].name.startswith(("search_docs", "search_fts"))


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


def revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_downgrade_and_upgrade_again(fresh_engine: sa.Engine) -> None:
    downgrade(fresh_engine, "base", drop_everything=True)
    assert "sessions" not in sa.inspect(fresh_engine).get_table_names()
    upgrade(fresh_engine)
    assert "sessions" in sa.inspect(fresh_engine).get_table_names()


def test_upgrade_is_idempotent(fresh_engine: sa.Engine) -> None:
    upgrade(fresh_engine)
    assert revision(fresh_engine) == HEAD


def test_downgrade_base_is_refused_without_consent_and_drops_nothing(
    fresh_engine: sa.Engine,
) -> None:
    tables = set(sa.inspect(fresh_engine).get_table_names())
    with pytest.raises(MigrationRefused, match="yes-drop-everything"):
        downgrade(fresh_engine, "base")
    # The later revisions' downgrades ran first, in the same transaction: rolled back too.
    assert set(sa.inspect(fresh_engine).get_table_names()) == tables
    assert revision(fresh_engine) == HEAD


@pytest.mark.parametrize("consent", [None, "yes-drop-everything=1"])
def test_the_alembic_command_needs_x_yes_drop_everything(
    fresh_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, consent: str | None
) -> None:
    """`alembic [-x yes-drop-everything=1] downgrade base`, through env.py's own engine."""
    monkeypatch.setenv("DATABASE_URL", fresh_engine.url.render_as_string(hide_password=False))
    cfg = alembic_config()
    cfg.cmd_opts = argparse.Namespace(x=[consent] if consent else [])
    if consent is None:
        with pytest.raises(MigrationRefused):
            command.downgrade(cfg, "base")
        assert "sessions" in sa.inspect(fresh_engine).get_table_names()
        assert revision(fresh_engine) == HEAD
    else:
        command.downgrade(cfg, "base")
        assert sa.inspect(fresh_engine).get_table_names() == ["alembic_version"]


def _audit_entry(engine: sa.Engine) -> str:
    with engine.begin() as conn:
        return audit.record(conn, org_id="org_m", actor_email="a@m.example", action="t.test")


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log", "TRUNCATE audit_log"],
)
def test_the_database_refuses_to_change_audit_entries(
    fresh_engine: sa.Engine, backend: str, statement: str
) -> None:
    entry = _audit_entry(fresh_engine)
    # SQLite has no TRUNCATE at all: the statement is refused as a syntax error there.
    message = "syntax error" if statement.startswith("TRUNCATE") and backend == "sqlite" else None
    refused = pytest.raises(sa.exc.DBAPIError, match=message or "audit_log is append-only")
    with refused, fresh_engine.begin() as conn:
        conn.execute(sa.text(statement))
    with fresh_engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, action FROM audit_log")).all()
    assert [tuple(r) for r in rows] == [(entry, "t.test")]


def _members_at_0004(engine: sa.Engine, *emails: str) -> None:
    downgrade(engine, "0004")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO organizations VALUES ('org_m', 'm', 'M', '2026-11-01')"))
        for n, email in enumerate(emails):
            conn.execute(
                sa.text(
                    "INSERT INTO members (id, org_id, email, role, created_at) VALUES "
                    "(:id, 'org_m', :email, :role, '2026-11-01')"
                ),
                {"id": f"mem_{n}", "email": email, "role": ("admin", "analyst")[n % 2]},
            )


def _emails(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT email FROM members ORDER BY id")).scalars())


def test_case_variant_members_stop_the_upgrade_and_are_listed(fresh_engine: sa.Engine) -> None:
    _members_at_0004(fresh_engine, "ANALYST@m.example", " analyst@m.example", "ok@m.example")
    with pytest.raises(MigrationRefused) as refused:
        upgrade(fresh_engine)
    message = str(refused.value)
    assert "org_m: mem_0 'ANALYST@m.example' (admin), mem_1 ' analyst@m.example' (analyst)" in (
        message
    )
    assert "ok@m.example" not in message
    assert revision(fresh_engine) == "0004"
    assert _emails(fresh_engine) == ["ANALYST@m.example", " analyst@m.example", "ok@m.example"]
    # The operator keeps one of them; the upgrade then goes through.
    with fresh_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM members WHERE id = 'mem_1'"))
    upgrade(fresh_engine)
    assert revision(fresh_engine) == HEAD


def test_member_emails_are_lower_cased_and_unique_per_org_whatever_the_case(
    fresh_engine: sa.Engine,
) -> None:
    _members_at_0004(fresh_engine, " Ada@M.example ")
    upgrade(fresh_engine)
    assert _emails(fresh_engine) == ["ada@m.example"]
    insert = sa.text(
        "INSERT INTO members (id, org_id, email, role, created_at) "
        "VALUES ('mem_x', 'org_m', 'ADA@m.example', 'admin', '2026-11-02')"
    )
    with pytest.raises(sa.exc.IntegrityError), fresh_engine.begin() as conn:
        conn.execute(insert)


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
