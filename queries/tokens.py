"""An organization's ingest tokens as the Admin page lists them (never the token itself)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from sessionscope.schema import ingest_tokens


@dataclass(frozen=True)
class TokenInfo:
    """One ingest token: who made it, when it was last used, whether it still works."""

    id: str
    name: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def for_org(conn: sa.Connection, *, org_id: str) -> list[TokenInfo]:
    """The organization's tokens, newest first; revoked ones too (the list is the history)."""
    t = ingest_tokens.c
    stmt = (
        sa.select(t.id, t.name, t.created_by, t.created_at, t.last_used_at, t.revoked_at)
        .where(t.org_id == org_id)
        .order_by(t.created_at.desc(), t.id)
    )
    return [TokenInfo(**row._mapping) for row in conn.execute(stmt)]
