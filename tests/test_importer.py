"""`sessionscope import`: the example file, idempotency, dry run, each kind of bad line, the
organization boundary, members, caps, the audit entry, CLI."""

from __future__ import annotations

import hashlib
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from sessionscope import importer, schema
from sessionscope.cli import main
from sessionscope.importer import ImportRejected, ImportReport
from tests.importing import (
    CALL_A,
    GOOD,
    MEMBER_A,
    ORG_A,
    ORG_B,
    OTHER_ORG,
    PARENTS,
    SERVER_A,
    SESSION_A,
    STATE_A,
    USER_A,
    Line,
    import_lines,
    import_path,
    of_b,
    write_lines,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "sample.jsonl"
SAMPLE_COUNTS = {
    "organizations": 1,
    "members": 1,
    "end_users": 2,
    "servers": 2,
    "sessions": 2,
    "tool_calls": 3,
    "support_tickets": 1,
    "session_stages": 3,
    "session_states": 2,
}
EMPTY = dict.fromkeys(SAMPLE_COUNTS, 0)
SAMPLE_ORG = json.loads(SAMPLE.read_text(encoding="utf-8").splitlines()[0])

BAD_AT = len(GOOD) + 1  # the line number of a bad line after GOOD


def import_sample(engine: sa.Engine, **kw: Any) -> ImportReport:
    return import_path(engine, SAMPLE, **{"org_id": "org_acme", "allow_members": True} | kw)


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        tables = schema.metadata.tables
        return {t: conn.scalar(sa.select(sa.func.count()).select_from(tables[t])) for t in EMPTY}


def fetch(engine: sa.Engine, query: sa.Select[Any]) -> tuple[Any, ...]:
    with engine.connect() as conn:
        return tuple(conn.execute(query).one())


def test_sample_imports(fresh_engine: sa.Engine) -> None:
    report = import_sample(fresh_engine)
    assert counts(fresh_engine) == SAMPLE_COUNTS
    assert sum(report.inserted.values()) == report.records == 17


def test_the_documented_example_lines_import(fresh_engine: sa.Engine, tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "import-format.md").read_text(encoding="utf-8")
    block = doc.split("```jsonl\n", 1)[1].split("```", 1)[0]
    report = import_lines(
        fresh_engine, tmp_path, block.strip(), org_id="org_acme", allow_members=True
    )
    assert sorted(report.inserted) == sorted(importer.TYPES)


def test_json_round_trips_and_null_is_sql_null(fresh_engine: sa.Engine) -> None:
    import_sample(fresh_engine)
    tc = schema.tool_calls
    query = sa.select(tc.c.input["filters"]["lang"], tc.c.output.is_(None)).where(tc.c.seq < 3)
    with fresh_engine.connect() as conn:
        rows = conn.execute(query.order_by(tc.c.seq)).all()
    assert [tuple(r) for r in rows] == [(["en", "de"], False), (None, True)]


def test_reimport_changes_nothing(fresh_engine: sa.Engine) -> None:
    import_sample(fresh_engine)
    again = import_sample(fresh_engine)
    assert counts(fresh_engine) == SAMPLE_COUNTS
    assert sum(again.unchanged.values()) == 17 and not +again.inserted and not +again.updated


def test_changed_line_updates_in_place(fresh_engine: sa.Engine, tmp_path: Path) -> None:
    import_lines(fresh_engine, tmp_path, *GOOD)
    changed = {**SESSION_A, "status": "completed", "total_tool_calls": 4}
    report = import_lines(fresh_engine, tmp_path, *GOOD[:-1], changed)
    assert (report.updated["session"], report.unchanged["organization"]) == (1, 1)
    s = schema.sessions
    assert fetch(fresh_engine, sa.select(s.c.status, s.c.total_tool_calls)) == ("completed", 4)
    assert counts(fresh_engine)["sessions"] == 1


def test_session_without_totals_keeps_the_default(fresh_engine: sa.Engine, tmp_path: Path) -> None:
    report = import_lines(fresh_engine, tmp_path, *GOOD)
    s = schema.sessions
    assert fetch(fresh_engine, sa.select(s.c.total_tool_calls, s.c.total_errors)) == (0, 0)
    assert report.sessions_without_totals == 1 and "note:" in report.summary()


def test_dry_run_writes_nothing(fresh_engine: sa.Engine) -> None:
    report = import_sample(fresh_engine, dry_run=True)
    assert counts(fresh_engine) == EMPTY
    assert report.inserted["tool_call"] == 3
    assert report.summary().endswith("dry run: nothing written")


BAD_LINES: dict[str, tuple[Line, str]] = {
    "invalid_json": ('{"type": "session",', "(line)"),
    "not_an_object": ('["session"]', "(line)"),
    "unknown_type": ({"type": "galaxy", "id": "gal_1"}, "type"),
    "missing_required": ({k: v for k, v in CALL_A.items() if k != "seq"}, "seq"),
    "unknown_field": ({**CALL_A, "colour": "red"}, "colour"),
    "wrong_type": ({**CALL_A, "seq": "1"}, "seq"),
    "null_required": ({**CALL_A, "tool_name": None}, "tool_name"),
    "bad_enum": ({**SESSION_A, "status": "done"}, "status"),
    "naive_timestamp": ({**CALL_A, "started_at": "2026-11-01T12:00:00"}, "started_at"),
    "bad_id_prefix": ({**CALL_A, "id": "call_1"}, "id"),
    "dangling_reference": ({**CALL_A, "session_id": "ses_missing"}, "session_id"),
    "cross_org_reference": ({**SESSION_A, "id": "ses_x", "end_user_id": "usr_b"}, "end_user_id"),
    "id_moves_org": ({**SERVER_A, "id": "srv_b", "slug": "s2"}, "org_id"),
    "duplicate_unique_key": ({**USER_A, "id": "usr_x"}, "distinct_id"),
    # The organization boundary: an import is organization A's (--org a).
    "another_organization": (ORG_B | {"name": "Renamed"}, "id"),
    "another_organizations_row": (of_b(CALL_A) | {"id": "tc_x"}, "org_id"),
    "stage_of_another_orgs_session": (
        {"type": "stage", "session_id": "ses_b", "stage": "scraping", "status": "running"},
        "session_id",
    ),
    "state_of_another_orgs_session": (STATE_A | {"session_id": "ses_b"}, "session_id"),
    "member_without_the_flag": (MEMBER_A, "type"),
    "member_email_case_variant": (MEMBER_A | {"id": "mem_x", "email": " ANN@a.example"}, "email"),
}


@pytest.mark.parametrize(("bad", "field"), BAD_LINES.values(), ids=BAD_LINES.keys())
def test_bad_line_is_named_and_nothing_is_written(
    fresh_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: Line, field: str
) -> None:
    import_lines(fresh_engine, tmp_path, *OTHER_ORG, org_id="org_b")
    import_lines(fresh_engine, tmp_path, ORG_A, MEMBER_A, allow_members=True)
    before = counts(fresh_engine)
    monkeypatch.setattr(importer, "BATCH_ROWS", 1)  # the good lines are written before the bad
    with pytest.raises(ImportRejected) as rejected:
        import_lines(fresh_engine, tmp_path, *GOOD, bad, allow_members=field == "email")
    assert [(e.line, e.field) for e in rejected.value.errors][:1] == [(BAD_AT, field)]
    assert f"line {BAD_AT}: field '{field}'" in str(rejected.value)
    assert counts(fresh_engine) == before


def test_errors_are_collected_up_to_the_limit(fresh_engine: sa.Engine, tmp_path: Path) -> None:
    with pytest.raises(ImportRejected) as rejected:
        import_lines(fresh_engine, tmp_path, *["nope"] * (importer.MAX_ERRORS + 5))
    assert [e.line for e in rejected.value.errors] == list(range(1, importer.MAX_ERRORS + 1))
    assert rejected.value.truncated


def test_cli_exit_codes(
    fresh_engine: sa.Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", fresh_engine.url.render_as_string(hide_password=False))
    with pytest.raises(SystemExit):  # --org is required
        main(["import", str(SAMPLE)])
    assert main(["import", str(SAMPLE), "--org", "acme", "--allow-members"]) == 2
    assert "no organization with slug 'acme'" in capsys.readouterr().err
    import_lines(fresh_engine, tmp_path, SAMPLE_ORG, org_id="org_acme")
    assert main(["import", str(write_lines(tmp_path, SAMPLE_ORG, "[]")), "--org", "acme"]) == 2
    assert "line 2: field '(line)'" in capsys.readouterr().err
    assert main(["import", str(SAMPLE), "--org", "acme"]) == 2
    err = capsys.readouterr().err
    assert "line 2: field 'type'" in err and "--allow-members" in err
    assert main(["import", str(SAMPLE), "--org", "acme", "--allow-members"]) == 0
    assert counts(fresh_engine) == SAMPLE_COUNTS


def test_contract_v2_fields_are_imported_and_external_ids_are_unique_per_source(
    fresh_engine: sa.Engine, tmp_path: Path
) -> None:
    session = SESSION_A | {"source": "mcplatform", "external_id": "mcp-1", "attributes": {"t": 1}}
    call = CALL_A | {"method": "resources/read", "attributes": {"trace_id": "ab" * 16}}
    import_lines(fresh_engine, tmp_path, *PARENTS, session, call)
    with fresh_engine.connect() as conn:
        row = conn.execute(sa.text("SELECT source, external_id FROM sessions")).one()
        method = conn.execute(sa.text("SELECT method FROM tool_calls")).scalar_one()
    assert tuple(row) == ("mcplatform", "mcp-1") and method == "resources/read"
    twin = session | {"id": "ses_b"}
    with pytest.raises(ImportRejected, match="external_id"):
        import_lines(fresh_engine, tmp_path, *PARENTS, twin)
    # A line that leaves the v2 fields out keeps the defaults: an import, a tools/call.
    import_lines(
        fresh_engine,
        tmp_path,
        *PARENTS,
        SESSION_A | {"id": "ses_c"},
        CALL_A | {"id": "tc_c", "session_id": "ses_c"},
    )
    with fresh_engine.connect() as conn:
        assert conn.execute(
            sa.text(
                "SELECT s.source, t.method FROM sessions s JOIN tool_calls t "
                "ON t.session_id = s.id WHERE s.id = 'ses_c'"
            )
        ).one() == ("import", "tools/call")


# --- the organization boundary (issue 15, finding 5) ------------------------------------------


def test_a_file_for_one_org_cannot_add_a_saved_state_to_anothers_session(
    fresh_engine: sa.Engine, tmp_path: Path
) -> None:
    """The reproduction: a "globex" file rewrote Acme's latest saved state with a state line,
    adding a webhook that a later Resume would restore."""
    import_lines(fresh_engine, tmp_path, *GOOD, STATE_A)
    import_lines(fresh_engine, tmp_path, *OTHER_ORG, org_id="org_b")
    hostile = STATE_A | {"version": 2, "state": {"config": {"webhook": "https://evil.example"}}}
    with pytest.raises(ImportRejected) as rejected:
        import_lines(fresh_engine, tmp_path, ORG_B, hostile, org_id="org_b")
    assert str(rejected.value.errors[0]) == (
        "line 2: field 'session_id': ses_a belongs to organization org_a (the database), "
        "not to org_b"
    )
    st = schema.session_states.c
    assert fetch(fresh_engine, sa.select(sa.func.max(st.version))) == (1,)


def test_members_need_the_flag_and_are_stored_lower_cased(
    fresh_engine: sa.Engine, tmp_path: Path
) -> None:
    with pytest.raises(ImportRejected, match="pass --allow-members"):
        import_lines(fresh_engine, tmp_path, ORG_A, MEMBER_A)
    assert counts(fresh_engine) == EMPTY
    shouted = MEMBER_A | {"email": "  Ann@A.Example "}
    import_lines(fresh_engine, tmp_path, ORG_A, shouted, allow_members=True)
    assert fetch(fresh_engine, sa.select(schema.members.c.email)) == ("ann@a.example",)
    # The same member again, in another case: unchanged, not a second member.
    again = import_lines(fresh_engine, tmp_path, ORG_A, MEMBER_A, allow_members=True)
    assert again.unchanged["member"] == 1 and counts(fresh_engine)["members"] == 1


def test_case_variants_of_one_email_in_a_file_are_one_member(
    fresh_engine: sa.Engine, tmp_path: Path
) -> None:
    twin = MEMBER_A | {"id": "mem_x", "email": "ANN@a.example", "role": "admin"}
    with pytest.raises(ImportRejected) as rejected:
        import_lines(fresh_engine, tmp_path, ORG_A, MEMBER_A, twin, allow_members=True)
    assert str(rejected.value.errors[0]) == (
        "line 3: field 'email': \"ann@a.example\" is already used by mem_a in the same "
        "organization (line 2)"
    )


# --- caps (finding 6) ------------------------------------------------------------------------


def nested(depth: int) -> str:
    """A tool call line whose JSON nests `depth` levels, its own object included."""
    inner = "[" * (depth - 1) + "]" * (depth - 1)
    return json.dumps(CALL_A)[:-1] + f', "input": {inner}}}'


def test_json_nesting_is_capped_with_the_line_named(
    fresh_engine: sa.Engine, tmp_path: Path
) -> None:
    import_lines(fresh_engine, tmp_path, *GOOD, nested(importer.MAX_DEPTH))
    for line in (nested(importer.MAX_DEPTH + 1), nested(100_000)):  # 100,000 used to crash
        with pytest.raises(ImportRejected) as rejected:
            import_lines(fresh_engine, tmp_path, *GOOD, line)
        assert str(rejected.value.errors[0]) == (
            f"line {BAD_AT}: field '(line)': nests arrays and objects deeper than 64 levels"
        )


def test_brackets_inside_strings_do_not_count_as_nesting(
    fresh_engine: sa.Engine, tmp_path: Path
) -> None:
    text = '"[[[{\\"' + "[" * 200 + '"'
    line = json.dumps(CALL_A)[:-1] + f', "input": [{text}, "{{}}"]}}'
    import_lines(fresh_engine, tmp_path, *GOOD, line)
    assert fetch(fresh_engine, sa.select(schema.tool_calls.c.input))[0][0] == json.loads(text)


TRICKY = '[]{}"\\x'  # brackets, quotes and backslashes inside strings and keys
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=TRICKY, max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(alphabet=TRICKY, max_size=4), inner, max_size=3)
    ),
    max_leaves=40,
)


def depth(value: Any) -> int:
    children = value.values() if isinstance(value, dict) else value
    if isinstance(value, dict | list):
        return 1 + max(map(depth, children), default=0)
    return 0


@given(value=JSON_VALUES, limit=st.integers(min_value=0, max_value=6))
def test_the_nesting_check_agrees_with_the_parsed_value(value: Any, limit: int) -> None:
    raw = json.dumps(value).encode()
    assert importer._too_deep(raw, limit) == (depth(value) > limit)


def test_an_oversized_line_is_refused_without_being_read_whole(
    fresh_engine: sa.Engine, tmp_path: Path
) -> None:
    big = 64 * 2**20  # eight times the cap; the importer used to hold it (and more) in memory
    path = write_lines(tmp_path, *GOOD)
    with path.open("ab") as out:
        out.write(b'{"type": "tool_call", "output": "')
        for _ in range(big // 2**20):
            out.write(b"x" * 2**20)
        out.write(b'"}\n')
        out.write(json.dumps(CALL_A | {"seq": "one"}).encode() + b"\n")
    tracemalloc.start()
    try:
        with pytest.raises(ImportRejected) as rejected:
            import_path(fresh_engine, path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [str(e) for e in rejected.value.errors] == [
        f"line {BAD_AT}: field '(line)': is longer than 8 MiB, the limit",
        f"line {BAD_AT + 1}: field 'seq': expected a whole number, got string \"one\"",
    ]
    assert peak < 3 * importer.MAX_LINE_BYTES  # measured: 17 MB (readline's buffer, twice)
    assert counts(fresh_engine) == EMPTY


# --- the audit entry (finding 5) ---------------------------------------------------------------


def audit_entries(engine: sa.Engine) -> list[dict[str, Any]]:
    a = schema.audit_log.c
    query = sa.select(a.org_id, a.actor_email, a.action, a.detail).order_by(a.created_at)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def test_every_import_run_is_audited_with_who_the_digest_and_the_counts(
    fresh_engine: sa.Engine, tmp_path: Path
) -> None:
    digest = hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    import_sample(fresh_engine, dry_run=True)
    import_sample(fresh_engine, actor="cli:ops")
    bad = write_lines(tmp_path, ORG_A, "[]")
    with pytest.raises(ImportRejected):
        import_path(fresh_engine, bad)
    dry, committed, rejected = audit_entries(fresh_engine)
    assert committed["org_id"] == "org_acme" and committed["actor_email"] == "cli:ops"
    assert committed["action"] == "import.file"
    assert committed["detail"] == {
        "file": "sample.jsonl",
        "sha256": digest,
        "records": 17,
        "inserted": {
            "organization": 1,
            "member": 1,
            "end_user": 2,
            "server": 2,
            "session": 2,
            "tool_call": 3,
            "support_ticket": 1,
            "stage": 3,
            "state": 2,
        },
        "updated": {},
        "unchanged": {},
        "dry_run": False,
        "allow_members": True,
        "outcome": "committed",
    }
    assert (dry["detail"]["outcome"], dry["detail"]["dry_run"]) == ("dry_run", True)
    assert dry["detail"]["sha256"] == digest
    assert rejected["detail"] == {
        "file": "import.jsonl",
        "sha256": hashlib.sha256(bad.read_bytes()).hexdigest(),
        "records": 2,
        "dry_run": False,
        "allow_members": False,
        "outcome": "rejected",
        "errors": 1,
    }
    assert rejected["org_id"] == "org_a" and counts(fresh_engine) == SAMPLE_COUNTS
