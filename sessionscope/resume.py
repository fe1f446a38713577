"""Resume a stopped workflow session from its latest saved state, or from one rebuilt from stages.

preview() tells the Session details page whether and how a session would resume;
resume_session() resumes it inside the caller's transaction; resume() is what the page calls.
A resume never overwrites history: it adds a session_states version and one audit entry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from sessionscope import audit, rollup
from sessionscope.db import begin_write
from sessionscope.errors import AlreadyResumed, Forbidden, InvalidState, NotFound
from sessionscope.schema import (
    METRIC_OF_STAGE,
    STAGES,
    members,
    session_stages,
    session_states,
    sessions,
)

# An active session silent for this long is taken to be stuck, so it may be resumed.
IDLE_AFTER = timedelta(minutes=15)
RESUMABLE_STATUSES = ("paused", "failed", "active")  # active only once idle for IDLE_AFTER
DEFAULT_BATCH_SIZE = 25  # the runner's batch size, for a rebuilt cursor when no state names one
ACTION_RESUME = "session.resume"
ACTION_RESUME_FALLBACK = "session.resume_fallback"

# The keys every saved state has, with the JSON type each must be.
_KEY_TYPES: dict[str, tuple[type, str]] = {
    "version": (int, "an integer"),
    "stage": (str, "a string"),
    "completed_stages": (list, "an array"),
    "metrics": (dict, "an object"),
    "cursor": (dict, "an object"),
    "config": (dict, "an object"),
}
_KNOWN_STAGES = ", ".join(STAGES)
_KNOWN = f" ({_KNOWN_STAGES})"

Json = dict[str, Any]


@dataclass(frozen=True)
class StatePreview:
    """What resuming the session would do, or why it cannot be resumed.

    `resumable` is True when some resume would succeed now: the session is paused, failed or
    idle, has a saved state, and that state is valid or a fallback exists (when `problems` is
    not empty, only `use_fallback=True` works). `stage`, `completed_stages` and `metrics` are
    those of the state a resume would restore: the saved state when valid, else the fallback.
    """

    session_id: str
    status: str
    resumable: bool
    reason: str | None
    latest_version: int | None
    stage: str | None
    completed_stages: tuple[str, ...]
    metrics: dict[str, Any]
    problems: tuple[str, ...]
    raw_state: Any
    fallback: Json | None


@dataclass(frozen=True)
class ResumeResult:
    session_id: str
    version: int
    stage: str
    state: Json
    audit_id: str


@dataclass(frozen=True)
class _Loaded:
    session: Mapping[str, Any]
    stages: list[Json]
    states: list[tuple[int, Any]]  # (version, state), newest first


# --- validation (pure) ------------------------------------------------------------------------


def validate_state(
    state: Any, *, stages: Sequence[Mapping[str, Any]], latest_version: int
) -> list[str]:
    """Every reason `state` cannot be resumed from, one exact sentence each; empty when valid.

    `stages` are the session's session_stages rows (at least stage, status and completed);
    `latest_version` is the newest session_states version.
    """
    if not isinstance(state, dict):
        return [f"the saved state is {_describe(state)}, not an object"]
    problems = _key_problems(state)
    recorded = {row["stage"]: row for row in stages}
    version = state.get("version")
    if _has(state, "version") and version != latest_version:
        problems.append(
            f"version is {version} but the latest saved state is version {latest_version}"
        )
    if _has(state, "stage") and state["stage"] not in STAGES:
        problems.append(f"stage is {_json(state['stage'])}, which is not a known stage{_KNOWN}")
    if _has(state, "completed_stages"):
        problems += _completed_problems(state["completed_stages"], recorded)
    if _has(state, "metrics"):
        problems += _metric_problems(state["metrics"], recorded)
    return problems


def _key_problems(state: Json) -> list[str]:
    problems = []
    for key, (_, expected) in _KEY_TYPES.items():
        if key not in state:
            problems.append(f"{key} is missing (it must be {expected})")
        elif not _has(state, key):
            problems.append(f"{key} is {_describe(state[key])} but must be {expected}")
    return problems


def _completed_problems(listed: list[Any], recorded: Mapping[str, Mapping[str, Any]]) -> list[str]:
    problems = []
    for i, item in enumerate(listed):
        if not isinstance(item, str):
            problems.append(f"completed_stages[{i}] is {_describe(item)} but must be a string")
        elif item not in STAGES:
            problems.append(
                f"completed_stages[{i}] is {_json(item)}, which is not a known stage{_KNOWN}"
            )
    if problems:
        return problems
    if listed != sorted(set(listed), key=STAGES.index):
        return [
            f"completed_stages is {_json(listed)} but stages complete once each, "
            f"in the order {_KNOWN_STAGES}"
        ]
    done = [s for s in STAGES if s in recorded and recorded[s]["status"] == "completed"]
    if listed != done:
        recorded_done = f"the recorded completed stages are {_json(done)}"
        return [f"completed_stages is {_json(listed)} but {recorded_done}"]
    return []


def _metric_problems(metrics: Json, recorded: Mapping[str, Mapping[str, Any]]) -> list[str]:
    problems = []
    for stage, key in METRIC_OF_STAGE.items():
        if key not in metrics:
            problems.append(f"metrics.{key} is missing (it must be an integer)")
        elif not _is_int(metrics[key]):
            problems.append(f"metrics.{key} is {_describe(metrics[key])} but must be an integer")
        elif stage in recorded and metrics[key] != recorded[stage]["completed"]:
            done = recorded[stage]["completed"]
            problems.append(
                f"metrics.{key} is {metrics[key]} but the {stage} stage completed {done}"
            )
    return problems


def _has(state: Json, key: str) -> bool:
    """The key is there with the right JSON type."""
    kind = _KEY_TYPES[key][0]
    value = state.get(key)
    return _is_int(value) if kind is int else isinstance(value, kind)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # JSON true is not a number


def _describe(value: Any) -> str:
    """A value as a reader of the JSON would name it: `the string "3"`, `an array of 2 items`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {_json(value)}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        if len(value) > 40:  # usually a state cut off mid-write: its length says more
            return f"a string of {len(value)} characters"
        return f"the string {_json(value)}"
    if isinstance(value, list):
        return f"an array of {len(value)} item{'' if len(value) == 1 else 's'}"
    return "an object" if isinstance(value, dict) else f"a {type(value).__name__}"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- the fallback: a state rebuilt from session_stages ---------------------------------------


def _fallback(stages: Sequence[Mapping[str, Any]], states: list[tuple[int, Any]]) -> Json | None:
    """Resume at the stage after the last completed one, with metrics from the stage counts."""
    status = {row["stage"]: row["status"] for row in stages}
    completed = {row["stage"]: row["completed"] for row in stages}
    done = [s for s in STAGES if status.get(s) == "completed"]
    stage = _next_stage(done, status)
    if stage is None:
        return None
    batch_size = _newest(states, "cursor").get("batch_size")
    return {
        "version": states[0][0] if states else 0,
        "stage": stage,
        "completed_stages": done,
        "metrics": {key: completed.get(s, 0) for s, key in METRIC_OF_STAGE.items()},
        # Pick the stage up where its recorded progress stops, as the runner itself would.
        "cursor": {
            "stage": stage,
            "offset": completed.get(stage, 0),
            "batch_size": batch_size if _is_int(batch_size) else DEFAULT_BATCH_SIZE,
        },
        # What to run (workflow, query, limits) is not in the stages; keep the last one saved.
        "config": _newest(states, "config"),
    }


def _next_stage(done: list[str], status: Mapping[str, str]) -> str | None:
    if not done:
        return None
    after = STAGES[STAGES.index(done[-1]) + 1 :]
    return next((s for s in after if status.get(s) != "skipped"), None)


def _no_fallback_reason(stages: Sequence[Mapping[str, Any]]) -> str:
    if any(row["status"] == "completed" for row in stages):
        return "no stage is left to run after the last completed one"
    return "no stage has completed, so there is nothing to rebuild a state from"


def _newest(states: list[tuple[int, Any]], key: str) -> Json:
    """The newest saved value of an object key, so a corrupted latest state loses nothing."""
    for _, state in states:
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            return dict(state[key])
    return {}


# --- reading -----------------------------------------------------------------------------------


def _load(conn: sa.Connection, *, org_id: str, session_id: str, lock: bool) -> _Loaded:
    s = sessions.c
    stmt = sa.select(
        s.id, s.org_id, s.status, s.current_stage, s.started_at, s.last_activity_at, s.state_version
    ).where(s.id == session_id, s.org_id == org_id, s.archived_at.is_(None))
    if lock:
        # PostgreSQL: a concurrent resume of this session waits here until we commit, then
        # reads what we wrote. SQLite renders no FOR UPDATE: begin_write() holds its write lock.
        stmt = stmt.with_for_update()
    session = conn.execute(stmt).mappings().first()
    if session is None:
        raise NotFound(f"session {session_id!r} was not found")
    return _Loaded(session, _stage_rows(conn, session_id), _state_rows(conn, session_id))


def _stage_rows(conn: sa.Connection, session_id: str) -> list[Json]:
    st = session_stages.c
    stmt = sa.select(st.stage, st.status, st.total, st.completed, st.failed).where(
        st.session_id == session_id
    )
    return [dict(row) for row in conn.execute(stmt).mappings()]


def _state_rows(conn: sa.Connection, session_id: str) -> list[tuple[int, Any]]:
    st = session_states.c
    # Read as text and parse here: an outside tool may have stored text that is not JSON on
    # SQLite, and that must show up as a problem, not crash the page.
    stmt = (
        sa.select(st.version, sa.cast(st.state, sa.Text))
        .where(st.session_id == session_id)
        .order_by(st.version.desc())
    )
    return [(version, _parse(text)) for version, text in conn.execute(stmt)]


def _parse(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text  # as stored; validation says it is not an object


# --- preview -----------------------------------------------------------------------------------


def preview(
    conn: sa.Connection, *, org_id: str, session_id: str, now: datetime | None = None
) -> StatePreview:
    """Whether the session can be resumed, from which state, and every problem with it.

    Read-only. Raises NotFound for a session that is missing, archived or another org's.
    """
    loaded = _load(conn, org_id=org_id, session_id=session_id, lock=False)
    return _assess(loaded, _utc(now))


def _assess(loaded: _Loaded, now: datetime) -> StatePreview:
    latest_version, raw = loaded.states[0] if loaded.states else (None, None)
    problems: tuple[str, ...] = ()
    if latest_version is not None:
        problems = tuple(validate_state(raw, stages=loaded.stages, latest_version=latest_version))
    fallback = _fallback(loaded.stages, loaded.states)
    reason = _ineligible(loaded.session, latest_version, now)
    if reason is None and problems and fallback is None:
        reason = f"the saved state is invalid and {_no_fallback_reason(loaded.stages)}"
    source = raw if latest_version is not None and not problems else fallback
    return StatePreview(
        session_id=loaded.session["id"],
        status=loaded.session["status"],
        resumable=reason is None,
        reason=reason,
        latest_version=latest_version,
        stage=source["stage"] if source else None,
        completed_stages=tuple(source["completed_stages"]) if source else (),
        metrics=dict(source["metrics"]) if source else {},
        problems=problems,
        raw_state=raw,
        fallback=fallback,
    )


def _ineligible(
    session: Mapping[str, Any], latest_version: int | None, now: datetime
) -> str | None:
    """Why the session itself (whatever its state) is not one to resume, or None."""
    status = session["status"]
    if status not in RESUMABLE_STATUSES:
        return f"{status} sessions are not resumed"
    if status == "active":
        idle = now - (session["last_activity_at"] or session["started_at"])
        if idle < IDLE_AFTER:
            return (
                f"the session is still running: its last activity was {_minutes(idle)} ago, "
                f"and an active session is resumed only after {_minutes(IDLE_AFTER)} without it"
            )
    if latest_version is None:
        return "the session has no saved state to resume from"
    return None


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


# --- resuming ----------------------------------------------------------------------------------


def resume_session(
    conn: sa.Connection,
    *,
    org_id: str,
    session_id: str,
    actor: str,
    expected_version: int,
    use_fallback: bool = False,
    now: datetime | None = None,
) -> ResumeResult:
    """Resume the session from its latest saved state (or the fallback) in the caller's transaction.

    Checks everything before writing: Forbidden (`actor`, an email, is not an admin of org_id
    now: read from `members` here, whatever the page believed), NotFound (missing, archived,
    other org), AlreadyResumed (`expected_version` is not the latest any more, or the session
    is no longer resumable), InvalidState (the state has problems, or use_fallback without a
    fallback). Then writes
    version expected_version + 1, makes the session active at the state's stage, and appends
    one audit entry. On SQLite the transaction must hold the write lock from its start
    (db.begin_write(), as resume() does), or a concurrent writer makes SQLite refuse the write.
    """
    now = _utc(now)
    _require_admin(conn, org_id=org_id, actor=actor)
    loaded = _load(conn, org_id=org_id, session_id=session_id, lock=True)
    view = _assess(loaded, now)
    _require_current(loaded, view, expected_version, now)
    state = _state_to_restore(view, loaded.stages, use_fallback)
    new_version = expected_version + 1
    restored = {**state, "version": new_version}
    _write(conn, loaded.session, restored, now)
    rollup.refresh_sessions(conn, org_id=org_id, session_ids=[session_id])
    audit_id = audit.record(
        conn,
        org_id=org_id,
        actor_email=actor,
        action=ACTION_RESUME_FALLBACK if use_fallback else ACTION_RESUME,
        target_type="session",
        target_ids=[session_id],
        detail={
            "from_version": expected_version,
            "to_version": new_version,
            "from_stage": loaded.session["current_stage"],
            "to_stage": restored["stage"],
            "from_status": loaded.session["status"],
        },
    )
    return ResumeResult(session_id, new_version, restored["stage"], restored, audit_id)


def resume(
    engine: Engine,
    *,
    org_id: str,
    session_id: str,
    actor: str,
    expected_version: int,
    use_fallback: bool = False,
    now: datetime | None = None,
) -> ResumeResult:
    """resume_session() in its own transaction: all of it is committed, or none of it."""
    with begin_write(engine) as conn:
        return resume_session(
            conn,
            org_id=org_id,
            session_id=session_id,
            actor=actor,
            expected_version=expected_version,
            use_fallback=use_fallback,
            now=now,
        )


def _require_admin(conn: sa.Connection, *, org_id: str, actor: str) -> None:
    """Forbidden unless `actor` is an admin of the organization now.

    Resume is a write: only admins resume (analysts see the saved state). The role is read in
    the resuming transaction, so a member demoted after the page showed the button is refused;
    FOR SHARE (PostgreSQL) keeps a demotion from committing until this resume has.
    """
    m = members.c
    stmt = (
        sa.select(m.role)
        .where(m.org_id == org_id, sa.func.lower(sa.func.trim(m.email)) == actor.strip().lower())
        .with_for_update(read=True)
    )
    roles = set(conn.execute(stmt).scalars())
    if roles != {"admin"}:  # a case-variant duplicate row with another role is not an admin
        role = "not a member" if not roles else "an analyst"
        raise Forbidden(
            f"only admins of the organization resume a session: {actor.strip()} is {role} there"
        )


def _require_current(
    loaded: _Loaded, view: StatePreview, expected_version: int, now: datetime
) -> None:
    """AlreadyResumed unless the viewer acted on what is still the latest, resumable state."""
    sid, latest = view.session_id, view.latest_version
    if latest is not None and latest != expected_version:
        raise AlreadyResumed(
            f"session {sid} is at version {latest}, not {expected_version}: it changed since "
            "it was shown (someone may have resumed it first); reload it"
        )
    reason = _ineligible(loaded.session, latest, now)
    if reason is not None:
        raise AlreadyResumed(f"session {sid} cannot be resumed now: {reason}")


def _state_to_restore(
    view: StatePreview, stages: Sequence[Mapping[str, Any]], use_fallback: bool
) -> Json:
    if use_fallback:
        if view.fallback is None:
            raise InvalidState(f"no fallback state: {_no_fallback_reason(stages)}")
        return view.fallback
    if view.problems:
        raise InvalidState("; ".join(view.problems))
    return view.raw_state


def _write(conn: sa.Connection, session: Mapping[str, Any], state: Json, now: datetime) -> None:
    """Make the session active with `state`, as a new version; AlreadyResumed if beaten to it."""
    s = sessions.c
    updated = conn.execute(
        sessions.update()
        .where(
            s.id == session["id"],
            s.org_id == session["org_id"],
            s.archived_at.is_(None),
            # The optimistic guard: if anything resumed or stopped the session since we read
            # it, no row matches. It compares with what was read rather than the expected
            # version so a session whose state_version lags its history can still resume.
            s.state_version == session["state_version"],
            s.status == session["status"],
        )
        .values(
            status="active",
            current_stage=state["stage"],
            workflow_state=state,
            state_version=state["version"],
            last_activity_at=now,
            completed_at=None,  # an active session has not ended
        )
    )
    if updated.rowcount != 1:
        raise AlreadyResumed(
            f"session {session['id']} changed while it was being resumed; reload it"
        )
    try:
        conn.execute(
            session_states.insert().values(
                session_id=session["id"], version=state["version"], state=state, created_at=now
            )
        )
    except IntegrityError:
        # (session_id, version) is the primary key: that version was saved by someone else.
        raise AlreadyResumed(
            f"session {session['id']} already has a version {state['version']}; reload it"
        ) from None
