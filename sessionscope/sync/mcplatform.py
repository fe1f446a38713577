"""`sessionscope sync mcplatform`: MCPlatform's organizations, servers, sessions, tool calls
and tickets (with their activity history) upserted into Sessionscope, incrementally, one
transaction per batch.

Every id is derived from the Sessionscope organization and MCPlatform's own key
(short_hash), so a re-run or a resumed run lands on the same rows. A table's watermark
(sync_marks, "<k>|<id>") is written in the transaction of the batch it covers: an
interrupted run resumes after the last committed batch. MCPlatform has no updated_at, so
a second run reads rows added since the last one; a row changed in place (a ticket's
status) is picked up only by a run that reads it again (delete its mark, or --since).
Ticket activities have their own mark, so a later comment on a ticket synced long ago is
still read and merged into that ticket's `attributes.activities`.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sessionscope import audit, rollup
from sessionscope.db import begin_write
from sessionscope.ingest.mapping import short_hash
from sessionscope.ingest.writer import lock_org, renumber_calls, widen_seen
from sessionscope.redaction import Redactor, redact_row, redactor_for
from sessionscope.schema import (
    TICKET_PRIORITIES,
    TICKET_STATUSES,
    TOOL_CALL_METHOD,
    end_users,
    members,
    organizations,
    servers,
    sessions,
    support_tickets,
    tool_calls,
    writable,
)
from sessionscope.sync import SyncError, marks
from sessionscope.sync import mcplatform_source as src

SOURCE = "mcplatform"
BATCH = 1000
ROLES = {"owner": "admin", "admin": "admin", "member": "analyst"}
ACTION = "sync.mcplatform"


@dataclass
class Report:
    """What a run read, wrote and skipped (with why), for the CLI and the audit entry."""

    dry_run: bool = False
    read: Counter = field(default_factory=Counter)
    inserted: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)
    orgs: dict[str, str] = field(default_factory=dict)  # Sessionscope id -> slug

    def merge(self, other: Report) -> None:
        self.read += other.read
        self.inserted += other.inserted
        self.updated += other.updated
        self.skipped += other.skipped
        self.orgs |= other.orgs

    def counts(self) -> dict[str, Any]:
        return {
            "read": dict(self.read),
            "inserted": dict(self.inserted),
            "updated": dict(self.updated),
            "skipped": len(self.skipped),
        }

    def summary(self) -> str:
        def line(label: str, counter: Counter) -> str:
            body = ", ".join(f"{n} {k}" for k, n in sorted(counter.items()) if n) or "nothing"
            return f"{label}: {body}"

        head = "dry run, nothing written" if self.dry_run else "synced"
        lines = [
            f"{head}: {', '.join(sorted(self.orgs.values())) or 'no organization'}",
            line("read", self.read),
            line("inserted", self.inserted),
            line("updated", self.updated),
            f"skipped: {len(self.skipped)}",
            *(f"  {reason}" for reason in self.skipped),
        ]
        return "\n".join(lines)


@dataclass
class _Run:
    """One run's fixed facts and its writing target (one rolled-back transaction if dry)."""

    source: Engine
    target: Engine
    idle: timedelta
    now: datetime
    since_ms: int
    batch: int
    report: Report
    progress: Callable[[str], None]
    dry_conn: sa.Connection | None = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        if self.dry_conn is not None:
            yield self.dry_conn
            return
        with begin_write(self.target) as conn:
            yield conn


def sync(
    target: Engine,
    *,
    source_url: str,
    org_slugs: Iterable[str] = (),
    since: datetime | None = None,
    dry_run: bool = False,
    idle_minutes: int = 30,
    actor: str = "cli",
    batch: int = BATCH,
    progress: Callable[[str], None] = lambda line: None,
    now: datetime | None = None,
) -> Report:
    """Sync the MCPlatform organizations named (all if none) into `target`; see the module."""
    source = src.connect(source_url)
    report = Report(dry_run=dry_run)
    run = _Run(
        source, target, timedelta(minutes=idle_minutes), now or datetime.now(UTC),
        _ms_of(since), batch, report, progress,
    )  # fmt: skip
    try:
        chosen = _chosen(src.organizations(source), list(org_slugs))
        if dry_run:
            with target.connect() as conn, conn.begin() as outer:
                run.dry_conn = conn
                _sync_all(run, chosen, actor)
                outer.rollback()
        else:
            _sync_all(run, chosen, actor)
    finally:
        source.dispose()
    return report


def _ms_of(since: datetime | None) -> int:
    if since is None:
        return 0
    aware = since if since.tzinfo else since.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1000)


def _slug(row: sa.RowMapping) -> str:
    if row["slug"]:
        return str(row["slug"])
    return "-".join("".join(c if c.isalnum() else " " for c in row["name"].lower()).split())


def _chosen(orgs: list[sa.RowMapping], slugs: list[str]) -> list[sa.RowMapping]:
    if not slugs:
        return orgs
    by_slug = {_slug(o): o for o in orgs}
    missing = [s for s in slugs if s not in by_slug]
    if missing:
        known = ", ".join(sorted(by_slug)) or "none"
        raise SyncError(f"MCPlatform has no organization {missing} (it has: {known})")
    return [by_slug[s] for s in dict.fromkeys(slugs)]


def _sync_all(run: _Run, chosen: list[sa.RowMapping], actor: str) -> None:
    total = run.report
    for org in chosen:
        run.report = Report(dry_run=total.dry_run)
        _sync_org(run, org, actor)
        total.merge(run.report)
    run.report = total


def _sync_org(run: _Run, org: sa.RowMapping, actor: str) -> None:
    """One organization: its org row and members, then its tables, then one audit entry."""
    with run.transaction() as conn:
        org_id = _ensure_org(conn, org, run.report)
        _ensure_members(conn, org_id, src.members(run.source, org["id"]), run.report)
    run.report.orgs[org_id] = _slug(org)
    for table in src.TABLES:
        _sync_table(run, org, org_id, table)
    with run.transaction() as conn:
        _sweep(conn, org_id, run)
        audit.record(
            conn, org_id=org_id, actor_email=actor, action=ACTION,
            target_type="organization", target_ids=[org_id],
            detail={"source_org": org["id"], "dry_run": run.report.dry_run,
                    **run.report.counts()},
        )  # fmt: skip


# --- organizations, members, servers, end users ----------------------------------------------


def _ensure_org(conn: sa.Connection, org: sa.RowMapping, report: Report) -> str:
    """The Sessionscope org of an MCPlatform org: ours by id, else the one with its slug."""
    o = organizations.c
    org_id, slug = "org_" + short_hash(SOURCE, org["id"]), _slug(org)
    found = conn.execute(
        sa.select(o.id).where(sa.or_(o.id == org_id, o.slug == slug)).order_by(o.id != org_id)
    ).first()
    if found:
        return found.id
    conn.execute(
        organizations.insert().values(
            id=org_id, slug=slug, name=org["name"] or slug, created_at=datetime.now(UTC)
        )
    )
    report.inserted["organizations"] += 1
    return org_id


def _ensure_members(
    conn: sa.Connection, org_id: str, rows: list[sa.RowMapping], report: Report
) -> None:
    """Add MCPlatform's members; one Sessionscope already has keeps the role it has here."""
    m = members.c
    known = set(conn.execute(sa.select(sa.func.lower(m.email)).where(m.org_id == org_id)).scalars())
    for row in rows:
        email, role = (row["email"] or "").strip().lower(), ROLES.get(row["role"])
        if not email or role is None:
            report.skipped.append(f"member {row['id']}: no email or unknown role {row['role']!r}")
            continue
        if email in known:
            continue
        known.add(email)
        conn.execute(
            members.insert().values(
                id="mem_" + short_hash(org_id, SOURCE, email), org_id=org_id, email=email,
                name=row["name"], role=role, created_at=datetime.now(UTC),
            )
        )  # fmt: skip
        report.inserted["members"] += 1


def _servers(conn: sa.Connection, org_id: str, rows: list[sa.RowMapping], report: Report) -> dict:
    """MCPlatform server slug -> Sessionscope server id (one with that slug is reused)."""
    v = servers.c
    have = dict(conn.execute(sa.select(v.slug, v.id).where(v.org_id == org_id)).all())
    for row in rows:
        if row["slug"] not in have:
            sid = "srv_" + short_hash(org_id, SOURCE, row["id"])
            conn.execute(
                servers.insert().values(
                    id=sid, org_id=org_id, slug=row["slug"], name=row["name"] or row["slug"],
                    kind="mcp",
                )
            )  # fmt: skip
            have[row["slug"]] = sid
            report.inserted["servers"] += 1
    return have


def _end_users(run: _Run, conn: sa.Connection, org_id: str, sessions_rows: list) -> dict:
    """MCPlatform user id (or "anonymous:<server slug>") -> Sessionscope end user id."""
    ids = sorted({r["user_id"] for r in sessions_rows if r["user_id"]})
    wanted: dict[str, dict[str, Any]] = {}
    for uid in ids:  # a user id with no mcp_server_user row: known by that id alone
        wanted[uid] = {"distinct_id": uid, "email": None, "display_name": None,
                       "first_seen_at": None}  # fmt: skip
    for user in src.users(run.source, ids):
        wanted[user["id"]] = {
            "distinct_id": user["distinct_id"] or user["id"],
            "email": (user["email"] or "").strip().lower() or None,
            "display_name": user["name"],
            "first_seen_at": _ms(user["first_seen_at"]),
        }
    for slug in sorted({r["server_slug"] for r in sessions_rows if not r["user_id"]}):
        wanted[f"anonymous:{slug}"] = {
            "distinct_id": f"anonymous:{slug}", "email": None,
            "display_name": f"Anonymous ({slug})", "first_seen_at": None,
        }  # fmt: skip
    return _ensure_end_users(conn, org_id, wanted, run.report)


def _ensure_end_users(
    conn: sa.Connection, org_id: str, wanted: dict[str, dict[str, Any]], report: Report
) -> dict[str, str]:
    u = end_users.c
    distinct = [w["distinct_id"] for w in wanted.values()]
    have = dict(
        conn.execute(
            sa.select(u.distinct_id, u.id).where(u.org_id == org_id, u.distinct_id.in_(distinct))
        ).all()
    )
    for values in wanted.values():
        if values["distinct_id"] not in have:
            uid = "eu_" + short_hash(org_id, SOURCE, values["distinct_id"])
            conn.execute(end_users.insert().values(id=uid, org_id=org_id, **values))
            have[values["distinct_id"]] = uid
            report.inserted["end users"] += 1
    return {key: have[values["distinct_id"]] for key, values in wanted.items()}


# --- the keyset loop ------------------------------------------------------------------------------


def _sync_table(run: _Run, org: sa.RowMapping, org_id: str, table: src.Table) -> None:
    number = 0
    while True:
        with run.transaction() as conn:
            lock_org(conn, org_id)
            mark = marks.get(conn, source=SOURCE, org_id=org_id, key=table.key)
            after = _parse_mark(mark)
            rows = src.page(
                run.source, table, org=org["id"], after=after, since=run.since_ms, n=run.batch
            )
            if not rows:
                return
            number += 1
            run.report.read[table.key] += len(rows)
            WRITERS[table.key](run, conn, org, org_id, rows)
            last = rows[-1]
            marks.put(conn, source=SOURCE, org_id=org_id, key=table.key,
                      watermark=f"{last['k']}|{last['id']}")  # fmt: skip
        run.progress(
            f"mcplatform {_slug(org)} {table.key}: batch {number}, {len(rows)} rows, "
            f"up to {last['id']}"
        )


def _parse_mark(mark: str | None) -> tuple[int, str]:
    if not mark:
        return (-1, "")
    k, _, key = mark.partition("|")
    return (int(k), key)


def _ms(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, tz=UTC)


# --- sessions -----------------------------------------------------------------------------------


def session_id(org_id: str, external_id: str) -> str:
    return "ses_" + short_hash(org_id, SOURCE, external_id)


def _started(row: sa.RowMapping) -> datetime:
    """connection_timestamp (epoch ms), else the connection day at 00:00 UTC (old rows)."""
    if row["connection_timestamp"] is not None:
        return _ms(row["connection_timestamp"])  # type: ignore[return-value]
    return datetime.combine(row["connection_date"], time(0), tzinfo=UTC)


def _write_sessions(
    run: _Run, conn: sa.Connection, org: sa.RowMapping, org_id: str, rows: list
) -> set[str]:
    """Insert the sessions not stored yet; return the ids of all of them."""
    server_ids = _servers(conn, org_id, src.servers(run.source, org["id"]), run.report)
    users = _end_users(run, conn, org_id, rows)
    ids = {session_id(org_id, r["id"]): r for r in rows}
    s = sessions.c
    stored = set(conn.execute(sa.select(s.id).where(s.id.in_(list(ids)))).scalars())
    new = [
        {
            "id": sid, "org_id": org_id, "source": SOURCE, "external_id": row["id"],
            "end_user_id": users[row["user_id"] or f"anonymous:{row['server_slug']}"],
            "server_id": server_ids[row["server_slug"]], "title": row["title"],
            "status": "completed", "started_at": _started(row), "attributes": {
                "mcplatform": {"server_slug": row["server_slug"], "user_id": row["user_id"],
                               "connection_timestamp_unknown": row["connection_timestamp"] is None}
            },
        }
        for sid, row in ids.items()
        if sid not in stored
    ]  # fmt: skip
    if new:
        conn.execute(writable("sessions").insert(), new)
        _refresh(conn, run, org_id, {r["id"] for r in new}, counted=False)
    run.report.inserted["sessions"] += len(new)
    return set(ids)


def _session_ids_for(
    run: _Run, conn: sa.Connection, org: sa.RowMapping, org_id: str, external: set[str]
) -> dict[str, str]:
    """MCPlatform session id -> Sessionscope id, fetching sessions not synced yet."""
    s = sessions.c
    wanted = {session_id(org_id, e): e for e in external}
    have = set(conn.execute(sa.select(s.id).where(s.id.in_(list(wanted)))).scalars())
    missing = [e for sid, e in wanted.items() if sid not in have]
    fetched = src.sessions_by_id(run.source, org["id"], missing)
    if fetched:
        _write_sessions(run, conn, org, org_id, fetched)
        have |= {session_id(org_id, r["id"]) for r in fetched}
    return {e: sid for sid, e in wanted.items() if sid in have}


# --- tool calls and tickets ---------------------------------------------------------------------


def _write_calls(
    run: _Run, conn: sa.Connection, org: sa.RowMapping, org_id: str, rows: list
) -> None:
    """Insert calls (MCPlatform never changes one); renumber and refresh their sessions."""
    known = _session_ids_for(run, conn, org, org_id, {r["session_id"] for r in rows})
    t = tool_calls.c
    ids = {"tc_" + short_hash(org_id, SOURCE, r["id"]): r for r in rows}
    stored = set(conn.execute(sa.select(t.id).where(t.id.in_(list(ids)))).scalars())
    starts = _session_starts(conn, set(known.values()))
    new, touched = [], set()
    redactor = redactor_for(conn, org_id)  # the organization's rules, before anything is stored
    for cid, row in ids.items():
        sid = known.get(row["session_id"])
        if sid is None:
            run.report.skipped.append(
                f"tool call {row['id']}: its session {row['session_id']} is not a session "
                "of this organization's servers in MCPlatform"
            )
            continue
        if cid not in stored:
            call, _ = redact_row(
                redactor, "tool_calls", _call_row(cid, org_id, sid, row, starts[sid])
            )
            new.append(call)
            touched.add(sid)
    if new:
        conn.execute(writable("tool_calls").insert(), new)
    run.report.inserted["tool calls"] += len(new)
    _refresh(conn, run, org_id, touched, renumber=True)


def _session_starts(conn: sa.Connection, ids: set[str]) -> dict[str, datetime]:
    s = sessions.c
    return dict(conn.execute(sa.select(s.id, s.started_at).where(s.id.in_(list(ids)))).all())


def _call_row(cid: str, org_id: str, sid: str, row: sa.RowMapping, start: datetime) -> dict:
    attributes: dict[str, Any] = {"mcplatform_id": row["id"]}
    if row["user_id"]:
        attributes["mcplatform_user_id"] = row["user_id"]
    if row["created_at"] is None:
        attributes["time_unknown"] = True  # placed at its session's start
    return {
        "id": cid, "org_id": org_id, "session_id": sid, "seq": 0,
        "tool_name": row["tool_name"], "input": row["input"],
        "output": row["output"],  # an object or a JSON string: stored as MCPlatform has it
        "started_at": _ms(row["created_at"]) or start,
        "duration_ms": None,  # MCPlatform records no duration: unknown, not 0
        "is_error": False, "error_message": None, "method": TOOL_CALL_METHOD,
        "attributes": attributes,
    }  # fmt: skip


def ticket_id(org_id: str, external_id: str) -> str:
    return "sr_" + short_hash(org_id, SOURCE, external_id)


def _write_tickets(
    run: _Run, conn: sa.Connection, org: sa.RowMapping, org_id: str, rows: list
) -> None:
    """Upsert tickets: new ones inserted, stored ones updated where MCPlatform's differ."""
    linked = {r["session_id"] for r in rows if r["session_id"]}
    known = _session_ids_for(run, conn, org, org_id, linked)
    owners = _session_owners(conn, set(known.values()))
    touched: set[str] = set()
    redactor = redactor_for(conn, org_id)
    for row in rows:
        values = _ticket_values(run, conn, org_id, row, known, owners)
        if values is None:
            continue
        values, _ = redact_row(redactor, "support_tickets", values)
        touched |= _upsert_ticket(conn, values, run.report)
    _refresh(conn, run, org_id, touched)


def _session_owners(conn: sa.Connection, ids: set[str]) -> dict[str, str]:
    s = sessions.c
    return dict(conn.execute(sa.select(s.id, s.end_user_id).where(s.id.in_(list(ids)))).all())


def _ticket_values(
    run: _Run, conn: sa.Connection, org_id: str, row: sa.RowMapping, known: dict, owners: dict
) -> dict[str, Any] | None:
    if row["status"] not in TICKET_STATUSES or row["priority"] not in TICKET_PRIORITIES:
        run.report.skipped.append(
            f"ticket {row['id']}: status {row['status']!r} or priority {row['priority']!r} "
            "is not one Sessionscope knows"
        )
        return None
    sid = known.get(row["session_id"]) if row["session_id"] else None
    if row["session_id"] and sid is None:
        run.report.skipped.append(
            f"ticket {row['id']}: kept without its session {row['session_id']}, which is not "
            "a session of this organization in MCPlatform"
        )  # the ticket itself is kept: a skipped link, not a skipped row
    email = (row["email"] or "").strip().lower() or None
    user = owners[sid] if sid else _user_by_email(conn, run, org_id, email or f"ticket:{row['id']}")
    return {
        "id": ticket_id(org_id, row["id"]), "org_id": org_id,
        "session_id": sid, "end_user_id": user, "email": email,
        "title": row["title"] or "(untitled)", "summary": row["concise_summary"],
        "context": row["context"], "status": row["status"], "priority": row["priority"],
        "created_at": _ms(row["created_at"]) or run.now, "resolved_at": _ms(row["resolved_at"]),
        "attributes": {"mcplatform_id": row["id"]},
    }  # fmt: skip


def _user_by_email(conn: sa.Connection, run: _Run, org_id: str, email: str) -> str:
    """MCPlatform links a ticket without a session to its end user by email."""
    u = end_users.c
    found = conn.execute(
        sa.select(u.id).where(u.org_id == org_id, sa.func.lower(u.email) == email).order_by(u.id)
    ).first()
    if found:
        return found.id
    wanted = {"distinct_id": email, "email": email if "@" in email else None,
              "display_name": None, "first_seen_at": None}  # fmt: skip
    return _ensure_end_users(conn, org_id, {email: wanted}, run.report)[email]


def _upsert_ticket(conn: sa.Connection, values: dict[str, Any], report: Report) -> set[str]:
    """Insert or update; the sessions whose tickets changed (a moved ticket's old one too)."""
    st = support_tickets.c
    current = conn.execute(sa.select(support_tickets).where(st.id == values["id"])).mappings()
    old = current.first()
    if old is None:
        conn.execute(support_tickets.insert().values(**values))
        report.inserted["tickets"] += 1
        return {values["session_id"]} - {None}
    # attributes are set once: their activities are written by _write_activities alone
    changed = {
        k: v for k, v in values.items() if old[k] != v and (k != "attributes" or old[k] is None)
    }
    if changed:
        conn.execute(support_tickets.update().where(st.id == values["id"]).values(**changed))
        report.updated["tickets"] += 1
        return {values["session_id"], old["session_id"]} - {None}
    return set()


def _write_activities(
    run: _Run, conn: sa.Connection, org: sa.RowMapping, org_id: str, rows: list
) -> None:
    """Merge activities into their tickets' attributes.activities, once each, in time order."""
    by_ticket: dict[str, list[sa.RowMapping]] = {}
    for row in rows:
        by_ticket.setdefault(ticket_id(org_id, row["ticket_id"]), []).append(row)
    st = support_tickets.c
    stored = dict(
        conn.execute(sa.select(st.id, st.attributes).where(st.id.in_(list(by_ticket)))).all()
    )
    redactor = redactor_for(conn, org_id)
    for tid, group in by_ticket.items():
        if tid not in stored:
            run.report.skipped += [
                f"ticket activity {r['id']}: its ticket {r['ticket_id']} was not synced"
                for r in group
            ]
            continue
        attributes = {"mcplatform_id": group[0]["ticket_id"], **(stored[tid] or {})}
        # keyed by MCPlatform's id: a page read again (--since, a resumed run) adds nothing
        kept = {a["id"]: a for a in attributes.get("activities", [])}
        new = {r["id"]: _activity(redactor, r) for r in group if r["id"] not in kept}
        if not new:
            continue
        attributes["activities"] = sorted({**kept, **new}.values(), key=_activity_order)
        conn.execute(support_tickets.update().where(st.id == tid).values(attributes=attributes))
        run.report.inserted["ticket activities"] += len(new)


def _activity(redactor: Redactor, row: sa.RowMapping) -> dict[str, Any]:
    """One history entry; `content` is jsonb there: text is masked as text, JSON as payload."""
    content = row["content"]
    content, _ = (redactor.text if isinstance(content, str) else redactor.payload)(content)
    at = _ms(row["created_at"])
    return {
        "id": row["id"],
        # fixed width (ms, as MCPlatform stores it) so the text sorts as the time does
        "at": at.isoformat(timespec="milliseconds") if at else None,
        "type": row["type"],
        "by": row["actor"],
        "content": content,
    }


def _activity_order(activity: dict[str, Any]) -> tuple[str, str]:
    return (activity["at"] or "", activity["id"])  # no time first, as the keyset reads them


WRITERS: dict[str, Callable[..., object]] = {
    src.SESSIONS.key: _write_sessions,
    src.CALLS.key: _write_calls,
    src.TICKETS.key: _write_tickets,
    src.ACTIVITIES.key: _write_activities,
}


# --- session totals, times and status -------------------------------------------------------------


def _refresh(
    conn: sa.Connection,
    run: _Run,
    org_id: str,
    ids: set[str],
    *,
    renumber: bool = False,
    counted: bool = True,
) -> None:
    """Totals, last activity (latest call or ticket) and status of these sessions."""
    if not ids:
        return
    for sid in sorted(ids):
        if renumber:
            renumber_calls(conn, sid)
        _refresh_one(conn, run, sid)
    widen_seen(conn, ids)
    if counted:
        run.report.updated["sessions (totals, activity)"] += len(ids)
    rollup.refresh_sessions(conn, org_id=org_id, session_ids=ids)


def _refresh_one(conn: sa.Connection, run: _Run, sid: str) -> None:
    t, st, s = tool_calls.c, support_tickets.c, sessions.c
    calls, last_call = conn.execute(
        sa.select(sa.func.count(), sa.func.max(t.started_at)).where(t.session_id == sid)
    ).one()
    last_ticket = conn.execute(
        sa.select(sa.func.max(st.created_at)).where(st.session_id == sid)
    ).scalar()
    started = conn.execute(sa.select(s.started_at).where(s.id == sid)).scalar_one()
    last = max(x for x in (started, last_call, last_ticket) if x is not None)
    ongoing = run.now - last < run.idle
    conn.execute(
        sessions.update().where(s.id == sid).values(
            total_tool_calls=calls, last_activity_at=last,
            status="active" if ongoing else "completed", completed_at=None if ongoing else last,
        )
    )  # fmt: skip


def _sweep(conn: sa.Connection, org_id: str, run: _Run) -> None:
    """Synced sessions idle past the window are over: MCPlatform records no end."""
    s = sessions.c
    conn.execute(
        sessions.update()
        .where(s.org_id == org_id, s.source == SOURCE, s.status == "active",
               s.last_activity_at < run.now - run.idle)
        .values(status="completed", completed_at=s.last_activity_at)
    )  # fmt: skip
