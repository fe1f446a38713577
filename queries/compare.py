"""Two sessions' tool calls aligned as sequences: which calls match, differ, or are in one only.

One statement reads both sessions' calls (each side ordered on its timeline index and capped
at CAP + 1 rows), without their payloads: instead of the JSON it returns, per call, an
equality class of its input and of its result (output and error message), numbered by
dense_rank over the stored JSON text of both sessions' calls together. Two calls have equal
arguments exactly when their input classes are equal. PostgreSQL's jsonb text is canonical
(key order, spacing); SQLite compares the text as its writer stored it.

The alignment is difflib's over the calls' names (a tool call's tool, another request's
method and target), after stripping the common head and tail: SequenceMatcher is quadratic
in the worst case (two 5,000-call sessions over two tools took 2.9 s, 2,000 took 0.5 s),
hence the cap.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from queries.sessions import visible
from sessionscope.schema import TOOL_CALL_METHOD, tool_calls

CAP = 2_000  # calls read and aligned per side
SAME, DIFFERS, OUTCOME, REPLACED, ONLY_A, ONLY_B = (
    "same",
    "differs",
    "outcome",
    "replaced",
    "only_a",
    "only_b",
)
STATUSES = (SAME, DIFFERS, OUTCOME, REPLACED, ONLY_A, ONLY_B)
SIDE_COLUMNS = ("id", "seq", "label", "is_error", "duration_ms", "started_at")
COLUMNS = ("pair", "status", *(f"{s}_{c}" for s in "ab" for c in SIDE_COLUMNS))


@dataclass(frozen=True)
class Call:
    """What the alignment knows of a call: no payload, only the classes of its payloads."""

    id: str
    seq: int
    label: str
    is_error: bool
    duration_ms: int | None
    started_at: datetime
    input_class: int
    result_class: int


# eq=False: a DataFrame field has no plain equality.
@dataclass(frozen=True, eq=False)
class Alignment:
    """One row per aligned pair (COLUMNS; a side's columns are empty where it has no call),
    how many pairs have each status, how many calls each side read, whether a side was
    capped at CAP."""

    rows: pd.DataFrame
    counts: dict[str, int]
    a_read: int
    b_read: int
    a_capped: bool
    b_capped: bool


def label(method: str, tool_name: str) -> str:
    """A tool call's tool; another request's method, with its target when it has one."""
    if method == TOOL_CALL_METHOD:
        return tool_name
    return method if tool_name in ("", method) else f"{method} {tool_name}"


def _side(org_id: str, session_id: str, side: str, protocol: bool, cap: int) -> sa.Select[Any]:
    tc = tool_calls.c
    where = [tc.org_id == org_id, tc.session_id == session_id, visible(org_id, session_id)]
    if not protocol:
        where.append(tc.method == TOOL_CALL_METHOD)
    return (
        sa.select(
            sa.literal_column(f"'{side}'", sa.String).label("side"),  # "a" or "b": ours
            *(tc[n] for n in ("id", "seq", "method", "tool_name", "is_error", "duration_ms")),
            tc.started_at,
            sa.cast(tc.input, sa.Text).label("input_text"),
            sa.cast(tc.output, sa.Text).label("output_text"),
            tc.error_message,
        )
        .where(*where)
        .order_by(tc.started_at, tc.seq, tc.id)
        .limit(cap + 1)
    )


def _read(
    conn: sa.Connection, org_id: str, a_id: str, b_id: str, protocol: bool, cap: int
) -> dict[str, list[Call]]:
    """Both sides' calls in order, with payload classes numbered over both sides together."""
    arms = [
        _side(org_id, sid, side, protocol, cap).subquery()
        for side, sid in (("a", a_id), ("b", b_id))
    ]
    calls = sa.union_all(*(sa.select(arm) for arm in arms)).subquery("calls")
    c = calls.c
    stmt = sa.select(
        c.side,
        *(c[n] for n in ("id", "seq", "method", "tool_name", "is_error", "duration_ms")),
        c.started_at,
        sa.func.dense_rank().over(order_by=c.input_text).label("input_class"),
        sa.func.dense_rank().over(order_by=(c.output_text, c.error_message)).label("result_class"),
    ).order_by(c.side, c.started_at, c.seq, c.id)
    sides: dict[str, list[Call]] = {"a": [], "b": []}
    for r in conn.execute(stmt).mappings():
        sides[r["side"]].append(
            Call(
                r["id"],
                r["seq"],
                label(r["method"], r["tool_name"]),
                bool(r["is_error"]),
                r["duration_ms"],
                r["started_at"],
                r["input_class"],
                r["result_class"],
            )
        )
    return sides


def compare(
    conn: sa.Connection,
    *,
    org_id: str,
    a_session_id: str,
    b_session_id: str,
    protocol: bool = False,
    cap: int = CAP,
) -> Alignment:
    """The two sessions' calls (tools/call only; every request with `protocol`) aligned. A
    session that is not visible to this organization (another's, archived, missing) reads as
    empty: the page checks the sessions first."""
    sides = _read(conn, org_id, a_session_id, b_session_id, protocol, cap)
    a, b = sides["a"], sides["b"]
    pairs = align(a[:cap], b[:cap])
    rows = [_row(n, x, y, status) for n, (x, y, status) in enumerate(pairs, 1)]
    counts = Counter(status for _, _, status in pairs)
    return Alignment(
        rows=pd.DataFrame(rows, columns=list(COLUMNS)),
        counts={s: counts.get(s, 0) for s in STATUSES},
        a_read=min(len(a), cap),
        b_read=min(len(b), cap),
        a_capped=len(a) > cap,
        b_capped=len(b) > cap,
    )


Pair = tuple[Call | None, Call | None, str]


def align(a: list[Call], b: list[Call]) -> list[Pair]:
    """The calls paired in order: equal names pair up (then same, differs or outcome), a
    replaced run pairs position by position (replaced) and the rest is in one side only."""
    head = _common(a, b)
    tail = _common(a[head:][::-1], b[head:][::-1])
    a_mid, b_mid = a[head : len(a) - tail], b[head : len(b) - tail]
    # autojunk off: it would ignore any tool making over 1% of a 200+ call session.
    matcher = difflib.SequenceMatcher(
        None, [c.label for c in a_mid], [c.label for c in b_mid], autojunk=False
    )
    pairs = [_matched(x, y) for x, y in zip(a[:head], b[:head], strict=True)]
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        pairs += _block(op, a_mid[i1:i2], b_mid[j1:j2])
    tail_a, tail_b = a[len(a) - tail :], b[len(b) - tail :]
    pairs += [_matched(x, y) for x, y in zip(tail_a, tail_b, strict=True)]
    return pairs


def _common(a: list[Call], b: list[Call]) -> int:
    """How many leading calls have the same names on both sides."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x.label != y.label:
            break
        n += 1
    return n


def _block(op: str, a: list[Call], b: list[Call]) -> list[Pair]:
    if op == "equal":
        return [_matched(x, y) for x, y in zip(a, b, strict=True)]
    both = min(len(a), len(b))
    pairs: list[Pair] = [(x, y, REPLACED) for x, y in zip(a[:both], b[:both], strict=True)]
    pairs += [(x, None, ONLY_A) for x in a[both:]]
    pairs += [(None, y, ONLY_B) for y in b[both:]]
    return pairs


def _matched(x: Call, y: Call) -> Pair:
    """Two calls of the same name: a different outcome first, then any payload difference."""
    if x.is_error != y.is_error:
        return (x, y, OUTCOME)
    same = x.input_class == y.input_class and x.result_class == y.result_class
    return (x, y, SAME if same else DIFFERS)


def _row(n: int, x: Call | None, y: Call | None, status: str) -> dict[str, Any]:
    row: dict[str, Any] = {"pair": n, "status": status}
    for side, call in (("a", x), ("b", y)):
        for col in SIDE_COLUMNS:
            row[f"{side}_{col}"] = getattr(call, col) if call is not None else None
    return row
