"""Reading the audit log of one organization, newest first, paged by keyset.

A cursor is (ISO created_at, id) of the last row shown; the next page starts below it in
(created_at DESC, id DESC) order, which the (org_id, created_at DESC) index serves.
"""

from __future__ import annotations

import sqlalchemy as sa

from queries.page import Page, contains, iso, page_of, row_compare, to_datetime
from sessionscope.schema import audit_log

COLUMNS = ("id", "actor_email", "action", "target_type", "target_id", "detail", "created_at")


def _filters(org_id: str, actor_q: str | None, actions: tuple[str, ...]) -> list[sa.ColumnElement]:
    a = audit_log.c
    # Entries of viewers with no organization have a NULL org_id and never match here.
    conds: list[sa.ColumnElement] = [a.org_id == org_id]
    if actor_q and actor_q.strip():
        conds.append(contains(a.actor_email, actor_q.strip()))
    if actions:
        conds.append(a.action.in_(actions))
    return conds


def entries(
    conn: sa.Connection,
    *,
    org_id: str,
    actor_q: str | None = None,
    actions: tuple[str, ...] = (),
    before: tuple | None = None,
    limit: int = 50,
) -> Page:
    """One page of the org's audit entries, newest first, below the `before` cursor.

    actor_q matches part of the actor's email (any case); actions keeps only those actions.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    a = audit_log.c
    query = sa.select(*(a[name] for name in COLUMNS)).where(*_filters(org_id, actor_q, actions))
    if before is not None:
        key = (to_datetime(before[0]), before[1])
        query = query.where(row_compare((a.created_at, a.id), key, "<"))
    query = query.order_by(a.created_at.desc(), a.id.desc()).limit(limit + 1)
    rows = conn.execute(query).mappings().all()
    return page_of(rows, COLUMNS, limit, lambda r: (iso(r["created_at"]), r["id"]))


def actions(conn: sa.Connection, *, org_id: str) -> list[str]:
    """The distinct actions in the org's audit log, sorted, for a filter widget."""
    a = audit_log.c
    names = conn.execute(sa.select(a.action).where(a.org_id == org_id).distinct()).scalars()
    # Sorted in Python: PostgreSQL's collation and SQLite's byte order disagree on case.
    return sorted(names)
