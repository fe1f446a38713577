"""Which organizations a dashboard viewer belongs to, found by email."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from sessionscope.schema import members, organizations


@dataclass(frozen=True)
class Membership:
    """One organization the viewer belongs to, and the role they have there."""

    org_id: str
    org_slug: str
    org_name: str
    role: str
    email: str
    name: str | None


def memberships(conn: sa.Connection, *, email: str) -> list[Membership]:
    """Every membership of email (case-insensitive), ordered by organization name."""
    # The one query not scoped by org: it is how the viewer's organizations are found.
    m, o = members.c, organizations.c
    stmt = (
        sa.select(
            o.id.label("org_id"),
            o.slug.label("org_slug"),
            o.name.label("org_name"),
            m.role,
            m.email,
            m.name,
        )
        .join_from(members, organizations, o.id == m.org_id)
        .where(sa.func.lower(m.email) == sa.func.lower(sa.literal(email.strip(), sa.String)))
        .order_by(o.name, o.id)
    )
    return [Membership(**row) for row in conn.execute(stmt).mappings()]
