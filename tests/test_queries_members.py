from __future__ import annotations

import sqlalchemy as sa

from queries.members import Membership, memberships
from tests import factories


def test_memberships_case_insensitive_ordered_by_org_name(conn: sa.Connection) -> None:
    zeta = factories.org(conn, id="org_zeta", slug="zeta", name="Zeta")
    alpha = factories.org(conn, id="org_alpha", slug="alpha", name="Alpha")
    other = factories.org(conn, id="org_other", slug="other", name="Other")
    factories.member(conn, zeta, email="Ann@Example.com", name="Ann Z", role="admin")
    factories.member(conn, alpha, email="ann@example.com", name="Ann A")
    factories.member(conn, other, email="bob@example.com")

    got = memberships(conn, email=" ANN@example.COM ")

    assert got == [
        Membership("org_alpha", "alpha", "Alpha", "analyst", "ann@example.com", "Ann A"),
        Membership("org_zeta", "zeta", "Zeta", "admin", "Ann@Example.com", "Ann Z"),
    ]


def test_memberships_unknown_email_is_empty(conn: sa.Connection) -> None:
    factories.member(conn, factories.org(conn), email="bob@example.com")
    assert memberships(conn, email="nobody@example.com") == []
    assert memberships(conn, email="%@example.com") == []
