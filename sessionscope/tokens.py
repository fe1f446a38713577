"""Ingest tokens: create (shown once), revoke, and resolve a bearer token to its organization.

A token is `sst_` and 43 random URL-safe characters (256 bits). Only its SHA-256 is stored,
so a leaked database does not leak working tokens; a lookup hashes what the client sent and
compares hashes in SQL (the hash is unique and indexed). Every create and revoke is audited.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from sessionscope import audit
from sessionscope.errors import NotFound, SessionscopeError
from sessionscope.schema import ingest_tokens, organizations

TOKEN_PREFIX = "sst_"
MAX_NAME = 100
# last_used_at is written at most this often per token, so a busy exporter does not turn
# every batch into an extra write on a hot row.
LAST_USED_EVERY = timedelta(minutes=1)
# A header value longer than this is not one of ours; it is not hashed or looked up.
MAX_TOKEN_CHARS = 200


@dataclass(frozen=True)
class NewToken:
    """A token as created: `token` is shown once and never stored."""

    id: str
    org_id: str
    name: str
    token: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def org_by_slug(conn: sa.Connection, slug: str) -> str:
    """The id of the organization with `slug`, or NotFound naming the slugs there are."""
    o = organizations.c
    found = conn.execute(sa.select(o.id).where(o.slug == slug)).scalar_one_or_none()
    if found is None:
        known = ", ".join(conn.execute(sa.select(o.slug).order_by(o.slug)).scalars()) or "none"
        raise NotFound(f"no organization with slug {slug!r} (organizations: {known})")
    return found


def create(conn: sa.Connection, *, org_id: str, name: str, created_by: str) -> NewToken:
    """Insert a new token for `org_id` and audit it; the caller shows `token` once."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise SessionscopeError(f"a token name needs 1 to {MAX_NAME} characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    new = NewToken(id=f"itk_{secrets.token_hex(8)}", org_id=org_id, name=name, token=token)
    conn.execute(
        ingest_tokens.insert().values(
            id=new.id,
            org_id=org_id,
            name=name,
            token_hash=hash_token(token),
            created_by=created_by,
            created_at=datetime.now(UTC),
        )
    )
    audit.record(
        conn,
        org_id=org_id,
        actor_email=created_by,
        action="token.create",
        target_type="ingest_token",
        target_ids=[new.id],
        detail={"name": name},
    )
    return new


def revoke(conn: sa.Connection, *, org_id: str, token_id: str, actor_email: str) -> bool:
    """Revoke one of `org_id`'s tokens; False when it was already revoked. NotFound when the
    organization has no such token (another organization's token is not found either)."""
    t = ingest_tokens.c
    row = conn.execute(
        sa.select(t.revoked_at).where(t.id == token_id, t.org_id == org_id).with_for_update()
    ).one_or_none()
    if row is None:
        raise NotFound(f"no ingest token {token_id!r} in this organization")
    if row.revoked_at is not None:
        return False
    conn.execute(
        ingest_tokens.update()
        .where(t.id == token_id, t.org_id == org_id)
        .values(revoked_at=datetime.now(UTC))
    )
    audit.record(
        conn,
        org_id=org_id,
        actor_email=actor_email,
        action="token.revoke",
        target_type="ingest_token",
        target_ids=[token_id],
    )
    return True


def organization_of(conn: sa.Connection, token: str) -> str | None:
    """The organization a live (not revoked) token belongs to, else None; notes its use."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_CHARS:
        return None
    t = ingest_tokens.c
    row = conn.execute(
        sa.select(t.id, t.org_id, t.last_used_at).where(
            t.token_hash == hash_token(token), t.revoked_at.is_(None)
        )
    ).one_or_none()
    if row is None:
        return None
    now = datetime.now(UTC)
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
        conn.execute(ingest_tokens.update().where(t.id == row.id).values(last_used_at=now))
    return row.org_id
