"""Keep the daily rollup true: the per-day rows the Admin analytics read for settled days.

An org's `rollup_marks.settled_before` day splits its sessions: the rollup tables hold the
days before it, the analytics group the sessions themselves from that day on (see
queries/daily.py, which also builds the rows written here, so both agree by construction).
Besides the sessions, durations and tool calls, the rollup keeps MCP traffic's counts
(rollup_tools' other methods, rollup_clients) and the Tool paths panels' (rollup_paths:
sequences, loops, the calls before an error or a ticket), rebuilt with the same days.

- `settle` moves the mark up to yesterday (UTC), rolling up the days it passes; the seed
  runs it, the app runs it before its analytics (once a day does real work), and so does
  `sessionscope rollup`.
- `refresh_days` / `refresh_sessions` rebuild settled days whose sessions changed; the
  writers call them inside their own transaction (archive/restore, resume, import,
  retention), so a rolled-back write leaves the rollup as it was too.
- `rebuild` redoes every settled day (`sessionscope rollup --rebuild`), for outside tools
  that changed old sessions.

Locking: the mark row is read FOR UPDATE on PostgreSQL, so concurrent refreshes of one org
queue up; SQLite writers are serialised by the database itself.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from queries import daily
from queries.sql import day_bucket
from sessionscope import schema

_EPOCH = date(1970, 1, 1)  # a new mark starts here: nothing is settled yet
_CHUNK = 500  # ids per IN list


def _lock_mark(conn: sa.Connection, org_id: str) -> date | None:
    m = schema.rollup_marks
    query = sa.select(m.c.settled_before).where(m.c.org_id == org_id).with_for_update()
    return conn.execute(query).scalar_one_or_none()


def _create_mark(conn: sa.Connection, org_id: str, now: datetime) -> None:
    """Insert the org's mark at _EPOCH unless there is one (a concurrent insert waits)."""
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[conn.dialect.name]
    values = {"org_id": org_id, "settled_before": _EPOCH, "refreshed_at": now}
    conn.execute(insert(schema.rollup_marks).values(values).on_conflict_do_nothing())


def _runs(days: Iterable[date]) -> Iterator[tuple[date, date]]:
    """Sorted days as [first, after_last) runs of consecutive days."""
    ordered = sorted(set(days))
    start = prev = None
    for d in ordered:
        if start is None:
            start = prev = d
        elif d == prev + timedelta(days=1):
            prev = d
        else:
            yield start, prev + timedelta(days=1)
            start = prev = d
    if start is not None and prev is not None:
        yield start, prev + timedelta(days=1)


def _fill(conn: sa.Connection, org_id: str, runs: list[tuple[date, date]]) -> None:
    """Replace the org's rollup rows of the days in `runs` with rows from the sessions."""
    if not runs:
        return
    s = schema.sessions
    started = sa.or_(
        *[
            sa.and_(s.c.started_at >= daily.midnight(a), s.c.started_at < daily.midnight(b))
            for a, b in runs
        ]
    )
    live = {
        schema.rollup_sessions: daily.live_sessions(conn),
        schema.rollup_durations: daily.live_durations(conn),
        schema.rollup_tools: daily.live_tools(conn, org_id=org_id, methods=schema.TARGET_METHODS),
        schema.rollup_clients: daily.live_clients(conn),
    }
    for table, rows in live.items():
        rows = rows.add_columns(s.c.org_id).group_by(s.c.org_id)
        _replace(conn, table, org_id, runs, rows.where(s.c.org_id == org_id, started))
    # The tool paths window each session's calls: the days' conditions go inside.
    paths = daily.live_paths(conn, org_id=org_id, where=[s.c.org_id == org_id, started])
    org = sa.literal(org_id, sa.String).label("org_id")
    _replace(conn, schema.rollup_paths, org_id, runs, paths.add_columns(org))


def _replace(
    conn: sa.Connection,
    table: sa.Table,
    org_id: str,
    runs: list[tuple[date, date]],
    rows: sa.Select,
) -> None:
    """Delete the org's rows of `table` in the days of `runs`, then insert `rows`."""
    in_runs = sa.or_(*[sa.and_(table.c.day >= a, table.c.day < b) for a, b in runs])
    conn.execute(sa.delete(table).where(table.c.org_id == org_id, in_runs))
    names = [c.name for c in rows.selected_columns]
    conn.execute(sa.insert(table).from_select(names, rows))


def _set_mark(conn: sa.Connection, org_id: str, settled_before: date, now: datetime) -> None:
    m = schema.rollup_marks
    values = {"settled_before": settled_before, "refreshed_at": now}
    conn.execute(sa.update(m).where(m.c.org_id == org_id).values(values))


def settle(conn: sa.Connection, *, org_id: str, now: datetime | None = None) -> bool:
    """Roll up the org's days up to the day before yesterday (UTC); True if the mark moved.

    Yesterday stays live: its sessions may still be running.
    """
    now = now or datetime.now(UTC)
    target = now.astimezone(UTC).date() - timedelta(days=1)
    _create_mark(conn, org_id, now)
    mark = _lock_mark(conn, org_id)
    if mark is None or mark >= target:
        return False
    _fill(conn, org_id, [(mark, target)])
    _set_mark(conn, org_id, target, now)
    return True


def refresh_days(conn: sa.Connection, *, org_id: str, days: Collection[date]) -> int:
    """Rebuild the settled ones among `days` for the org; how many days were rebuilt."""
    if not days:
        return 0
    mark = _lock_mark(conn, org_id)
    if mark is None:
        return 0
    settled = [d for d in days if d < mark]
    _fill(conn, org_id, list(_runs(settled)))
    return len(set(settled))


def session_days(conn: sa.Connection, *, org_id: str, session_ids: Iterable[str]) -> set[date]:
    """The UTC start days of the org's sessions among `session_ids`."""
    s, ids = schema.sessions, list(dict.fromkeys(session_ids))
    day = day_bucket(conn, s.c.started_at)
    days: set[date] = set()
    for i in range(0, len(ids), _CHUNK):
        query = (
            sa.select(day).distinct().where(s.c.org_id == org_id, s.c.id.in_(ids[i : i + _CHUNK]))
        )
        days.update(_as_date(d) for d in conn.execute(query).scalars())
    return days


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def refresh_sessions(conn: sa.Connection, *, org_id: str, session_ids: Iterable[str]) -> int:
    """Rebuild the settled days these sessions started on (after changing them)."""
    return refresh_days(
        conn, org_id=org_id, days=session_days(conn, org_id=org_id, session_ids=session_ids)
    )


def rebuild(conn: sa.Connection, *, org_id: str, now: datetime | None = None) -> None:
    """Redo every settled day of the org from the sessions, then settle up to yesterday."""
    mark = _lock_mark(conn, org_id)
    if mark is not None and mark > _EPOCH:
        _fill(conn, org_id, [(_EPOCH, mark)])
    settle(conn, org_id=org_id, now=now)
