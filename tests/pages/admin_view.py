"""What the Admin page shows and what it wrote, read from an AppTest and the database."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from sessionscope import schema


def shown(at: AppTest) -> list[str]:
    """Session ids in the table, in order (its links end in ?session=<id>)."""
    return [link.rsplit("=", 1)[1] for link in at.dataframe[0].value["session"]]


def audit_entries(engine: sa.Engine, action: str | None = None) -> list[dict[str, Any]]:
    a = schema.audit_log.c
    query = sa.select(a.action, a.actor_email, a.org_id, a.target_id, a.detail)
    if action:
        query = query.where(a.action == action)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query.order_by(a.created_at)).mappings()]
