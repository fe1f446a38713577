"""The sidebar's session history: the organization's quick stats, its latest sessions, and
cards for the sessions a viewer opened recently.

Every count is an index range scan: `(org_id, started_at DESC)` for "today",
`(org_id, status, started_at DESC)` for "active now" and for the 7-day success rate
(one range per status), so the counts stay quick on millions of sessions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
import sqlalchemy as sa

from queries.page import Page, contains, iso, page_of, row_compare, to_datetime
from queries.sessions import LIST_COLUMNS, duration_s
from sessionscope.schema import servers, sessions, support_tickets

SUCCESS_WINDOW = timedelta(days=7)
# A title search looks at the org's newest SEARCH_SCOPE sessions only: a word that matches
# nothing would otherwise read every session of the org (seconds on a million).
SEARCH_SCOPE = 5000
# A card shows the session list columns of queries.sessions, but for the current stage.
CARD_COLUMNS = tuple(c for c in LIST_COLUMNS if c != "current_stage")


@dataclass(frozen=True)
class QuickStats:
    """Sessions started today (UTC), active now, and the last 7 days' finished sessions."""

    today: int
    active: int
    completed_7d: int
    failed_7d: int

    @property
    def success_rate(self) -> float | None:
        """Completed over finished (completed + failed) sessions started in the last 7 days."""
        finished = self.completed_7d + self.failed_7d
        return self.completed_7d / finished if finished else None


def _count(org_id: str, *where: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
    s = sessions.c
    return (
        sa.select(sa.func.count())
        .select_from(sessions)
        .where(s.org_id == org_id, s.archived_at.is_(None), *where)
        .scalar_subquery()
    )


def quick_stats(conn: sa.Connection, *, org_id: str, now: datetime) -> QuickStats:
    """The four counts in one round trip, each a scalar subquery on its own index range."""
    s = sessions.c
    now = now.astimezone(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    since = now - SUCCESS_WINDOW
    row = conn.execute(
        sa.select(
            _count(org_id, s.started_at >= midnight, s.started_at <= now).label("today"),
            _count(org_id, s.status == "active").label("active"),
            _count(org_id, s.status == "completed", s.started_at >= since).label("completed"),
            _count(org_id, s.status == "failed", s.started_at >= since).label("failed"),
        )
    ).one()
    return QuickStats(row.today, row.active, row.completed, row.failed)


def _cards(org_id: str) -> sa.Select:
    """What a compact card shows: the session list columns of queries.sessions, no payloads."""
    s, v, k = sessions.c, servers.c, support_tickets.c
    tickets = (
        sa.select(sa.func.count())
        .where(k.org_id == org_id, k.session_id == s.id)
        .scalar_subquery()
        .label("ticket_count")
    )
    return (
        sa.select(
            s.id, s.title, s.status,
            v.name.label("server_name"), v.kind.label("server_kind"),
            s.started_at, s.last_activity_at, s.completed_at,
            s.total_tool_calls, s.total_errors, tickets,
            s.total_jobs, s.total_companies, s.total_contacts, s.total_campaigns,
        )
        .join_from(sessions, servers, v.id == s.server_id)
        .where(s.org_id == org_id, s.archived_at.is_(None))
    )  # fmt: skip


def _search_floor(org_id: str) -> sa.ScalarSelect:
    """The start of the org's SEARCH_SCOPE-th newest session: an index-only bound."""
    s = sessions.c
    newest = (
        sa.select(s.started_at)
        .where(s.org_id == org_id)
        .order_by(s.started_at.desc())
        .limit(SEARCH_SCOPE)
        .subquery()
    )
    return sa.select(sa.func.min(newest.c.started_at)).scalar_subquery()


def _filtered(
    stmt: sa.Select, org_id: str, statuses: Sequence[str], title_q: str | None
) -> sa.Select:
    s = sessions.c
    if statuses:
        stmt = stmt.where(s.status.in_(list(statuses)))
    if title_q and title_q.strip():
        stmt = stmt.where(contains(s.title, title_q.strip()), s.started_at >= _search_floor(org_id))
    return stmt


def _rows(conn: sa.Connection, stmt: sa.Select) -> list[dict]:
    return [{**row, "duration_s": duration_s(row)} for row in conn.execute(stmt).mappings()]


def latest(
    conn: sa.Connection,
    *,
    org_id: str,
    statuses: Sequence[str] = (),
    title_q: str | None = None,
    before: tuple | None = None,
    limit: int = 8,
) -> Page:
    """One keyset page of the org's sessions, newest first (started_at, id DESC).

    A title search (case-insensitive substring) covers the newest SEARCH_SCOPE sessions.
    """
    s = sessions.c
    stmt = _filtered(_cards(org_id), org_id, statuses, title_q)
    if before is not None:
        key = (to_datetime(before[0]), before[1])
        stmt = stmt.where(row_compare((s.started_at, s.id), key, "<"))
    stmt = stmt.order_by(s.started_at.desc(), s.id.desc()).limit(limit + 1)
    return page_of(
        _rows(conn, stmt), CARD_COLUMNS, limit, lambda r: (iso(r["started_at"]), r["id"])
    )


def by_ids(
    conn: sa.Connection,
    *,
    org_id: str,
    ids: Sequence[str],
    statuses: Sequence[str] = (),
    title_q: str | None = None,
) -> pd.DataFrame:
    """The org's sessions among ids, in the order of ids; others' and unknown ids are dropped."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return pd.DataFrame(columns=list(CARD_COLUMNS))
    stmt = _filtered(_cards(org_id), org_id, statuses, title_q).where(sessions.c.id.in_(wanted))
    found = {row["id"]: row for row in _rows(conn, stmt)}
    rows = [found[i] for i in wanted if i in found]
    return pd.DataFrame(rows, columns=list(CARD_COLUMNS))
