"""admin.denied is rate-limited in the core (issue 15, finding 9): one per identity and
organization in ten minutes, decided from the last entry's time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from sessionscope import denials
from sessionscope.schema import audit_log
from tests import factories as f


def denied_rows(conn: sa.Connection) -> list[tuple[str | None, str]]:
    a = audit_log.c
    query = sa.select(a.org_id, a.actor_email).where(a.action == denials.DENIED)
    return [tuple(row) for row in conn.execute(query.order_by(a.created_at))]


def deny(conn: sa.Connection, org_id: str | None, email: str, *, after: timedelta) -> str | None:
    now = datetime.now(UTC) + after
    return denials.record_denied(conn, org_id=org_id, actor_email=email, role="analyst", now=now)


def test_one_denial_per_identity_and_org_in_ten_minutes(conn: sa.Connection) -> None:
    acme = f.org(conn, id="org_acme", slug="acme")
    assert deny(conn, acme["id"], "a@x.example", after=timedelta(0))
    assert deny(conn, acme["id"], " A@X.example ", after=timedelta(minutes=9)) is None
    assert denied_rows(conn) == [("org_acme", "a@x.example")]
    assert deny(conn, acme["id"], "a@x.example", after=timedelta(minutes=10, seconds=1))
    assert len(denied_rows(conn)) == 2


def test_another_org_or_identity_is_recorded_at_once(conn: sa.Connection) -> None:
    acme, globex = f.org(conn, slug="acme"), f.org(conn, slug="globex")
    for org_id, email in [
        (acme["id"], "a@x.example"),
        (globex["id"], "a@x.example"),  # Globex's admins read their own log
        (acme["id"], "b@x.example"),
        (None, "a@x.example"),  # a non-member: no organization
    ]:
        assert deny(conn, org_id, email, after=timedelta(0)), (org_id, email)
    assert deny(conn, None, "a@x.example", after=timedelta(minutes=1)) is None
    assert len(denied_rows(conn)) == 4


def test_the_entry_records_the_normalised_email_and_the_role(conn: sa.Connection) -> None:
    acme = f.org(conn, slug="acme")
    entry = deny(conn, acme["id"], "  Bob@X.Example", after=timedelta(0))
    row = conn.execute(sa.select(audit_log).where(audit_log.c.id == entry)).mappings().one()
    assert row["actor_email"] == "bob@x.example"
    assert row["detail"] == {"page": "admin", "role": "analyst"}
