"""Payload downloads: the whole input or output of one tool call, audited once per download."""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa

from queries import items
from sessionscope import audit
from sessionscope.errors import NotFound

ACTION = "payload.download"
Field = Literal["input", "output"]


def payload(conn: sa.Connection, *, org_id: str, actor: str, item_id: str, field: Field) -> bytes:
    """The stored JSON text of a visible tool call's input or output, as UTF-8, with one audit
    entry naming who downloaded which call's field and how many bytes.

    Runs in the caller's transaction: the entry is written only if the download is handed
    out. NotFound for a call that is not visible to org_id or has no such payload.
    """
    text = items.payload_text(conn, org_id=org_id, item_id=item_id, field=field)
    if text is None:
        raise NotFound(f"tool call {item_id!r} has no {field} to download")
    data = text.encode("utf-8")
    audit.record(
        conn,
        org_id=org_id,
        actor_email=actor,
        action=ACTION,
        target_type="tool_call",
        target_ids=[item_id],
        detail={"field": field, "bytes": len(data)},
    )
    return data
