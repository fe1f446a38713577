"""One session's tool calls and support tickets merged in time order, read in keyset windows.

The merged order key is (at, kind_rank, seq, id): tool calls (rank 0) come before tickets
(rank 1) at the same instant, and tickets sort with seq 0. A cursor is that key as a tuple
(ISO timestamp, rank, seq, id). Each table is read as its own arm, ordered and limited on its
own index, and the arms are merged by UNION ALL; input/output payloads are never selected.

A tool_calls row whose method is not `tools/call` (initialize, tools/list, resources/read...)
is a `protocol` item: read by the same arm as the tool calls, with their rank and seq, so it
keeps its place in time; it is never a "tool" (the tool filter and the tool list skip it).

A workflow session's stages that have started are `stage` items (rank 2), id `stg_<stage>`:
session_stages has no id of its own, and a stage is unique within its session.

Find (TimelineFilter.contains): the text is a condition inside each arm (queries.textmatch),
so windows, counts and cursors of a filter narrowed to the matches work as for any filter;
step, place and kept give the next/previous match, a match's number and a window's marks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from queries.page import Page, iso, page_of, row_compare, to_datetime
from queries.sessions import visible
from queries.textmatch import any_contains
from sessionscope.schema import (
    STAGES,
    TOOL_CALL_METHOD,
    session_stages,
    support_tickets,
    tool_calls,
)

COLUMNS = (
    "kind",
    "id",
    "at",
    "label",
    "seq",
    "duration_ms",
    "is_error",
    "error_message",
    "status",
    "priority",
)
TOOL_CALL, PROTOCOL, TICKET, STAGE = "tool_call", "protocol", "ticket", "stage"
KINDS = (TOOL_CALL, PROTOCOL, TICKET, STAGE)
RANKS = {TOOL_CALL: 0, PROTOCOL: 0, TICKET: 1, STAGE: 2}  # protocol rows are tool_calls rows
STAGE_PREFIX = "stg_"
ITEM_PREFIXES = ("tc_", "sr_", STAGE_PREFIX)


@dataclass(frozen=True)
class TimelineFilter:
    """Which items to show. A tool selects tool calls (hiding protocol requests and tickets);
    errors_only selects failed requests of either kind and failed stages (hiding tickets);
    contains keeps the items whose text holds it (queries.textmatch: a call's input, output
    and error message, a ticket's title, summary and context, a stage's data)."""

    kinds: tuple[str, ...] = KINDS
    tool: str | None = None
    errors_only: bool = False
    contains: str | None = None

    def finding(self, q: str | None) -> TimelineFilter:
        """This filter narrowed to the items that contain q (None: not narrowed)."""
        return replace(self, contains=q or None)


@dataclass(frozen=True)
class TimelineSummary:
    """Counts over a whole session's timeline, the tool names in it, and its time span.
    tool_calls, errors and tools are of `tools/call` rows; protocol counts the other methods."""

    tool_calls: int
    errors: int
    tickets: int
    tools: tuple[str, ...]
    first_at: datetime | None
    last_at: datetime | None
    protocol: int = 0
    stages: int = 0  # stages that have started (the others are not in the timeline yet)
    pending_stages: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Arm:
    kind: str
    table: sa.Table
    at: sa.Column[Any]
    order: tuple[sa.Column[Any], ...]  # the arm's index order, which the merged key extends

    @property
    def rank(self) -> int:
        return RANKS[self.kind]


_tc, _st, _sg = tool_calls.c, support_tickets.c, session_stages.c
_CALLS = _Arm(TOOL_CALL, tool_calls, _tc.started_at, (_tc.started_at, _tc.seq, _tc.id))
_TICKETS = _Arm(TICKET, support_tickets, _st.created_at, (_st.created_at, _st.id))
_STAGES = _Arm(STAGE, session_stages, _sg.started_at, (_sg.started_at, _sg.stage))


def _call_kinds(flt: TimelineFilter) -> set[str]:
    """The kinds of tool_calls rows the filter keeps (a tool names a tools/call row)."""
    kinds = {TOOL_CALL, PROTOCOL} & set(flt.kinds)
    return kinds - {PROTOCOL} if flt.tool is not None else kinds


def _arms(flt: TimelineFilter) -> list[_Arm]:
    arms = [_CALLS] if _call_kinds(flt) else []
    if TICKET in flt.kinds and flt.tool is None and not flt.errors_only:
        arms.append(_TICKETS)
    if STAGE in flt.kinds and flt.tool is None:
        arms.append(_STAGES)
    return arms


def _where(
    arm: _Arm, org_id: str, session_id: str, flt: TimelineFilter, *, by_key: bool = False
) -> list[Any]:
    """The arm's rows of the visible session that the filter keeps. by_key: the caller looks
    rows up by primary key, so the org and session conditions must not steer SQLite's planner
    (without statistics it would scan the session's index rather than look up 100 keys)."""
    c = arm.table.c
    found = [_contains(arm, flt.contains)] if flt.contains else []
    if arm is _STAGES:  # no org_id column: the visibility condition scopes it
        failed = [c.status == "failed"] if flt.errors_only else []
        return [
            c.session_id == session_id,
            c.started_at.is_not(None),
            visible(org_id, session_id),
            *failed,
            *found,
        ]
    org, ses = (
        (_Unindexed(c.org_id), _Unindexed(c.session_id)) if by_key else (c.org_id, c.session_id)
    )
    conds = [org == org_id, ses == session_id, visible(org_id, session_id), *found]
    if arm is _CALLS:
        conds += _method_where(flt)
    if arm is _CALLS and flt.tool is not None:
        conds.append(c.tool_name == flt.tool)
    if arm is _CALLS and flt.errors_only:
        conds.append(c.is_error.is_(True))
    return conds


class _Unindexed(FunctionElement[str]):
    """A column that a SQLite index must not serve (unary +); the column itself elsewhere."""

    type = sa.String()
    inherit_cache = True


@compiles(_Unindexed)
def _column(element: _Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(_Unindexed, "sqlite")
def _plus_column(element: _Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


def _contains(arm: _Arm, q: str) -> sa.ColumnElement[bool]:
    """The arm's searched text holds q: a request's payloads and error, a ticket's title,
    summary and context, a stage's data. Tool and stage names are not searched: the tool
    filter and the rows already show them."""
    # One session's rows: compared without the trigram index (textmatch.any_contains).
    if arm is _CALLS:
        return any_contains(
            q, texts=(_tc.error_message,), jsons=(_tc.input, _tc.output), indexed=False
        )
    if arm is _TICKETS:
        return any_contains(q, texts=(_st.title, _st.summary, _st.context), indexed=False)
    return any_contains(q, jsons=(_sg.data,), indexed=False)


def _method_where(flt: TimelineFilter) -> list[sa.ColumnElement[bool]]:
    kinds = _call_kinds(flt)
    if kinds == {TOOL_CALL}:
        return [_tc.method == TOOL_CALL_METHOD]
    if kinds == {PROTOCOL}:
        return [_tc.method != TOOL_CALL_METHOD]
    return []


def _bound(arm: _Arm, cursor: tuple, *, after: bool) -> sa.ColumnElement[bool]:
    """Items of arm after the cursor key (after=True) or at-or-before it (after=False)."""
    at, rank, seq, item_id = to_datetime(cursor[0]), cursor[1], cursor[2], cursor[3]
    if arm.rank != rank:
        # At the same instant the arm of lower rank sorts first.
        first = arm.rank < rank
        if after:
            return arm.at > at if first else arm.at >= at
        return arm.at <= at if first else arm.at < at
    key = (at, seq, item_id) if arm is _CALLS else (at, _arm_key_id(arm, item_id))
    return row_compare(arm.order, key, ">" if after else "<=")


def _arm_key_id(arm: _Arm, item_id: str) -> str:
    """The id part of a key as the arm's own order column holds it (a stage: its name)."""
    return item_id.removeprefix(STAGE_PREFIX) if arm is _STAGES else item_id


def _const(value: str) -> sa.ColumnElement[str]:
    return sa.literal_column(f"'{value}'", sa.String)  # our constants, never input


def _call_kind_and_label() -> tuple[sa.ColumnElement[str], sa.ColumnElement[str]]:
    """A call's kind, and its label: the tool, or the method and its target when it has one
    ("tools/list", "resources/read docs://index", "prompts/get summarize")."""
    c, is_tool = _tc, _tc.method == TOOL_CALL_METHOD
    kind = sa.case((is_tool, _const(TOOL_CALL)), else_=_const(PROTOCOL))
    label = sa.case(
        (is_tool, c.tool_name),
        (sa.or_(c.tool_name == c.method, c.tool_name == ""), c.method),  # no target
        else_=c.method + _const(" ") + c.tool_name,
    )
    return kind, label


def _arm_select(arm: _Arm) -> sa.Select[Any]:
    c = arm.table.c
    kind: sa.ColumnElement[str] = _const(arm.kind)
    item_id: sa.ColumnElement[str] = c.id if arm is not _STAGES else _const(STAGE_PREFIX) + c.stage
    if arm is _STAGES:
        cols = {
            "label": c.stage,
            "seq": sa.null().cast(sa.Integer),
            "duration_ms": sa.null().cast(sa.Integer),
            "is_error": c.status == "failed",
            "error_message": sa.null().cast(sa.Text),
            "status": c.status,
            "priority": sa.null().cast(sa.String),
            "ord_seq": sa.literal_column("0", sa.Integer),
        }
    elif arm is _CALLS:
        kind, label = _call_kind_and_label()
        cols = {
            "label": label,
            "seq": c.seq,
            "duration_ms": c.duration_ms,
            "is_error": c.is_error,
            "error_message": c.error_message,
            "status": sa.null().cast(sa.String),
            "priority": sa.null().cast(sa.String),
            "ord_seq": c.seq,
        }
    else:
        cols = {
            "label": c.title,
            "seq": sa.null().cast(sa.Integer),
            "duration_ms": sa.null().cast(sa.Integer),
            "is_error": sa.false(),
            "error_message": sa.null().cast(sa.Text),
            "status": c.status,
            "priority": c.priority,
            "ord_seq": sa.literal_column("0", sa.Integer),
        }
    return sa.select(
        kind.label("kind"),
        item_id.label("id"),
        arm.at.label("at"),
        *(col.label(name) for name, col in cols.items()),
        sa.literal_column(str(arm.rank), sa.Integer).label("kind_rank"),
    )


def _merged(
    conn: sa.Connection,
    org_id: str,
    session_id: str,
    flt: TimelineFilter,
    cursor: tuple | None,
    *,
    after: bool,
    limit: int,
) -> list[sa.RowMapping]:
    """Up to limit items after cursor in key order, or at-or-before it in reverse key order."""
    parts = []
    for arm in _arms(flt):
        stmt = _arm_select(arm).where(*_where(arm, org_id, session_id, flt))
        if cursor is not None:
            stmt = stmt.where(_bound(arm, cursor, after=after))
        order = arm.order if after else tuple(col.desc() for col in arm.order)
        parts.append(sa.select(stmt.order_by(*order).limit(limit).subquery()))
    if not parts:
        return []
    merged = (parts[0] if len(parts) == 1 else sa.union_all(*parts)).subquery()
    m = merged.c
    key = (m.at, m.kind_rank, m.ord_seq, m.id)
    stmt = sa.select(*(m[n] for n in COLUMNS))
    stmt = stmt.order_by(*(key if after else tuple(k.desc() for k in key))).limit(limit)
    return list(conn.execute(stmt).mappings())


def _key(row: Any) -> tuple:
    """The merged order key of a row, as a cursor."""
    return (iso(row["at"]), RANKS[row["kind"]], row["seq"] or 0, row["id"])


def window(
    conn: sa.Connection,
    *,
    org_id: str,
    session_id: str,
    flt: TimelineFilter = TimelineFilter(),
    after: tuple | None = None,
    limit: int = 200,
) -> Page:
    """Up to limit timeline items after the cursor, in merged time order."""
    rows = _merged(conn, org_id, session_id, flt, after, after=True, limit=limit + 1)
    return page_of(rows, COLUMNS, limit, _key)


def _count(
    conn: sa.Connection, org_id: str, session_id: str, flt: TimelineFilter, upto: tuple | None
) -> int:
    counts = []
    for arm in _arms(flt):
        stmt = sa.select(sa.func.count()).select_from(arm.table)
        stmt = stmt.where(*_where(arm, org_id, session_id, flt))
        if upto is not None:
            stmt = stmt.where(_bound(arm, upto, after=False))
        counts.append(stmt.scalar_subquery())
    return sum(conn.execute(sa.select(*counts)).one()) if counts else 0


def count(conn: sa.Connection, *, org_id: str, session_id: str, flt: TimelineFilter) -> int:
    """How many items the filter keeps in the whole timeline."""
    return _count(conn, org_id, session_id, flt, None)


def position(
    conn: sa.Connection,
    *,
    org_id: str,
    session_id: str,
    flt: TimelineFilter,
    cursor: tuple | None,
) -> int:
    """How many items come before window(after=cursor): those at or before the cursor key."""
    return 0 if cursor is None else _count(conn, org_id, session_id, flt, cursor)


def cursor_before(
    conn: sa.Connection,
    *,
    org_id: str,
    session_id: str,
    flt: TimelineFilter,
    cursor: tuple | None,
    limit: int,
) -> tuple | None:
    """The after cursor of the window of limit items ending at cursor; None for the start."""
    if cursor is None:
        return None
    rows = _merged(conn, org_id, session_id, flt, cursor, after=False, limit=limit + 1)
    return _key(rows[limit]) if len(rows) > limit else None


def cursor_at_seq(conn: sa.Connection, *, org_id: str, session_id: str, seq: int) -> tuple | None:
    """An after cursor whose window starts at request number seq (tool call or protocol
    request: they share the numbering); None if there is none."""
    c = _tc
    stmt = sa.select(c.started_at).where(
        c.org_id == org_id, c.session_id == session_id, visible(org_id, session_id)
    )
    at = conn.execute(stmt.where(c.seq == seq).order_by(c.started_at, c.id).limit(1)).scalar()
    # "" sorts before every real id, so the cursor sits just before the call for any filter.
    return None if at is None else (iso(at), RANKS[TOOL_CALL], seq, "")


def summary(conn: sa.Connection, *, org_id: str, session_id: str) -> TimelineSummary | None:
    """Counts, tool names and time span of a visible session's timeline; None if not visible.
    Three statements: the counts with the visibility, the tool names, the stages."""
    c, t, f = _tc, _st, sa.func
    is_tool = c.method == TOOL_CALL_METHOD
    calls = sa.select(
        f.count().filter(is_tool),
        f.count().filter(sa.and_(is_tool, c.is_error)),
        f.min(c.started_at),
        f.max(c.started_at),
        f.count().filter(sa.not_(is_tool)),
    ).where(c.org_id == org_id, c.session_id == session_id)
    tickets = sa.select(f.count(), f.min(t.created_at), f.max(t.created_at))
    tickets = tickets.where(t.org_id == org_id, t.session_id == session_id)
    one_row_each = calls.subquery(), tickets.subquery()
    both = sa.select(visible(org_id, session_id), *one_row_each[0].c, *one_row_each[1].c)
    both = both.select_from(one_row_each[0].join(one_row_each[1], sa.true()))
    seen, *counts = conn.execute(both).one()
    if not seen:
        return None
    n_calls, n_errors, c_first, c_last, n_protocol, n_tickets, t_first, t_last = counts
    tools = sa.select(c.tool_name).where(c.org_id == org_id, c.session_id == session_id, is_tool)
    names = conn.execute(tools.distinct()).scalars().all()
    started, pending = _stage_summary(conn, session_id)
    firsts = [x for x in (c_first, t_first, *started) if x is not None]
    lasts = [x for x in (c_last, t_last, *started) if x is not None]
    # Sorted in Python: PostgreSQL's collation and SQLite's byte order disagree on case.
    return TimelineSummary(
        n_calls,
        n_errors,
        n_tickets,
        tuple(sorted(names)),
        min(firsts, default=None),
        max(lasts, default=None),
        n_protocol,
        len(started),
        pending,
    )


def _stage_summary(conn: sa.Connection, session_id: str) -> tuple[list[datetime], tuple[str, ...]]:
    """When each started stage started, and the stages not started yet (in STAGES order)."""
    rows = conn.execute(
        sa.select(_sg.stage, _sg.started_at).where(_sg.session_id == session_id)
    ).all()
    started = [at for _, at in rows if at is not None]
    waiting = {stage for stage, at in rows if at is None}
    return started, tuple(s for s in STAGES if s in waiting) + tuple(sorted(waiting - set(STAGES)))


def item_key(conn: sa.Connection, *, org_id: str, session_id: str, item_id: str) -> tuple | None:
    """The merged order key of one item of a visible session (a cursor at that item), or None."""
    seen = visible(org_id, session_id)
    if item_id.startswith("tc_"):
        c = _tc
        where = (c.id == item_id, c.org_id == org_id, c.session_id == session_id, seen)
        row = conn.execute(sa.select(c.started_at, c.seq).where(*where)).first()
        return None if row is None else (iso(row[0]), RANKS[TOOL_CALL], row[1], item_id)
    if item_id.startswith("sr_"):
        t = _st
        where = (t.id == item_id, t.org_id == org_id, t.session_id == session_id, seen)
        at = conn.execute(sa.select(t.created_at).where(*where)).scalar()
        return None if at is None else (iso(at), RANKS[TICKET], 0, item_id)
    if item_id.startswith(STAGE_PREFIX):
        g = _sg
        where = (g.session_id == session_id, g.stage == item_id.removeprefix(STAGE_PREFIX), seen)
        at = conn.execute(sa.select(g.started_at).where(*where)).scalar()
        return None if at is None else (iso(at), RANKS[STAGE], 0, item_id)
    return None


def cursor_showing(
    conn: sa.Connection,
    *,
    org_id: str,
    session_id: str,
    flt: TimelineFilter,
    item_id: str,
    above: int,
) -> tuple | None:
    """The after cursor of a window whose row number above+1 is the item (or where it would
    be under this filter), so a link to call #15,000 opens with that call in view."""
    key = item_key(conn, org_id=org_id, session_id=session_id, item_id=item_id)
    if key is None:
        return None
    return cursor_before(
        conn, org_id=org_id, session_id=session_id, flt=flt, cursor=key, limit=above + 1
    )


def step(
    conn: sa.Connection,
    *,
    org_id: str,
    session_id: str,
    flt: TimelineFilter,
    item_id: str | None,
    forward: bool,
) -> str | None:
    """The id of the filter's first item after item_id (forward) or last one before it; with
    no item_id (or one that is not in this session) the filter's first or last item. None
    when there is none that way: a "next match" of `flt.finding(q)` does not wrap."""
    key = (
        None
        if item_id is None
        else item_key(conn, org_id=org_id, session_id=session_id, item_id=item_id)
    )
    if forward:
        rows = _merged(conn, org_id, session_id, flt, key, after=True, limit=1)
    else:  # at-or-before the key: the item itself comes first when the filter keeps it
        rows = _merged(conn, org_id, session_id, flt, key, after=False, limit=2)
    return next((r["id"] for r in rows if r["id"] != item_id), None)


def place(
    conn: sa.Connection, *, org_id: str, session_id: str, flt: TimelineFilter, item_id: str
) -> int | None:
    """The item's number (from 1) among the filter's items; None if the filter drops it."""
    key = item_key(conn, org_id=org_id, session_id=session_id, item_id=item_id)
    if key is None:
        return None
    last = _merged(conn, org_id, session_id, flt, key, after=False, limit=1)
    if not last or last[0]["id"] != item_id:
        return None
    return _count(conn, org_id, session_id, flt, key)


def kept(
    conn: sa.Connection,
    *,
    org_id: str,
    session_id: str,
    flt: TimelineFilter,
    item_ids: tuple[str, ...],
) -> frozenset[str]:
    """Which of these items (a window's) the filter keeps: the rows to mark as matches. Each
    arm looks its items up by key, so a window's marks never scan the rest of the session."""
    parts = []
    for arm in _arms(flt):
        prefix = STAGE_PREFIX if arm is _STAGES else "tc_" if arm is _CALLS else "sr_"
        ids = [_arm_key_id(arm, i) for i in item_ids if i.startswith(prefix)]
        if ids:
            key_col = arm.table.c.stage if arm is _STAGES else arm.table.c.id
            where = _where(arm, org_id, session_id, flt, by_key=True)
            stmt = _arm_select(arm).where(*where, key_col.in_(ids))
            parts.append(sa.select(stmt.subquery().c.id))
    if not parts:
        return frozenset()
    stmt = parts[0] if len(parts) == 1 else sa.union_all(*parts)
    return frozenset(conn.execute(stmt).scalars())
