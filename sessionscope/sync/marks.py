"""Sync watermarks: how far a source's table has been read, per organization (sync_marks)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from sessionscope.schema import sync_marks


def get(conn: sa.Connection, *, source: str, org_id: str, key: str) -> str | None:
    m = sync_marks.c
    return conn.execute(
        sa.select(m.watermark).where(m.source == source, m.org_id == org_id, m.key == key)
    ).scalar_one_or_none()


def put(conn: sa.Connection, *, source: str, org_id: str, key: str, watermark: str) -> None:
    """Set the mark, in the caller's transaction: it advances only with the rows it covers."""
    m = sync_marks.c
    where = (m.source == source, m.org_id == org_id, m.key == key)
    now = datetime.now(UTC)
    done = conn.execute(
        sync_marks.update().where(*where).values(watermark=watermark, updated_at=now)
    )
    if not done.rowcount:
        conn.execute(
            sync_marks.insert().values(
                source=source, org_id=org_id, key=key, watermark=watermark, updated_at=now
            )
        )
