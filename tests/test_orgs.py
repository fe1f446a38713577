"""`sessionscope org create`: a fresh database gets its first organization and admin."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sessionscope.cli import main
from sessionscope.schema import audit_log, members, organizations


def test_org_create_makes_the_org_its_admin_and_an_audit_entry(
    fresh_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", fresh_engine.url.render_as_string(hide_password=False))
    assert (
        main(["org", "create", "acme", "--name", "Acme Corp", "--admin", " Ann@Acme.example"]) == 0
    )
    assert main(["org", "create", "acme", "--name", "Again", "--admin", "b@acme.example"]) == 2
    assert main(["org", "create", "Not A Slug", "--name", "X", "--admin", "b@x.example"]) == 2
    assert "exists already" in capsys.readouterr().err
    with fresh_engine.connect() as conn:
        (org_id,) = conn.execute(sa.select(organizations.c.id)).scalars()
        assert conn.execute(sa.select(members.c.email, members.c.role)).one() == (
            "ann@acme.example",
            "admin",
        )
        assert conn.execute(sa.select(audit_log.c.action, audit_log.c.org_id)).one() == (
            "org.create",
            org_id,
        )
