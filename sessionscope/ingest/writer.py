"""Write mapped calls into sessions, one transaction per request (the OTLP route, `ingest`).

Per organization, writers take turns (an advisory lock on PostgreSQL, BEGIN IMMEDIATE on
SQLite), so the two sides of one request arriving from two processes at once merge into
one row instead of racing. Every id is derived from the organization and the source's own
keys, so a batch sent twice changes nothing.

Sessions: a key that names a session (`sid:...`) is one session for good; a process key
(`proc:...`) is cut into sessions wherever calls are more than the idle window apart. A
session is `active` while its last call is within the idle window, then `completed`; a
later call reopens and extends it. `seq` follows start time, also for spans that arrive
out of order. Totals count `tools/call` only, as the analytics do. The organization's
redaction rules are applied to the calls first, so nothing they mask is ever stored.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from sessionscope import rollup
from sessionscope.ingest.mapping import Batch, Call, short_hash
from sessionscope.redaction import redactor_for
from sessionscope.schema import (
    TOOL_CALL_METHOD,
    end_users,
    servers,
    sessions,
    tool_calls,
    writable,
)

SOURCE = "otlp"
PLACEHOLDER_SERVER = "MCP server"  # until a span names the server
ANONYMOUS, UNKNOWN_CLIENT = "anonymous:", "unknown client"
_CHUNK = 500


@dataclass
class Written:
    """What one write did, for the receiver's answer and the CLI's summary."""

    calls_inserted: int = 0
    calls_updated: int = 0
    sessions_created: int = 0
    session_ids: set[str] = field(default_factory=set)


@dataclass
class _Session:
    id: str
    external_id: str
    started_at: datetime
    last_activity_at: datetime
    new: bool
    calls: list[Call] = field(default_factory=list)


def _insert(conn: sa.Connection) -> Any:
    return {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[conn.dialect.name]


def _chunks(values: list[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def lock_org(conn: sa.Connection, org_id: str) -> None:
    """Let one ingest transaction of `org_id` write at a time (PostgreSQL; SQLite's
    BEGIN IMMEDIATE already does)."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"ingest:{org_id}"}
        )


def write(
    conn: sa.Connection, *, org_id: str, batch: Batch, idle: timedelta, now: datetime
) -> Written:
    """Upsert the batch's calls and their sessions, users and servers; sweep idle sessions."""
    written = Written()
    if batch.calls:
        lock_org(conn, org_id)
        _redact(conn, org_id, batch.calls)
        existing = _existing_calls(conn, org_id, [c.id for c in batch.calls])
        groups = _sessions_for(conn, org_id, batch.calls, existing, idle)
        _ensure_session_rows(conn, org_id, groups, written)
        before = _session_state(conn, [g.id for g in groups])
        _adopt_owners(conn, org_id, groups, before)
        reordered = _write_calls(conn, org_id, groups, existing, before, written)
        for session_id in reordered:
            renumber_calls(conn, session_id)
        _refresh_sessions(conn, groups, before, reordered, idle, now)
        written.session_ids |= {g.id for g in groups}
        rollup.refresh_sessions(conn, org_id=org_id, session_ids=written.session_ids)
    sweep(conn, org_id=org_id, idle=idle, now=now)
    return written


def _redact(conn: sa.Connection, org_id: str, calls: list[Call]) -> None:
    """Apply the org's redaction rules to the calls before any row is built from them."""
    redactor = redactor_for(conn, org_id)
    if not redactor.active:
        return
    for call in calls:
        call.input, hit_in = redactor.payload(call.input)
        call.output, hit_out = redactor.payload(call.output)
        call.error_message, hit_error = redactor.text(call.error_message)
        call.redacted = call.redacted or hit_in or hit_out or hit_error


def sweep(conn: sa.Connection, *, org_id: str, idle: timedelta, now: datetime) -> int:
    """Mark the org's ingested sessions idle for longer than `idle` as completed."""
    s = sessions.c
    result = conn.execute(
        sessions.update()
        .where(
            s.org_id == org_id,
            s.status == "active",
            s.source == SOURCE,
            s.last_activity_at < now - idle,
        )
        .values(status="completed", completed_at=s.last_activity_at)
    )
    return result.rowcount or 0


# --- which session each call belongs to ---------------------------------------------------


def _existing_calls(conn: sa.Connection, org_id: str, ids: list[str]) -> dict[str, dict]:
    t = tool_calls.c
    cols = (t.id, t.session_id, t.started_at, t.duration_ms, t.input, t.output, t.is_error,
            t.error_message, t.attributes, t.seq, t.tool_name)  # fmt: skip
    found: dict[str, dict] = {}
    for chunk in _chunks(ids):
        query = sa.select(*cols).where(t.org_id == org_id, t.id.in_(chunk))
        found |= {row.id: dict(row._mapping) for row in conn.execute(query)}
    return found


def _sessions_for(
    conn: sa.Connection,
    org_id: str,
    calls: list[Call],
    existing: dict[str, dict],
    idle: timedelta,
) -> list[_Session]:
    """Group the calls into sessions, reusing the stored ones they (or their key) belong to."""
    by_key: dict[str, list[Call]] = defaultdict(list)
    for call in sorted(calls, key=lambda c: (c.started_at, c.id)):
        by_key[call.session_key].append(call)
    groups: dict[str, _Session] = {}
    stored_by_key = _stored_sessions(conn, org_id, list(by_key))
    for key, key_calls in by_key.items():
        known = Counter(existing[c.id]["session_id"] for c in key_calls if c.id in existing)
        stored = stored_by_key.get(key, [])
        if known:  # a side of these requests is stored already: stay in its session
            target = known.most_common(1)[0][0]
            stored = [s for s in stored if s.id == target] or [_by_id(conn, target)]
            spans = [(stored[0], key_calls)]
        elif key.startswith("sid:"):
            spans = [(stored[0] if stored else None, key_calls)]
        else:
            spans = _split_by_idle(stored, key_calls, idle)
        for session, its_calls in spans:
            session = session or _new_session(org_id, key, its_calls[0])
            group = groups.setdefault(session.id, session)
            group.calls.extend(its_calls)
    return list(groups.values())


def _stored_sessions(conn: sa.Connection, org_id: str, keys: list[str]) -> dict[str, list]:
    """Per key, its ingested sessions by start: `key` itself for a named session, or
    `key@<start ms>` for a process key. One query per 100 keys."""
    s = sessions.c
    found: dict[str, list[_Session]] = defaultdict(list)
    for chunk in _chunks(keys, 100):
        named = [k for k in chunk if k.startswith("sid:")]
        # Ranges, not LIKE: a key is the sender's text and may hold % or _.
        ranges = [sa.and_(s.external_id >= k + "@", s.external_id < k + "A")
                  for k in chunk if not k.startswith("sid:")]  # fmt: skip
        query = (
            sa.select(s.id, s.external_id, s.started_at, s.last_activity_at)
            .where(
                s.org_id == org_id, s.source == SOURCE, sa.or_(s.external_id.in_(named), *ranges)
            )
            .order_by(s.started_at)
        )
        for r in conn.execute(query):
            key = (
                r.external_id
                if r.external_id.startswith("sid:")
                else r.external_id.rpartition("@")[0]
            )
            found[key].append(
                _Session(
                    r.id, r.external_id, r.started_at, r.last_activity_at or r.started_at, False
                )
            )
    return found


def _by_id(conn: sa.Connection, session_id: str) -> _Session:
    s = sessions.c
    r = conn.execute(
        sa.select(s.id, s.external_id, s.started_at, s.last_activity_at).where(s.id == session_id)
    ).one()
    return _Session(
        r.id, r.external_id or "", r.started_at, r.last_activity_at or r.started_at, False
    )


def _split_by_idle(
    stored: list[_Session], calls: list[Call], idle: timedelta
) -> list[tuple[_Session | None, list[Call]]]:
    """Calls (sorted by start) into stored sessions whose window holds them, or new runs."""
    out: list[tuple[_Session | None, list[Call]]] = []
    run: list[Call] = []
    for call in calls:
        home = next(
            (
                s
                for s in stored
                if s.started_at - idle <= call.started_at <= s.last_activity_at + idle
            ),
            None,
        )
        if home is not None:
            home.last_activity_at = max(home.last_activity_at, call.ended_at)
            out.append((home, [call]))
        elif run and call.started_at - max(c.ended_at for c in run) <= idle:
            run.append(call)
        else:
            if run:
                out.append((None, run))
            run = [call]
    if run:
        out.append((None, run))
    return out


def _new_session(org_id: str, key: str, first: Call) -> _Session:
    external_id = (
        key if key.startswith("sid:") else f"{key}@{int(first.started_at.timestamp() * 1000)}"
    )
    return _Session(
        id="ses_" + short_hash(org_id, SOURCE, external_id),
        external_id=external_id,
        started_at=first.started_at,
        last_activity_at=first.ended_at,
        new=True,
    )


# --- rows ---------------------------------------------------------------------------------


def _slug(name: str) -> str:
    return (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "mcp-server")[:64]


def _first(calls: list[Call], name: str) -> Any:
    return next((getattr(c, name) for c in calls if getattr(c, name)), None)


def _ensure_session_rows(
    conn: sa.Connection, org_id: str, groups: list[_Session], written: Written
) -> None:
    """Insert the new sessions with their server and end user (created when missing)."""
    new = [g for g in groups if g.new]
    if not new:
        return
    server_ids = _ensure_servers(
        conn, org_id, {g.id: _first(g.calls, "server_name") or PLACEHOLDER_SERVER for g in new}
    )
    user_ids = _ensure_end_users(conn, org_id, {g.id: _identity(g.calls) for g in new})
    rows = [
        {
            "id": g.id,
            "org_id": org_id,
            "end_user_id": user_ids[g.id],
            "server_id": server_ids[g.id],
            "status": "active",
            "started_at": g.started_at,
            "last_activity_at": g.last_activity_at,
            "client_name": _first(g.calls, "client_name"),
            "client_version": _first(g.calls, "client_version"),
            "source": SOURCE,
            "external_id": g.external_id,
        }
        for g in new
    ]
    result = conn.execute(_insert(conn)(sessions).on_conflict_do_nothing(), rows)
    written.sessions_created += max(result.rowcount or 0, 0)


def _ensure_servers(conn: sa.Connection, org_id: str, names: dict[str, str]) -> dict[str, str]:
    """session id -> server id, creating an `mcp` server per new name (by slug)."""
    slugs = {_slug(n): n for n in names.values()}
    s = servers.c
    found = dict(
        conn.execute(
            sa.select(s.slug, s.id).where(s.org_id == org_id, s.slug.in_(list(slugs)))
        ).all()
    )
    missing = [
        {
            "id": "srv_" + short_hash(org_id, slug),
            "org_id": org_id,
            "slug": slug,
            "name": name,
            "kind": "mcp",
        }
        for slug, name in slugs.items()
        if slug not in found
    ]
    if missing:
        conn.execute(_insert(conn)(servers).on_conflict_do_nothing(), missing)
        found |= dict(
            conn.execute(
                sa.select(s.slug, s.id).where(s.org_id == org_id, s.slug.in_(list(slugs)))
            ).all()
        )
    return {sid: found[_slug(name)] for sid, name in names.items()}


def _identity(calls: list[Call]) -> tuple[str, str]:
    """(distinct_id, display name): the user the spans name, else one anonymous user per
    client program."""
    user = _first(calls, "end_user")
    if user:
        return str(user)[:255], str(user)
    client = _first(calls, "client_name") or UNKNOWN_CLIENT
    return f"{ANONYMOUS}{client}"[:255], f"Anonymous ({client})"


def _ensure_end_users(
    conn: sa.Connection, org_id: str, identities: dict[str, tuple[str, str]]
) -> dict[str, str]:
    """session id -> end user id, creating users by (org, distinct id) when missing."""
    wanted = {d: name for d, name in identities.values()}
    u = end_users.c
    select = sa.select(u.distinct_id, u.id).where(
        u.org_id == org_id, u.distinct_id.in_(list(wanted))
    )
    found = dict(conn.execute(select).all())
    missing = [
        {
            "id": "usr_" + short_hash(org_id, d),
            "org_id": org_id,
            "distinct_id": d,
            "email": d if "@" in d and not d.startswith(ANONYMOUS) else None,
            "display_name": name,
        }
        for d, name in wanted.items()
        if d not in found
    ]
    if missing:
        conn.execute(_insert(conn)(end_users).on_conflict_do_nothing(), missing)
        found = dict(conn.execute(select).all())
    return {sid: found[d] for sid, (d, _) in identities.items()}


def _call_row(org_id: str, session_id: str, call: Call, seq: int) -> dict[str, Any]:
    return {
        "id": call.id,
        "org_id": org_id,
        "session_id": session_id,
        "seq": seq,
        "method": call.method[:64],
        "tool_name": call.tool_name[:255],
        "input": call.input,
        "output": call.output,
        "started_at": call.started_at,
        "duration_ms": call.duration_ms,
        "is_error": call.is_error,
        "error_message": call.error_message,
        "attributes": call.attributes(),
    }


def _merged(old: dict[str, Any], call: Call) -> dict[str, Any]:
    """The stored row with what this side adds: the server's timing, missing payloads,
    the error if either side saw one, and the union of span ids and sides."""
    attrs = dict(old["attributes"] or {})
    new_attrs = call.attributes()
    server_now = "server" in call.sides and "server" not in attrs.get("sides", [])
    for key in ("span_ids", "sides", "families"):
        new_attrs[key] = sorted(set(attrs.get(key, [])) | set(new_attrs[key]))
    merged = {
        "input": old["input"] if old["input"] is not None else call.input,
        "output": old["output"] if old["output"] is not None else call.output,
        "is_error": bool(old["is_error"]) or call.is_error,
        "error_message": old["error_message"] or call.error_message,
        "attributes": {**new_attrs, **{k: v for k, v in attrs.items() if k not in new_attrs}},
        "tool_name": call.tool_name if old["tool_name"] == call.method else old["tool_name"],
        "started_at": call.started_at if server_now else old["started_at"],
        "duration_ms": call.duration_ms if server_now else old["duration_ms"],
    }
    return {k: v for k, v in merged.items() if v != old[k]}


def _session_state(conn: sa.Connection, ids: list[str]) -> dict[str, Any]:
    """Per session, before this batch: its last seq and start, and the row's own fields."""
    t, s = tool_calls.c, sessions.c
    calls = {
        r.session_id: r
        for r in conn.execute(
            sa.select(t.session_id, sa.func.max(t.seq).label("seq"),
                      sa.func.max(t.started_at).label("start"))
            .where(t.session_id.in_(ids)).group_by(t.session_id)
        )
    }  # fmt: skip
    v, u = servers.c, end_users.c
    rows = conn.execute(
        sa.select(s.id, s.last_activity_at, s.title, s.attributes, s.client_name,
                  s.total_tool_calls, s.end_user_id, v.slug.label("server_slug"),
                  u.distinct_id.label("user_distinct_id"))
        .join_from(sessions, servers, v.id == s.server_id)
        .join_from(sessions, end_users, u.id == s.end_user_id)
        .where(s.id.in_(ids))
    )  # fmt: skip
    return {r.id: (calls.get(r.id), r) for r in rows}


def _adopt_owners(
    conn: sa.Connection, org_id: str, groups: list[_Session], before: dict[str, Any]
) -> None:
    """A session first seen through spans that named no server or user (the client's batch
    came first) takes the ones a later batch names."""
    servers_wanted, users_wanted = {}, {}
    for g in groups:
        current = before[g.id][1]
        server = _first(g.calls, "server_name")
        if current.server_slug == _slug(PLACEHOLDER_SERVER) and server:
            servers_wanted[g.id] = server
        identity = _identity(g.calls)
        if _rank(identity[0]) > _rank(current.user_distinct_id):
            users_wanted[g.id] = identity
    table = sessions.c
    for sid, server_id in _ensure_servers(conn, org_id, servers_wanted).items():
        conn.execute(sessions.update().where(table.id == sid).values(server_id=server_id))
    for sid, user_id in _ensure_end_users(conn, org_id, users_wanted).items():
        conn.execute(sessions.update().where(table.id == sid).values(end_user_id=user_id))


def _rank(distinct_id: str) -> int:
    """How much an end user says: a named one, an anonymous one of a known client, neither."""
    if not distinct_id.startswith(ANONYMOUS):
        return 2
    return 0 if distinct_id == f"{ANONYMOUS}{UNKNOWN_CLIENT}" else 1


def _write_calls(
    conn: sa.Connection,
    org_id: str,
    groups: list[_Session],
    existing: dict[str, dict],
    before: dict[str, Any],
    written: Written,
) -> set[str]:
    """Insert the new calls (seq after the session's last), merge the known ones; return the
    sessions whose order must be renumbered (a call earlier than one already stored)."""
    rows, reorder = [], set()
    for group in groups:
        last = before[group.id][0]
        last_seq, last_start = (last.seq, last.start) if last else (0, None)
        fresh = [c for c in group.calls if c.id not in existing]
        rows += [_call_row(org_id, group.id, c, last_seq + i + 1) for i, c in enumerate(fresh)]
        if fresh and last_start is not None and min(c.started_at for c in fresh) < last_start:
            reorder.add(group.id)
    if rows:
        # writable(): a call without a result stores SQL NULL, not the JSON text 'null'.
        conn.execute(_insert(conn)(writable("tool_calls")).on_conflict_do_nothing(), rows)
        written.calls_inserted += len(rows)
    table = writable("tool_calls")
    for group in groups:
        for call in (c for c in group.calls if c.id in existing):
            changes = _merged(existing[call.id], call)
            if changes:
                conn.execute(table.update().where(table.c.id == call.id).values(**changes))
                written.calls_updated += 1
                if "started_at" in changes:
                    reorder.add(group.id)
    return reorder


def renumber_calls(conn: sa.Connection, session_id: str) -> None:
    """seq = rank by (started_at, id), for the rows whose seq is off (the sync uses it too)."""
    t = tool_calls.c
    rows = conn.execute(
        sa.select(t.id, t.seq).where(t.session_id == session_id).order_by(t.started_at, t.id)
    ).all()
    changes = [{"b_id": r.id, "b_seq": i} for i, r in enumerate(rows, 1) if r.seq != i]
    if changes:
        update = tool_calls.update().where(t.id == sa.bindparam("b_id"))
        conn.execute(update.values(seq=sa.bindparam("b_seq")), changes)


def _refresh_sessions(
    conn: sa.Connection,
    groups: list[_Session],
    before: dict[str, Any],
    reordered: set[str],
    idle: timedelta,
    now: datetime,
) -> None:
    """Totals, times, status, title and client of each session from its stored calls."""
    t = tool_calls.c
    is_tool = t.method == TOOL_CALL_METHOD
    ids = [g.id for g in groups]
    totals = {
        r.session_id: r
        for r in conn.execute(
            sa.select(t.session_id, sa.func.count().filter(is_tool).label("calls"),
                      sa.func.count().filter(sa.and_(is_tool, t.is_error)).label("errors"),
                      sa.func.min(t.started_at).label("start"))
            .where(t.session_id.in_(ids)).group_by(t.session_id)
        )
    }  # fmt: skip
    table = writable("sessions")
    for group in groups:
        current = before[group.id][1]
        values = _session_values(current, group, totals[group.id], idle, now)
        # The title names the first calls: redo it only while they may still change.
        automatic = current.title is None or (current.attributes or {}).get("title_from_calls")
        if automatic and (current.total_tool_calls < 3 or group.id in reordered):
            values["title"] = _title(conn, group.id)
            values["attributes"]["title_from_calls"] = True
        conn.execute(table.update().where(table.c.id == group.id).values(**values))
    widen_seen(conn, [g.id for g in groups])


def widen_seen(conn: sa.Connection, session_ids: Iterable[str]) -> None:
    """Widen the first/last seen of these sessions' end users to all their sessions' span
    (one statement; the sync from MCPlatform uses it too)."""
    u, s = end_users.c, sessions.c
    owners = sa.select(s.end_user_id).where(s.id.in_(list(session_ids)))
    first = sa.select(sa.func.min(s.started_at)).where(s.end_user_id == u.id).scalar_subquery()
    last = (
        sa.select(sa.func.max(sa.func.coalesce(s.last_activity_at, s.started_at)))
        .where(s.end_user_id == u.id)
        .scalar_subquery()
    )
    earlier = sa.case((u.first_seen_at.is_(None), first), (first < u.first_seen_at, first),
                      else_=u.first_seen_at)  # fmt: skip
    conn.execute(
        end_users.update().where(u.id.in_(owners)).values(first_seen_at=earlier, last_seen_at=last)
    )


def _session_values(
    current: Any, group: _Session, totals: Any, idle: timedelta, now: datetime
) -> dict[str, Any]:
    last = max([current.last_activity_at or group.last_activity_at,
                *(c.ended_at for c in group.calls)])  # fmt: skip
    ongoing = now - last < idle
    values: dict[str, Any] = {
        "total_tool_calls": totals.calls,
        "total_errors": totals.errors,
        "started_at": totals.start,
        "last_activity_at": last,
        "status": "active" if ongoing else "completed",
        "completed_at": None if ongoing else last,
        "attributes": _session_attributes(dict(current.attributes or {}), group.calls),
    }
    if current.client_name is None:
        values["client_name"] = _first(group.calls, "client_name")
        values["client_version"] = _first(group.calls, "client_version")
    return values


def _session_attributes(attrs: dict[str, Any], calls: list[Call]) -> dict[str, Any]:
    out = dict(attrs)
    for name in ("protocol_version", "transport", "server_name"):
        value = _first(calls, name)
        if value and name not in out:
            out[name] = value
    out["families"] = sorted(set(out.get("families", [])) | {f for c in calls for f in c.families})
    process = _first(calls, "server_instance") or _first(calls, "any_instance")
    out.setdefault("process", process)
    return out


def _title(conn: sa.Connection, session_id: str) -> str | None:
    """`search_docs "refund policy" → get_page → fail`: the first tools, the first argument."""
    t = tool_calls.c
    first = conn.execute(
        sa.select(t.tool_name, t.input)
        .where(t.session_id == session_id, t.method == TOOL_CALL_METHOD)
        .order_by(t.seq)
        .limit(3)
    ).all()
    if not first:
        return None
    head = first[0].tool_name
    argument = _first_text(first[0].input)
    if argument:
        head += f" “{argument}”"
    return " → ".join([head, *(r.tool_name for r in first[1:])])


def _first_text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = next((v for v in value.values() if isinstance(v, str) and v.strip()), None)
    if isinstance(value, str) and value.strip():
        text = " ".join(value.split())
        return text if len(text) <= 40 else text[:39] + "…"
    return None
