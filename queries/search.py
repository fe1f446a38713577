"""Payload search: the sessions and items whose tool payloads, errors or ticket text hold a phrase.

Semantics (queries.textmatch, shared with the timeline's "contains" filter): a
case-insensitive, literal substring of the stored text, the query taken as one phrase
(spaces included), in any language; a JSON payload is matched as its JSON text with
non-ASCII characters as themselves. Wildcards (% _), regex characters and backslashes match
themselves; a NUL or a query over MAX_QUERY_CHARS is refused with a message (BadQuery).

Speed (migration 0009): on PostgreSQL with pg_trgm, GIN trigram indexes on exactly the
expressions compared here; without it, a scan. On SQLite an FTS5 trigram index narrows the
candidates first when it can answer (3 characters or more, no JSON punctuation); the
comparison above still decides, so both paths return the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa

from queries.page import frame, iso, row_compare, to_datetime
from queries.sessions import visible
from queries.textmatch import json_contains, text_contains
from sessionscope.schema import end_users, sessions, support_tickets, tool_calls
from sessionscope.schema import servers as servers_table

MAX_QUERY_CHARS = 200
MIN_INDEXED_CHARS = 3  # the trigram tokenizer finds nothing shorter
# A substring holding one of these may span JSON syntax, which the SQLite index does not hold
# (migration 0012 leaves them out of the indexed JSON text: such a query must never use it).
_JSON_PUNCTUATION = frozenset('"\\:,{}[]')
SNIPPET_CONTEXT = 60  # characters shown on each side of a match
CALL_FIELDS = ("input", "output", "error_message")
TICKET_FIELDS = ("title", "summary", "context")


class BadQuery(ValueError):
    """A search the app refuses; str() is the message to show."""


def clean_query(q: str | None) -> str:
    """The phrase to search for ('' when there is none), or BadQuery."""
    text = (q or "").strip()
    if "\x00" in text:
        raise BadQuery("The search cannot contain a NUL character.")
    if len(text) > MAX_QUERY_CHARS:
        raise BadQuery(
            f"The search is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS}."
        )
    return text


def index_kind(conn: sa.Connection) -> str:
    """Which index serves search here: 'fts5', 'pg_trgm' or 'scan'."""
    if conn.dialect.name == "sqlite":
        return "fts5"
    stmt = sa.text("SELECT 1 FROM pg_indexes WHERE indexname = 'ix_tool_calls_input_trgm'")
    return "pg_trgm" if conn.execute(stmt).first() else "scan"


def _fts_usable(conn: sa.Connection, q: str) -> bool:
    if conn.dialect.name != "sqlite" or len(q) < MIN_INDEXED_CHARS:
        return False
    return not _JSON_PUNCTUATION.intersection(q)


# migration 0009's SQLite index (not part of the data contract, so not in the schema).
_DOCS = sa.table(
    "search_docs", *(sa.column(n) for n in ("docid", "kind", "item_id", "org_id", "session_id"))
)
_FTS = sa.table("search_fts", sa.column("rowid"), sa.column("search_fts"))
# migration 0012: documents queued for the index (written in batches); candidates of any search.
_PENDING = sa.table("search_docs_pending", sa.column("docid"))


def _fts_ids(kind: str, org_id: str, q: str, col: str = "item_id") -> sa.Select[Any]:
    """Ids (item_id or session_id) of the org's documents the trigram index finds."""
    phrase = '"' + q.replace('"', '""') + '"'  # one FTS5 string: the whole query, literally
    found = sa.union_all(
        sa.select(_FTS.c.rowid).where(_FTS.c.search_fts.op("MATCH")(phrase)),
        sa.select(_PENDING.c.docid),
    )
    d = _DOCS.c
    return sa.select(d[col]).where(d.kind == kind, d.org_id == org_id, d.docid.in_(found))


def _call_text(q: str) -> sa.ColumnElement[bool]:
    c = tool_calls.c
    return sa.or_(
        json_contains(c.input, q), json_contains(c.output, q), text_contains(c.error_message, q)
    )


def _ticket_text(q: str) -> sa.ColumnElement[bool]:
    t = support_tickets.c
    return sa.or_(*(text_contains(t[f], q) for f in TICKET_FIELDS))


def payload_matches(conn: sa.Connection, *, org_id: str, session_id: str, q: str) -> list[str]:
    """Ids of the session's tool calls and tickets that hold q, in timeline order (calls
    before tickets at the same instant). [] for an empty q or a session not visible to the
    org; BadQuery for a refused q."""
    q = clean_query(q)
    if not q:
        return []
    c, t = tool_calls.c, support_tickets.c
    # The session's own rows, read through its timeline index: no FTS detour for one session.
    calls = sa.select(
        c.id, c.started_at.label("at"), sa.literal(0).label("rank"), c.seq.label("seq")
    ).where(
        c.session_id == session_id, c.org_id == org_id, _call_text(q), visible(org_id, session_id)
    )
    tickets = sa.select(
        t.id, t.created_at.label("at"), sa.literal(1).label("rank"), sa.literal(0).label("seq")
    ).where(
        t.session_id == session_id, t.org_id == org_id, _ticket_text(q), visible(org_id, session_id)
    )
    merged = sa.union_all(calls, tickets).subquery()
    stmt = sa.select(merged.c.id).order_by(merged.c.at, merged.c.rank, merged.c.seq, merged.c.id)
    return list(conn.execute(stmt).scalars())


def servers(conn: sa.Connection, *, org_id: str) -> pd.DataFrame:
    """The org's servers (id, slug, name, kind) by name, for the server filter."""
    v = servers_table.c
    stmt = sa.select(v.id, v.slug, v.name, v.kind).where(v.org_id == org_id)
    return frame(conn.execute(stmt.order_by(v.name, v.id)))


@dataclass(frozen=True)
class SearchFilter:
    """Which sessions a search covers; hashable so it can key st.cache_data."""

    end_user_id: str | None = None
    server_id: str | None = None
    statuses: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None  # inclusive: the whole day (UTC)


@dataclass(frozen=True)
class Hit:
    """One matching item: where the phrase is and the text around its first occurrence."""

    id: str
    kind: str  # "call" or "ticket"
    seq: int | None
    label: str  # the tool name, or the ticket title
    field: str  # input, output, error_message, title, summary or context
    snippet: str
    start: int  # the match within snippet: snippet[start:end]
    end: int
    offset: int  # the match within the whole field text (-1: not located, see _locate)


@dataclass(frozen=True)
class SessionHits:
    """A matching session and its first matching items (more: there are others)."""

    id: str
    title: str | None
    status: str
    started_at: datetime
    end_user_id: str
    user_distinct_id: str
    user_email: str | None
    server_name: str
    hits: tuple[Hit, ...]
    more: bool


@dataclass(frozen=True)
class SearchPage:
    sessions: tuple[SessionHits, ...]
    next_cursor: tuple | None  # (ISO started_at, id) of the last session, when there are more
    index: str = field(default="")


def _session_conds(org_id: str, flt: SearchFilter) -> list[sa.ColumnElement[bool]]:
    s = sessions.c
    conds = [s.org_id == org_id, s.archived_at.is_(None)]
    if flt.end_user_id:
        conds.append(s.end_user_id == flt.end_user_id)
    if flt.server_id:
        conds.append(s.server_id == flt.server_id)
    if flt.statuses:
        conds.append(s.status.in_(list(flt.statuses)))
    if flt.date_from is not None:
        conds.append(s.started_at >= datetime.combine(flt.date_from, time.min, UTC))
    if flt.date_to is not None:
        end = datetime.combine(flt.date_to + timedelta(days=1), time.min, UTC)
        conds.append(s.started_at < end)
    return conds


# The newest sessions (of the filter, after the cursor) checked one by one before the index
# is asked: a common phrase fills the page from them at once, where the index would return
# every one of its matches; a rare phrase falls through to the index (pg_trgm, FTS5).
WALK_SESSIONS = 2000


def _holds(conn: sa.Connection, org_id: str, q: str, session_id: Any, *, indexed: bool) -> Any:
    """The session holds a matching call or ticket; `indexed` adds the SQLite index's
    candidates (one set for the statement) instead of checking each session's rows alone."""
    c, t = tool_calls.c, support_tickets.c
    call, ticket = [c.org_id == org_id], [t.org_id == org_id]
    if indexed and _fts_usable(conn, q):  # first: SQLite tests the terms in this order
        call.append(c.id.in_(_fts_ids("call", org_id, q)))
        ticket.append(t.id.in_(_fts_ids("ticket", org_id, q)))
    call, ticket = sa.and_(*call, _call_text(q)), sa.and_(*ticket, _ticket_text(q))
    return sa.or_(
        sa.exists().where(c.session_id == session_id, call),
        sa.exists().where(t.session_id == session_id, ticket),
    )


def _holder_ids(conn: sa.Connection, org_id: str, q: str) -> sa.CompoundSelect:
    """The session ids of the org's matching calls and tickets (repeated; SQLite: through
    its index's candidates)."""
    c, t = tool_calls.c, support_tickets.c
    call, ticket = [c.org_id == org_id], [t.org_id == org_id]
    if _fts_usable(conn, q):
        call.append(c.id.in_(_fts_ids("call", org_id, q)))
        ticket.append(t.id.in_(_fts_ids("ticket", org_id, q)))
    return sa.union_all(
        sa.select(c.session_id).where(*call, _call_text(q)),
        sa.select(t.session_id).where(*ticket, t.session_id.is_not(None), _ticket_text(q)),
    )


def _matching_ids(
    conn: sa.Connection, org_id: str, q: str, flt: SearchFilter, after: tuple | None, n: int
) -> list[str]:
    """Up to n ids of the filter's sessions holding q, newest first, after the cursor."""
    s = sessions.c
    conds = _session_conds(org_id, flt)
    if after is not None:
        conds.append(row_compare((s.started_at, s.id), (to_datetime(after[0]), after[1]), "<"))
    order = (s.started_at.desc(), s.id.desc())
    found, older = _walk(conn, org_id, q, conds, n) if WALK_SESSIONS > 0 else ([], conds)
    if len(found) >= n or older is None:
        return found
    # 2. The older ones through the index: the matching rows' sessions, as a semi-join the
    # planner sizes from the index (an OR of EXISTS would walk every session of the org).
    rest = sa.select(s.id).where(*older, s.id.in_(_holder_ids(conn, org_id, q)))
    return found + list(conn.execute(rest.order_by(*order).limit(n - len(found))).scalars())


def _walk(
    conn: sa.Connection, org_id: str, q: str, conds: list[Any], n: int
) -> tuple[list[str], list[Any] | None]:
    """Up to n matching ids among the newest WALK_SESSIONS sessions, each checked through its
    own rows (a bounded outer side: the planner probes per session rather than hashing every
    match of the org), and the conditions of the sessions older than them (None: no more)."""
    s = sessions.c
    order = (s.started_at.desc(), s.id.desc())
    w = sa.select(s.id, s.started_at).where(*conds).order_by(*order).limit(WALK_SESSIONS)
    w = w.subquery()
    walked = sa.select(w.c.id).where(_holds(conn, org_id, q, w.c.id, indexed=True))
    walked = walked.order_by(w.c.started_at.desc(), w.c.id.desc()).limit(n)
    found = list(conn.execute(walked).scalars())
    last_stmt = sa.select(s.started_at, s.id).where(*conds).order_by(*order)
    last = conn.execute(last_stmt.offset(WALK_SESSIONS - 1).limit(1)).first()
    if last is None:  # the window held every session of the filter
        return found, None
    return found, [*conds, row_compare((s.started_at, s.id), (last.started_at, last.id), "<")]


def sessions_matching(
    conn: sa.Connection,
    *,
    org_id: str,
    q: str,
    flt: SearchFilter = SearchFilter(),
    after: tuple | None = None,
    limit: int = 20,
    hits_per_session: int = 5,
) -> SearchPage:
    """A keyset page of the org's non-archived sessions holding q, newest first, each with
    its first hits_per_session matching items in timeline order. BadQuery for a refused q."""
    q = clean_query(q)
    if not q:
        return SearchPage((), None)
    ids = _matching_ids(conn, org_id, q, flt, after, limit + 1)
    s, u, v = sessions.c, end_users.c, servers_table.c
    stmt = (
        sa.select(
            s.id,
            s.title,
            s.status,
            s.started_at,
            s.end_user_id,
            u.distinct_id.label("user_distinct_id"),
            u.email.label("user_email"),
            v.name.label("server_name"),
        )  # fmt: skip
        .join(end_users, u.id == s.end_user_id)
        .join(servers_table, v.id == s.server_id)
        .where(s.org_id == org_id, s.id.in_(ids[:limit]))
        .order_by(s.started_at.desc(), s.id.desc())
    )
    rows = conn.execute(stmt).mappings().all() if ids else []
    hits = _hits(conn, org_id, q, [r["id"] for r in rows], hits_per_session)
    found = tuple(
        SessionHits(
            **dict(r),
            hits=tuple(hits.get(r["id"], [])[:hits_per_session]),
            more=len(hits.get(r["id"], [])) > hits_per_session,
        )
        for r in rows
    )
    more = len(ids) > limit
    cursor = (iso(rows[-1]["started_at"]), rows[-1]["id"]) if more and rows else None
    return SearchPage(found, cursor, index_kind(conn))


def _hits(
    conn: sa.Connection, org_id: str, q: str, session_ids: list[str], n: int
) -> dict[str, list[Hit]]:
    """Up to n+1 matching calls and n+1 matching tickets of each session (n+1: 'more')."""
    if not session_ids:
        return {}
    c, t = tool_calls.c, support_tickets.c
    arms = []
    for sid in session_ids:  # one limited arm per session: a 20,000-call session reads n+1
        arms.append(
            sa.select(
                sa.literal("call").label("kind"),
                c.id,
                c.session_id,
                c.seq,
                c.tool_name.label("label"),
                c.started_at.label("at"),
                sa.cast(c.input, sa.Text).label("f1"),
                sa.cast(c.output, sa.Text).label("f2"),
                c.error_message.label("f3"),
            )  # fmt: skip
            .where(c.session_id == sid, c.org_id == org_id, _call_text(q))
            .order_by(c.started_at, c.seq, c.id)
            .limit(n + 1)
            .subquery()
        )
        arms.append(
            sa.select(
                sa.literal("ticket").label("kind"),
                t.id,
                t.session_id,
                sa.cast(sa.null(), sa.Integer).label("seq"),
                t.title.label("label"),
                t.created_at.label("at"),
                t.title.label("f1"),
                t.summary.label("f2"),
                t.context.label("f3"),
            )  # fmt: skip
            .where(t.session_id == sid, t.org_id == org_id, _ticket_text(q))
            .order_by(t.created_at, t.id)
            .limit(n + 1)
            .subquery()
        )
    union = sa.union_all(*(sa.select(a) for a in arms)).subquery()
    stmt = sa.select(union).order_by(union.c.session_id, union.c.at, union.c.kind, union.c.id)
    found: dict[str, list[Hit]] = {}
    for row in conn.execute(stmt).mappings():
        found.setdefault(row["session_id"], []).append(_hit(row, q))
    return found


def _hit(row: Any, q: str) -> Hit:
    names = CALL_FIELDS if row["kind"] == "call" else TICKET_FIELDS
    json_fields = {"input", "output"} if row["kind"] == "call" else set()
    texts = [
        (name, _readable(row[f"f{i}"]) if name in json_fields else row[f"f{i}"])
        for i, name in enumerate(names, start=1)
    ]
    for name, text in texts:
        offset = _locate(text or "", q)
        if offset >= 0:
            snippet, start = _snippet(text or "", offset, len(q))
            return Hit(row["id"], row["kind"], row["seq"], row["label"] or "", name, snippet,
                       start, start + len(q), offset)  # fmt: skip
    # Found by the database but not located here (a rare JSON rendering difference): show
    # the first non-empty field from its start, unmarked.
    name, text = next(((n, x) for n, x in texts if x), (names[0], ""))
    return Hit(row["id"], row["kind"], row["seq"], row["label"] or "", name,
               _cut(text, 2 * SNIPPET_CONTEXT), 0, 0, -1)  # fmt: skip


@dataclass(frozen=True)
class Found:
    """Where a phrase first occurs in one field: the text around it, the match at
    snippet[start:end]."""

    field: str
    snippet: str
    start: int
    end: int


def found_in(texts: Mapping[str, str | None], q: str) -> list[Found]:
    """Each of `texts` (field -> its text) that holds q in any case, in their order, with the
    first occurrence in context: what the details pane marks for the timeline's Find."""
    out = []
    for name, text in texts.items():
        offset = _locate(text or "", q) if q else -1
        if offset >= 0:
            snippet, start = _snippet(text or "", offset, len(q))
            out.append(Found(name, snippet, start, start + len(q)))
    return out


def _readable(text: str | None) -> str | None:
    """JSON text with non-ASCII characters as themselves (SQLite stores them \\u-escaped)."""
    if text is None or "\\u" not in text:
        return text
    try:
        return json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return text


def _locate(text: str, q: str) -> int:
    """Where q first occurs in text whatever the case, or -1."""
    low, needle = text.lower(), q.lower()
    at = low.find(needle)
    if at < 0 or len(low) == len(text):
        return at
    # lower() changed the length (e.g. "İ"): compare character by character instead.
    return next((i for i in range(len(text)) if text[i : i + len(q)].lower() == needle), -1)


def _snippet(text: str, offset: int, length: int) -> tuple[str, int]:
    """The text around [offset, offset+length) with ellipses, and the match's start in it."""
    lo = max(0, offset - SNIPPET_CONTEXT)
    hi = min(len(text), offset + length + SNIPPET_CONTEXT)
    prefix = "…" if lo > 0 else ""
    suffix = "…" if hi < len(text) else ""
    return prefix + text[lo:hi] + suffix, len(prefix) + offset - lo


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n] + "…"
