"""Resuming a stopped workflow session: the saved state checked, the preview, the resume in
the caller's transaction and in its own, who may resume, the demo data, what the page says."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sessionscope import resume as rs
from sessionscope import schema
from sessionscope.errors import AlreadyResumed, Forbidden, InvalidState, NotFound
from sessionscope.resume import preview, resume, resume_session, validate_state
from tests import factories
from tests.factories import Row, valid_state
from tests.workflow_sessions import (
    ACTOR,
    EARLY_STATE,
    NO_STATE,
    NOW,
    STAGE_ROWS,
    committed_session,
    workflow_session,
)

KNOWN = "(scraping, enrichment, contacts, campaigns, results)"

# Rebuilt from STAGE_ROWS, with the batch size and config of the saved states: the same as
# the valid state, which is what a consistent history gives.
FALLBACK = valid_state()

# --- validate_state (pure) ---------------------------------------------------------------------


def test_valid_state_has_no_problems() -> None:
    assert validate_state(valid_state(), stages=STAGE_ROWS, latest_version=2) == []


def _without(*keys: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda s: {k: v for k, v in s.items() if k not in keys}


def _metric(**m: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda s: s | {"metrics": s["metrics"] | m}


def _drop_metric(key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda s: s | {"metrics": {k: v for k, v in s["metrics"].items() if k != key}}


def _set(**changes: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda s: s | changes


@pytest.mark.parametrize(
    ("change", "problems"),
    [
        (_without("metrics"), ["metrics is missing (it must be an object)"]),
        (
            _without("metrics", "cursor"),
            [
                "metrics is missing (it must be an object)",
                "cursor is missing (it must be an object)",
            ],
        ),
        (_set(version="2"), ['version is the string "2" but must be an integer']),
        (_set(version=True), ["version is the boolean true but must be an integer"]),
        (_set(stage=3), ["stage is the number 3 but must be a string"]),
        (_set(config=None), ["config is null but must be an object"]),
        (
            _set(completed_stages="scraping"),
            ['completed_stages is the string "scraping" but must be an array'],
        ),
        (_metric(jobs="118"), ['metrics.jobs is the string "118" but must be an integer']),
        (_drop_metric("campaigns"), ["metrics.campaigns is missing (it must be an integer)"]),
        (
            _set(stage="qualification"),
            [f'stage is "qualification", which is not a known stage {KNOWN}'],
        ),
        (
            _set(completed_stages=["scraping", "qualification"]),
            [f'completed_stages[1] is "qualification", which is not a known stage {KNOWN}'],
        ),
        (
            _set(completed_stages=["scraping", 2]),
            ["completed_stages[1] is the number 2 but must be a string"],
        ),
        (
            _set(completed_stages=["enrichment", "scraping"]),
            [
                'completed_stages is ["enrichment", "scraping"] but stages complete once each, '
                "in the order scraping, enrichment, contacts, campaigns, results"
            ],
        ),
        (
            _set(completed_stages=["scraping"]),
            [
                'completed_stages is ["scraping"] but the recorded completed stages are '
                '["scraping", "enrichment"]'
            ],
        ),
        (_metric(jobs=120), ["metrics.jobs is 120 but the scraping stage completed 118"]),
        (_metric(companies=49), ["metrics.companies is 49 but the enrichment stage completed 50"]),
        (_metric(contacts=290), ["metrics.contacts is 290 but the contacts stage completed 40"]),
        (_metric(campaigns=1), ["metrics.campaigns is 1 but the campaigns stage completed 0"]),
        (_set(version=1), ["version is 1 but the latest saved state is version 2"]),
        (
            _set(version=3, stage="nowhere"),
            [
                "version is 3 but the latest saved state is version 2",
                f'stage is "nowhere", which is not a known stage {KNOWN}',
            ],
        ),
    ],
)
def test_each_problem_is_one_exact_sentence(change, problems: list[str]) -> None:
    assert validate_state(change(valid_state()), stages=STAGE_ROWS, latest_version=2) == problems


TRUNCATED = '{"version": 2, "stage": "contacts", "completed_stages": ["scr'


@pytest.mark.parametrize(
    ("state", "problem"),
    [
        (TRUNCATED, f"a string of {len(TRUNCATED)} characters"),
        ("oops", 'the string "oops"'),
        (None, "null"),
        ([1, 2], "an array of 2 items"),
    ],
)
def test_a_state_that_is_not_an_object(state: Any, problem: str) -> None:
    got = validate_state(state, stages=STAGE_ROWS, latest_version=2)
    assert got == [f"the saved state is {problem}, not an object"]


def test_metrics_of_stages_without_a_row_are_not_compared() -> None:
    stages = [row for row in STAGE_ROWS if row["stage"] != "campaigns"]
    state = _metric(campaigns=7)(valid_state())
    assert validate_state(state, stages=stages, latest_version=2) == []


# --- database fixtures -------------------------------------------------------------------------


@pytest.fixture()
def acme(conn: sa.Connection) -> Row:
    org = factories.org(conn)
    factories.member(conn, org, email=ACTOR, role="admin")
    return org


def contents(conn: sa.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table a resume may touch, to compare before and after."""
    tables = (schema.sessions, schema.session_states, schema.session_stages, schema.audit_log)
    return {t.name: sorted(map(tuple, conn.execute(sa.select(t))), key=repr) for t in tables}


def states_of(conn: sa.Connection, ses: Row) -> dict[int, Any]:
    st = schema.session_states.c
    rows = conn.execute(sa.select(st.version, st.state).where(st.session_id == ses["id"]))
    return dict(rows.all())


def audit_entries(conn: sa.Connection, ses: Row) -> list[Any]:
    a = schema.audit_log.c
    return conn.execute(sa.select(schema.audit_log).where(a.target_id == ses["id"])).all()


def session_row(conn: sa.Connection, ses: Row) -> Any:
    s = schema.sessions.c
    return conn.execute(sa.select(schema.sessions).where(s.id == ses["id"])).one()


def _resume(conn: sa.Connection, ses: Row, **kw: Any) -> rs.ResumeResult:
    args = {"org_id": ses["org_id"], "session_id": ses["id"], "actor": ACTOR}
    return resume_session(conn, **(args | {"expected_version": 2, "now": NOW} | kw))


def _preview(conn: sa.Connection, ses: Row) -> rs.StatePreview:
    return preview(conn, org_id=ses["org_id"], session_id=ses["id"], now=NOW)


# --- preview -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["paused", "failed"])
def test_preview_of_a_stopped_session(conn: sa.Connection, acme: Row, status: str) -> None:
    ses = workflow_session(conn, acme, status=status, idle=timedelta(minutes=1))
    p = _preview(conn, ses)
    assert (p.session_id, p.status, p.resumable, p.reason) == (ses["id"], status, True, None)
    assert (p.latest_version, p.stage, p.problems) == (2, "contacts", ())
    assert p.completed_stages == ("scraping", "enrichment")
    assert p.metrics == {"jobs": 118, "companies": 50, "contacts": 40, "campaigns": 0}
    assert p.raw_state == valid_state()
    assert p.fallback == FALLBACK


def test_preview_of_an_idle_active_session(conn: sa.Connection, acme: Row) -> None:
    ses = workflow_session(conn, acme, status="active", idle=rs.IDLE_AFTER)
    p = _preview(conn, ses)
    assert (p.resumable, p.reason, p.stage) == (True, None, "contacts")


def test_preview_of_a_busy_active_session(conn: sa.Connection, acme: Row) -> None:
    ses = workflow_session(conn, acme, status="active", idle=timedelta(minutes=3, seconds=30))
    p = _preview(conn, ses)
    assert not p.resumable
    assert p.reason == (
        "the session is still running: its last activity was 3 minutes ago, "
        "and an active session is resumed only after 15 minutes without it"
    )
    assert (p.latest_version, p.problems, p.raw_state) == (2, (), valid_state())


def test_preview_of_a_completed_session(conn: sa.Connection, acme: Row) -> None:
    ses = workflow_session(conn, acme, status="completed")
    p = _preview(conn, ses)
    assert (p.resumable, p.reason) == (False, "completed sessions are not resumed")


def test_preview_of_a_session_without_saved_state(conn: sa.Connection, acme: Row) -> None:
    ses = workflow_session(conn, acme, latest=NO_STATE)
    p = _preview(conn, ses)
    assert (p.resumable, p.reason) == (False, "the session has no saved state to resume from")
    assert (p.latest_version, p.raw_state, p.problems) == (None, None, ())


def test_preview_of_a_corrupted_state_offers_the_fallback(conn: sa.Connection, acme: Row) -> None:
    ses = workflow_session(conn, acme, latest=_metric(contacts=290)(valid_state()))
    p = _preview(conn, ses)
    assert p.problems == ("metrics.contacts is 290 but the contacts stage completed 40",)
    assert (p.resumable, p.reason, p.fallback) == (True, None, FALLBACK)
    assert (p.stage, p.metrics) == ("contacts", FALLBACK["metrics"])  # what a resume restores


def test_fallback_resumes_after_the_last_completed_stage(conn: sa.Connection, acme: Row) -> None:
    stages = [  # campaigns is switched off for this workflow, so results comes next
        *STAGE_ROWS[:2],
        {"stage": "contacts", "status": "completed", "total": 9, "completed": 9, "failed": 0},
        {"stage": "campaigns", "status": "skipped", "total": 0, "completed": 0, "failed": 0},
        STAGE_ROWS[4],
    ]
    ses = workflow_session(conn, acme, latest="{truncated", stages=stages)
    fallback = _preview(conn, ses).fallback
    assert fallback is not None
    assert fallback["stage"] == "results"
    assert fallback["completed_stages"] == ["scraping", "enrichment", "contacts"]
    assert fallback["metrics"] == {"jobs": 118, "companies": 50, "contacts": 9, "campaigns": 0}
    assert fallback["cursor"] == {"stage": "results", "offset": 0, "batch_size": 10}
    assert fallback["config"] == valid_state()["config"]  # from version 1: the latest is unreadable
    assert validate_state(fallback, stages=stages, latest_version=2) == []


def test_preview_without_any_completed_stage(conn: sa.Connection, acme: Row) -> None:
    stages = [STAGE_ROWS[0] | {"status": "failed"}]  # and nothing after it ever started
    ses = workflow_session(conn, acme, latest={"version": 2}, stages=stages)
    p = _preview(conn, ses)
    assert (p.resumable, p.fallback, p.stage, p.metrics) == (False, None, None, {})
    assert p.reason == (
        "the saved state is invalid and no stage has completed, "
        "so there is nothing to rebuild a state from"
    )


def test_preview_of_a_state_that_is_only_text(conn: sa.Connection, acme: Row) -> None:
    # A cut-off write can leave the state as a bare JSON string: refused, never parsed as one.
    ses = workflow_session(conn, acme)
    conn.execute(
        schema.session_states.update()
        .where(schema.session_states.c.session_id == ses["id"])
        .where(schema.session_states.c.version == 2)
        .values(state=TRUNCATED)
    )
    p = _preview(conn, ses)
    assert p.raw_state == TRUNCATED
    assert p.problems == (
        f"the saved state is a string of {len(TRUNCATED)} characters, not an object",
    )
    assert (p.resumable, p.fallback) == (True, FALLBACK)


@pytest.mark.parametrize("case", ["other org", "archived", "missing"])
def test_invisible_sessions_are_not_found(conn: sa.Connection, acme: Row, case: str) -> None:
    other = factories.org(conn)
    factories.member(conn, other, email=ACTOR, role="admin")  # an admin there, asking for ours
    ses = workflow_session(conn, acme, archived_at=NOW if case == "archived" else None)
    org_id = other["id"] if case == "other org" else acme["id"]
    session_id = "ses_nope" if case == "missing" else ses["id"]
    before = contents(conn)
    with pytest.raises(NotFound):
        preview(conn, org_id=org_id, session_id=session_id, now=NOW)
    with pytest.raises(NotFound):
        resume_session(
            conn, org_id=org_id, session_id=session_id, actor=ACTOR, expected_version=2, now=NOW
        )
    assert contents(conn) == before


# --- resume in the caller's transaction --------------------------------------------------------


@pytest.mark.parametrize("status", ["paused", "failed", "active"])
def test_resume_restores_the_state_as_a_new_version(
    conn: sa.Connection, acme: Row, status: str
) -> None:
    ses = workflow_session(conn, acme, status=status)
    earlier = states_of(conn, ses)
    result = _resume(conn, ses)
    assert (result.session_id, result.version, result.stage) == (ses["id"], 3, "contacts")
    assert result.state == valid_state(3)
    assert states_of(conn, ses) == earlier | {3: valid_state(3)}
    row = session_row(conn, ses)
    assert (row.status, row.current_stage, row.state_version) == ("active", "contacts", 3)
    assert (row.workflow_state, row.last_activity_at, row.completed_at) == (result.state, NOW, None)
    [entry] = audit_entries(conn, ses)
    assert (entry.id, entry.org_id, entry.actor_email) == (result.audit_id, acme["id"], ACTOR)
    assert (entry.action, entry.target_type) == ("session.resume", "session")
    assert entry.detail == {
        "from_version": 2,
        "to_version": 3,
        "from_stage": "contacts",
        "to_stage": "contacts",
        "from_status": status,
        "ids": [ses["id"]],
    }


def test_a_corrupted_state_is_refused_and_nothing_written(conn: sa.Connection, acme: Row) -> None:
    ses = workflow_session(conn, acme, latest=_without("metrics", "cursor")(valid_state()))
    before = contents(conn)
    with pytest.raises(InvalidState) as err:
        _resume(conn, ses)
    assert str(err.value) == (
        "metrics is missing (it must be an object); cursor is missing (it must be an object)"
    )
    assert contents(conn) == before


def test_resume_from_the_fallback(conn: sa.Connection, acme: Row) -> None:
    ses = workflow_session(conn, acme, latest=_set(stage="qualification")(valid_state()))
    result = _resume(conn, ses, use_fallback=True)
    assert (result.version, result.stage, result.state) == (
        3,
        "contacts",
        FALLBACK | {"version": 3},
    )
    assert states_of(conn, ses)[3] == result.state
    assert session_row(conn, ses).workflow_state == result.state
    [entry] = audit_entries(conn, ses)
    assert entry.action == "session.resume_fallback"


def test_no_fallback_without_a_completed_stage(conn: sa.Connection, acme: Row) -> None:
    stages = [row | {"status": "pending", "completed": 0} for row in STAGE_ROWS]
    ses = workflow_session(conn, acme, latest="{", stages=stages)
    before = contents(conn)
    with pytest.raises(InvalidState) as err:
        _resume(conn, ses, use_fallback=True)
    assert str(err.value) == (
        "no fallback state: no stage has completed, so there is nothing to rebuild a state from"
    )
    assert contents(conn) == before


@pytest.mark.parametrize(
    ("status", "expected_version", "message"),
    [
        ("paused", 1, "is at version 2, not 1"),
        ("paused", 3, "is at version 2, not 3"),
        ("completed", 2, "cannot be resumed now: completed sessions are not resumed"),
    ],
)
def test_stale_or_not_resumable_is_already_resumed(
    conn: sa.Connection, acme: Row, status: str, expected_version: int, message: str
) -> None:
    ses = workflow_session(conn, acme, status=status)
    before = contents(conn)
    with pytest.raises(AlreadyResumed, match=message):
        _resume(conn, ses, expected_version=expected_version)
    assert contents(conn) == before


def test_a_resumed_session_is_not_resumed_again(conn: sa.Connection, acme: Row) -> None:
    ses = workflow_session(conn, acme)
    _resume(conn, ses)
    with pytest.raises(AlreadyResumed, match="is at version 3, not 2"):
        _resume(conn, ses)
    with pytest.raises(AlreadyResumed, match="the session is still running"):
        _resume(conn, ses, expected_version=3, now=NOW + timedelta(minutes=1))


def test_a_change_between_read_and_write_is_caught(
    conn: sa.Connection, acme: Row, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guarded UPDATE: had the locks let another resume through, it would still lose."""
    ses = workflow_session(conn, acme)
    real = rs.validate_state

    def meanwhile(*args: Any, **kwargs: Any) -> list[str]:
        s = schema.sessions.c
        conn.execute(schema.sessions.update().where(s.id == ses["id"]).values(state_version=3))
        return real(*args, **kwargs)

    monkeypatch.setattr(rs, "validate_state", meanwhile)
    with pytest.raises(AlreadyResumed, match="changed while it was being resumed"):
        _resume(conn, ses)
    assert set(states_of(conn, ses)) == {1, 2}
    assert audit_entries(conn, ses) == []


# --- who may resume ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("members", "actor"),
    [
        ([("analyst@acme.example", "analyst")], "analyst@acme.example"),
        ([], "stranger@elsewhere.example"),  # not a member of the session's organization
    ],
)
def test_only_an_admin_of_the_sessions_organization_may_resume(
    conn: sa.Connection, acme: Row, members: list[tuple[str, str]], actor: str
) -> None:
    for email, role in members:
        factories.member(conn, acme, email=email, role=role)
    ses = workflow_session(conn, acme)
    before = contents(conn)
    with pytest.raises(Forbidden, match="only admins of the organization resume"):
        _resume(conn, ses, actor=actor)
    assert contents(conn) == before  # nothing written, not even an audit entry


def test_an_admin_of_another_organization_may_not_resume(conn: sa.Connection, acme: Row) -> None:
    other = factories.org(conn)
    factories.member(conn, other, email="boss@other.example", role="admin")
    ses = workflow_session(conn, acme)
    with pytest.raises(Forbidden):
        _resume(conn, ses, actor="boss@other.example")


def test_the_admins_email_is_matched_whatever_its_case_and_spaces(
    conn: sa.Connection, acme: Row
) -> None:
    ses = workflow_session(conn, acme)
    result = _resume(conn, ses, actor=f"  {ACTOR.upper()} ")
    assert result.version == 3


def test_resume_in_its_own_transaction_refuses_an_analyst(fresh_engine: Engine) -> None:
    ses = committed_session(fresh_engine, admins=())
    with fresh_engine.begin() as conn:
        org = {"id": ses["org_id"]}
        factories.member(conn, org, email="analyst@acme.example", role="analyst")
    with fresh_engine.connect() as conn:
        before = contents(conn)
    with pytest.raises(Forbidden):
        resume(
            fresh_engine,
            org_id=ses["org_id"],
            session_id=ses["id"],
            actor="analyst@acme.example",
            expected_version=2,
            now=NOW,
        )
    with fresh_engine.connect() as conn:
        assert contents(conn) == before


# --- resume() in its own transaction -----------------------------------------------------------


def resume_committed(engine: Engine, ses: Row) -> rs.ResumeResult:
    """What the page does: resume() in its own transaction, from the version it showed."""
    args = {"org_id": ses["org_id"], "session_id": ses["id"], "actor": ACTOR}
    return resume(engine, **args, expected_version=2, now=NOW)


def test_resume_commits(fresh_engine: Engine) -> None:
    ses = committed_session(fresh_engine)
    result = resume_committed(fresh_engine, ses)
    with fresh_engine.connect() as conn:
        assert set(states_of(conn, ses)) == {1, 2, 3}
        assert session_row(conn, ses).state_version == result.version == 3
        assert len(audit_entries(conn, ses)) == 1


def test_a_failure_part_way_leaves_every_row_as_it_was(
    fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ses = committed_session(fresh_engine)
    with fresh_engine.connect() as conn:
        before = contents(conn)

    def broken_audit(conn: sa.Connection, **kwargs: Any) -> str:
        assert 3 in states_of(conn, ses)  # the new version is written by now
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(rs.audit, "record", broken_audit)
    with pytest.raises(RuntimeError, match="audit log unavailable"):
        resume_committed(fresh_engine, ses)
    with fresh_engine.connect() as conn:
        assert contents(conn) == before


def _race(engine: Engine, ses: Row, attempts: int = 2) -> list[Any]:
    """`attempts` threads resume the same session from the same version at the same moment."""
    barrier, outcomes = threading.Barrier(attempts), []

    def attempt() -> None:
        barrier.wait()
        try:
            outcomes.append(resume_committed(engine, ses))
        except BaseException as exc:  # every outcome is checked by the test
            outcomes.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def test_concurrent_resumes_make_exactly_one_new_version(
    fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = rs.validate_state

    def slow(*args: Any, **kwargs: Any) -> list[str]:
        time.sleep(0.02)  # widen the window between reading the session and writing it
        return real(*args, **kwargs)

    monkeypatch.setattr(rs, "validate_state", slow)
    for _ in range(10):
        ses = committed_session(fresh_engine)
        outcomes = _race(fresh_engine, ses)
        won = [o for o in outcomes if isinstance(o, rs.ResumeResult)]
        lost = [o for o in outcomes if isinstance(o, AlreadyResumed)]
        assert (len(won), len(lost)) == (1, 1), outcomes
        with fresh_engine.connect() as conn:
            assert states_of(conn, ses) == {1: EARLY_STATE, 2: valid_state(), 3: won[0].state}
            assert [e.id for e in audit_entries(conn, ses)] == [won[0].audit_id]
            assert session_row(conn, ses).state_version == 3


# --- the demo data -----------------------------------------------------------------------------


def test_the_seeded_states_validate_as_the_seed_intends(demo_engine: Engine) -> None:
    from sessionscope import seed

    def look(conn: sa.Connection, session_id: str) -> rs.StatePreview:
        return preview(conn, org_id=seed.ACME_ORG_ID, session_id=session_id, now=NOW)

    with demo_engine.connect() as conn:
        for sid in (seed.PAUSED_SESSION_ID, seed.FAILED_SESSION_ID):
            assert (look(conn, sid).resumable, look(conn, sid).problems) == (True, ()), sid
        corrupt = {kind: look(conn, sid) for kind, sid in seed.CORRUPT_SESSION_IDS.items()}
        s = schema.sessions.c
        completed = (
            conn.execute(
                sa.select(s.id).where(
                    s.org_id == seed.ACME_ORG_ID, s.status == "completed", s.state_version > 0
                )
            )
            .scalars()
            .all()
        )
        assert completed
        for sid in completed:  # the seed corrupts only stopped sessions
            assert look(conn, sid).problems == (), sid
    assert corrupt["missing_keys"].problems == (
        "metrics is missing (it must be an object)",
        "cursor is missing (it must be an object)",
    )
    assert corrupt["unknown_stage"].problems == (
        f'stage is "qualification", which is not a known stage {KNOWN}',
    )
    [contradiction] = corrupt["contradicting_metrics"].problems
    assert contradiction.startswith("metrics.contacts is ")
    [truncated] = corrupt["not_an_object"].problems
    assert truncated.startswith("the saved state is a string of ")
    assert all(p.resumable and p.fallback is not None for p in corrupt.values())


# --- what the page says a resume did (components.resume_panel, pure) -------------------------


def test_the_outcome_says_plainly_what_a_resume_did() -> None:
    from components.resume_panel import resumed_text

    done = rs.ResumeResult("ses_1", 3, "contacts", {}, "aud_1")
    handed = resumed_text(done, "https://flows.example/resume")
    assert handed.startswith("**Resumed: saved state version 3** (stage contacts); marked active")
    assert "Continue in the workflow app" in handed and "does not call the app" in handed
    alone = resumed_text(done, None)
    assert alone.endswith("marked active; no workflow app configured (`SESSIONSCOPE_RESUME_URL`).")


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("https://flows.example/resume", "https://flows.example/resume?session=ses_1"),
        ("https://flows.example/r?team=a b", "https://flows.example/r?team=a+b&session=ses_1"),
    ],
)
def test_the_workflow_app_link_adds_the_session_to_its_query(base: str, url: str) -> None:
    from components.resume_panel import continue_url

    assert continue_url(base, "ses_1") == url
