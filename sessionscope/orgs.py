"""Create an organization and its first admin (`sessionscope org create`), audited.

Every import, ingest and token is bound to an organization that already exists, so a fresh
production database starts here; the seed makes the demo's organizations itself.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

import sqlalchemy as sa

from sessionscope import audit
from sessionscope.errors import SessionscopeError
from sessionscope.schema import members, organizations

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}\Z")


def create(conn: sa.Connection, *, slug: str, name: str, admin_email: str, actor: str) -> str:
    """Insert the organization and its admin member; return the organization's id."""
    email = admin_email.strip().lower()
    if not SLUG.match(slug):
        raise SessionscopeError(
            f"slug {slug!r}: use 1-64 lower-case letters, digits and dashes, e.g. 'acme'"
        )
    if "@" not in email or len(email) > 320:
        raise SessionscopeError(f"--admin {admin_email!r} is not an email address")
    o = organizations.c
    if conn.execute(sa.select(o.id).where(o.slug == slug)).first():
        raise SessionscopeError(f"an organization with slug {slug!r} exists already")
    now = datetime.now(UTC)
    org_id = f"org_{slug.replace('-', '_')}_{secrets.token_hex(3)}"
    conn.execute(organizations.insert().values(id=org_id, slug=slug, name=name, created_at=now))
    member_id = f"mem_{secrets.token_hex(8)}"
    conn.execute(
        members.insert().values(
            id=member_id, org_id=org_id, email=email, role="admin", created_at=now
        )
    )
    audit.record(
        conn,
        org_id=org_id,
        actor_email=actor,
        action="org.create",
        target_type="organization",
        target_ids=[org_id],
        detail={"slug": slug, "name": name, "admin": email},
    )
    return org_id
