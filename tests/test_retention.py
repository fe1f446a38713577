"""Retention, on both backends: set per organization (CLI and policy), apply in batches with
the children and the rollup, a dry run that changes nothing, and the audit log only added to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from sessionscope import policy, retention, rollup, schema
from sessionscope.cli import main
from tests import factories

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
OLD, RECENT = NOW - timedelta(days=100), NOW - timedelta(days=3)
ROLLUPS = schema.ROLLUP_TABLES


def _session(conn: sa.Connection, org, user, srv, at: datetime, **kw):  # type: ignore[no-untyped-def]
    ses = factories.session(
        conn, org, user, srv, started_at=at, last_activity_at=at + timedelta(minutes=5), **kw
    )
    factories.tool_call(conn, ses, seq=1)
    factories.tool_call(conn, ses, seq=2, is_error=True)
    factories.ticket(conn, ses, user)
    factories.stage(conn, ses, "scraping")
    factories.state(conn, ses, 1, {"v": 1})
    return ses


@pytest.fixture()
def orgs(fresh_engine: sa.Engine) -> sa.Engine:
    """acme: 5 sessions 100 days old (one active again 2 days ago), 3 recent, an old ticket
    without a session; globex: 2 old sessions and no limit. The rollup is settled."""
    with fresh_engine.begin() as conn:
        for slug in ("acme", "globex"):
            org = factories.org(conn, id=f"org_{slug}", slug=slug)
            user = factories.end_user(conn, org, email=f"ann@{slug}.example")
            srv = factories.server(conn, org)
            count = 5 if slug == "acme" else 2
            for n in range(count):
                _session(conn, org, user, srv, OLD + timedelta(hours=n * 7), id=f"ses_{slug}_o{n}")
            if slug == "acme":
                conn.execute(
                    schema.sessions.update()
                    .where(schema.sessions.c.id == "ses_acme_o4")
                    .values(last_activity_at=NOW - timedelta(days=2))
                )
                for n in range(3):
                    _session(conn, org, user, srv, RECENT + timedelta(hours=n), id=f"ses_a_r{n}")
                factories.ticket(conn, None, user, id="sr_orphan", created_at=OLD)
            rollup.settle(conn, org_id=org["id"], now=NOW)
        policy.set_retention(conn, org_id="org_acme", days=30, actor="admin@acme.example")
    return fresh_engine


def _ids(engine: sa.Engine, table: sa.Table, column: str = "id") -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(sa.select(table.c[column]).distinct()).scalars())


def _audit(engine: sa.Engine) -> list[tuple]:
    a = schema.audit_log.c
    with engine.connect() as conn:
        query = sa.select(a.id, a.org_id, a.action, a.detail).order_by(a.created_at, a.id)
        return [tuple(r) for r in conn.execute(query)]


def _rollup(engine: sa.Engine) -> dict[str, list]:
    with engine.connect() as conn:
        return {t.name: sorted(map(tuple, conn.execute(sa.select(t))), key=repr) for t in ROLLUPS}


def _rebuilt(engine: sa.Engine) -> dict[str, list]:
    with engine.connect() as conn, conn.begin() as trans:
        for org in ("org_acme", "org_globex"):
            rollup.rebuild(conn, org_id=org, now=NOW)
        out = {t.name: sorted(map(tuple, conn.execute(sa.select(t))), key=repr) for t in ROLLUPS}
        trans.rollback()
    return out


def test_apply_deletes_expired_sessions_with_their_children_in_batches(orgs: sa.Engine) -> None:
    before = _audit(orgs)
    [run] = retention.apply(orgs, actor="cli:ops", now=NOW, batch=2)
    kept = ["ses_a_r0", "ses_a_r1", "ses_a_r2", "ses_acme_o4", "ses_globex_o0", "ses_globex_o1"]
    assert _ids(orgs, schema.sessions) == kept
    for table in (schema.tool_calls, schema.session_stages, schema.session_states):
        assert _ids(orgs, table, "session_id") == kept
    assert _ids(orgs, schema.support_tickets, "session_id") == kept  # the orphan went too
    assert run.batches == 2
    assert dict(run.deleted) == {
        "sessions": 4,
        "tool_calls": 8,
        "support_tickets": 5,
        "session_stages": 4,
        "session_states": 4,
    }
    after = _audit(orgs)
    assert after[: len(before)] == before
    [(_, org_id, action, detail)] = after[len(before) :]
    assert (org_id, action, detail["outcome"]) == ("org_acme", "retention.apply", "completed")
    assert detail["deleted"]["sessions"] == 4 and detail["retention_days"] == 30


def test_the_rollup_after_apply_is_what_a_rebuild_gives(orgs: sa.Engine) -> None:
    settled = _rollup(orgs)
    retention.apply(orgs, actor="cli:ops", now=NOW, batch=3)
    assert _rollup(orgs) != settled  # the old days lost their sessions
    assert _rollup(orgs) == _rebuilt(orgs)


def test_a_dry_run_counts_and_deletes_nothing(orgs: sa.Engine) -> None:
    sessions, calls = _ids(orgs, schema.sessions), _ids(orgs, schema.tool_calls)
    [run] = retention.apply(orgs, actor="cli:ops", now=NOW, dry_run=True, batch=2)
    assert run.deleted["sessions"] == 4 and run.deleted["support_tickets"] == 5
    assert (_ids(orgs, schema.sessions), _ids(orgs, schema.tool_calls)) == (sessions, calls)
    assert _audit(orgs)[-1][3]["outcome"] == "dry_run"


def test_keep_all_deletes_nothing(orgs: sa.Engine) -> None:
    with orgs.begin() as conn:
        policy.set_retention(conn, org_id="org_acme", days=None, actor="admin@acme.example")
    assert retention.apply(orgs, actor="cli:ops", now=NOW) == []
    assert len(_ids(orgs, schema.sessions)) == 10


@pytest.mark.parametrize("days", [0, -3, 100_000])
def test_impossible_retention_is_refused(orgs: sa.Engine, days: int) -> None:
    with pytest.raises(policy.InvalidPolicy, match="1 to 36500 days"), orgs.begin() as conn:
        policy.set_retention(conn, org_id="org_acme", days=days, actor="a")


def test_the_cli_sets_and_applies_and_audits_the_change(
    orgs: sa.Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", orgs.url.render_as_string(hide_password=False))
    assert main(["retention", "set", "--org", "globex", "--days", "7"]) == 0
    with orgs.connect() as conn:
        assert policy.get(conn, "org_globex").retention_days == 7
    change = _audit(orgs)[-1]
    assert change[2] == "policy.update"
    assert change[3] == {"before": {"retention_days": None}, "after": {"retention_days": 7}}
    assert main(["retention", "apply", "--dry-run"]) == 0
    assert "org_globex: keeps 7 days" in capsys.readouterr().out
    assert main(["retention", "apply", "--org", "globex"]) == 0
    assert "deleted 2 sessions" in capsys.readouterr().out
    assert not any(i.startswith("ses_globex") for i in _ids(orgs, schema.sessions))


def test_make_run_and_the_app_never_delete() -> None:
    root = Path(__file__).resolve().parents[1]
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "sessionscope db upgrade" in recipe and "retention" not in recipe
    app_code = [root / "app.py", *root.glob("app_pages/*.py"), *root.glob("components/**/*.py")]
    assert [p.name for p in app_code if "import retention" in p.read_text("utf-8")] == []
