"""The Admin table's tool-path filter: the sessions whose `tools/call`s hold a path.

A path is 1 to MAX_STEPS tool names of consecutive `tools/call`s (ordered by `seq` in the
session, other methods skipped), optionally from the session's first call (`start`), with
its last call failing (`then="error"`) or being the last call before a ticket was raised
(`then="ticket"`: a ticket of the session created at or after the call started and before
the session's next call started). queries.paths counts the same windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sessionscope import schema

MAX_STEPS = 4  # the longest sequence counted, and the longest path a filter matches
THEN = ("error", "ticket")  # what may follow a path's last call


@dataclass(frozen=True)
class Path:
    """A tool path the Admin table filters by: 1-4 tool names of consecutive `tools/call`s,
    `start` when the first is the session's first call, `then` what follows the last."""

    steps: tuple[str, ...]
    start: bool = False
    then: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= len(self.steps) <= MAX_STEPS:
            raise ValueError(f"a path has 1 to {MAX_STEPS} steps, got {len(self.steps)}")
        if self.then not in (None, *THEN):
            raise ValueError(f"unknown path end {self.then!r}")


def _lag(n: int) -> sa.ColumnElement[str]:
    tc = schema.tool_calls.c
    return sa.func.lag(tc.tool_name, n).over(partition_by=tc.session_id, order_by=tc.seq)


def windowed_calls(*where: sa.ColumnElement[bool]) -> sa.Select:
    """The `tools/call` rows matching `where`, each with its rank in the session (rn), the
    three tool names before it (lag1..lag3) and when the next call started (next_at)."""
    tc = schema.tool_calls.c
    window = {"partition_by": tc.session_id, "order_by": tc.seq}
    return sa.select(
        tc.session_id,
        tc.seq,
        tc.tool_name,
        tc.is_error,
        tc.started_at,
        sa.func.row_number().over(**window).label("rn"),
        *[_lag(n).label(f"lag{n}") for n in range(1, MAX_STEPS)],
        sa.func.lead(tc.started_at).over(**window).label("next_at"),
    ).where(tc.method == schema.TOOL_CALL_METHOD, *where)


def session_path(org_id: str, path: Path) -> sa.ColumnElement[bool]:
    """`sessions` rows whose `tools/call`s hold `path` (a correlated EXISTS: the window runs
    over one session's calls at a time, found by the session_id index)."""
    s, tc = schema.sessions, schema.tool_calls
    inner = windowed_calls(tc.c.org_id == org_id, tc.c.session_id == s.c.id)
    # correlate: a FROM subquery is not correlated on its own (it would list every session)
    w = inner.correlate(s).subquery("path_calls")
    n = len(path.steps)
    conds = [w.c.tool_name == path.steps[-1]]
    conds += [w.c[f"lag{k}"] == path.steps[n - 1 - k] for k in range(1, n)]
    if path.start:
        conds.append(w.c.rn == n)
    if path.then == "error":
        conds.append(w.c.is_error.is_(True))
    elif path.then == "ticket":
        conds.append(_ticket_follows(org_id, w))
    holds = sa.exists(sa.select(sa.literal(1)).select_from(w).where(*conds))
    # First the cheap test that the session calls each of the path's tools at all (an
    # index-only probe on PostgreSQL's covering index); the window runs only where it does.
    return sa.and_(*[_calls_tool(org_id, name) for name in dict.fromkeys(path.steps)], holds)


def _calls_tool(org_id: str, name: str) -> sa.ColumnElement[bool]:
    s, tc = schema.sessions, schema.tool_calls.c
    return sa.exists(
        sa.select(sa.literal(1)).where(
            tc.session_id == s.c.id,
            tc.org_id == org_id,
            tc.method == schema.TOOL_CALL_METHOD,
            tc.tool_name == name,
        )
    )


def raised_after(
    call: sa.ColumnCollection, created_at: sa.ColumnElement[Any]
) -> sa.ColumnElement[bool]:
    """A ticket raised at `created_at` follows this windowed call (windowed_calls' columns):
    the call started at or before it and the session's next call, if any, after it. The one
    rule for the Tool paths panels (queries.daily) and this filter."""
    return sa.and_(
        call.started_at <= created_at,
        sa.or_(call.next_at.is_(None), call.next_at > created_at),
    )


def _ticket_follows(org_id: str, w: sa.Subquery) -> sa.ColumnElement[bool]:
    """A ticket of the call's session raised after it and before the session's next call."""
    t = schema.support_tickets.c
    return sa.exists(
        sa.select(sa.literal(1)).where(
            t.org_id == org_id, t.session_id == w.c.session_id, raised_after(w.c, t.created_at)
        )
    )
