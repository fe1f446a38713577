"""`sessionscope import`: the example file, idempotency, dry run, each kind of bad line, CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sessionscope import importer, schema
from sessionscope.cli import main
from sessionscope.importer import ImportRejected, ImportReport, import_file

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

T0 = "2026-11-01T12:00:00Z"
ORG_A = {"type": "organization", "id": "org_a", "slug": "a", "name": "A", "created_at": T0}
ORG_B = {**ORG_A, "id": "org_b", "slug": "b", "name": "B"}
USER_A = {"type": "end_user", "id": "usr_a", "org_id": "org_a", "distinct_id": "a1"}
SERVER_A = {"type": "server", "id": "srv_a", "org_id": "org_a", "slug": "s", "name": "S"}
SERVER_A |= {"kind": "mcp"}
SESSION_A = {"type": "session", "id": "ses_a", "org_id": "org_a", "end_user_id": "usr_a"}
SESSION_A |= {"server_id": "srv_a", "status": "active", "started_at": T0}
CALL_A = {"type": "tool_call", "id": "tc_a", "org_id": "org_a", "session_id": "ses_a", "seq": 1}
CALL_A |= {"tool_name": "search", "started_at": T0}
GOOD = (ORG_A, ORG_B, USER_A, SERVER_A, SESSION_A)  # a bad line after these is line 6

Line = dict[str, Any] | str


def write_lines(directory: Path, *lines: Line) -> Path:
    """The one factory: a .jsonl file of `lines` (dicts as JSON, strings verbatim)."""
    path = directory / "import.jsonl"
    text = (line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def import_lines(engine: sa.Engine, directory: Path, *lines: Line) -> ImportReport:
    return import_file(engine, write_lines(directory, *lines), dry_run=False)


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        tables = schema.metadata.tables
        return {t: conn.scalar(sa.select(sa.func.count()).select_from(tables[t])) for t in EMPTY}


def fetch(engine: sa.Engine, query: sa.Select[Any]) -> tuple[Any, ...]:
    with engine.connect() as conn:
        return tuple(conn.execute(query).one())


def test_sample_imports(fresh_engine: sa.Engine) -> None:
    report = import_file(fresh_engine, SAMPLE, dry_run=False)
    assert counts(fresh_engine) == SAMPLE_COUNTS
    assert sum(report.inserted.values()) == report.records == 17


def test_the_documented_example_lines_import(fresh_engine: sa.Engine, tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "import-format.md").read_text(encoding="utf-8")
    block = doc.split("```jsonl\n", 1)[1].split("```", 1)[0]
    report = import_lines(fresh_engine, tmp_path, block.strip())
    assert sorted(report.inserted) == sorted(importer.TYPES)


def test_json_round_trips_and_null_is_sql_null(fresh_engine: sa.Engine) -> None:
    import_file(fresh_engine, SAMPLE, dry_run=False)
    tc = schema.tool_calls
    query = sa.select(tc.c.input["filters"]["lang"], tc.c.output.is_(None)).where(tc.c.seq < 3)
    with fresh_engine.connect() as conn:
        rows = conn.execute(query.order_by(tc.c.seq)).all()
    assert [tuple(r) for r in rows] == [(["en", "de"], False), (None, True)]


def test_reimport_changes_nothing(fresh_engine: sa.Engine) -> None:
    import_file(fresh_engine, SAMPLE, dry_run=False)
    again = import_file(fresh_engine, SAMPLE, dry_run=False)
    assert counts(fresh_engine) == SAMPLE_COUNTS
    assert sum(again.unchanged.values()) == 17 and not +again.inserted and not +again.updated


def test_changed_line_updates_in_place(fresh_engine: sa.Engine, tmp_path: Path) -> None:
    import_lines(fresh_engine, tmp_path, *GOOD)
    changed = {**SESSION_A, "status": "completed", "total_tool_calls": 4}
    report = import_lines(fresh_engine, tmp_path, *GOOD[:-1], changed)
    assert (report.updated["session"], report.unchanged["organization"]) == (1, 2)
    s = schema.sessions
    assert fetch(fresh_engine, sa.select(s.c.status, s.c.total_tool_calls)) == ("completed", 4)
    assert counts(fresh_engine)["sessions"] == 1


def test_session_without_totals_keeps_the_default(fresh_engine: sa.Engine, tmp_path: Path) -> None:
    report = import_lines(fresh_engine, tmp_path, *GOOD)
    s = schema.sessions
    assert fetch(fresh_engine, sa.select(s.c.total_tool_calls, s.c.total_errors)) == (0, 0)
    assert report.sessions_without_totals == 1 and "note:" in report.summary()


def test_dry_run_writes_nothing(fresh_engine: sa.Engine) -> None:
    report = import_file(fresh_engine, SAMPLE, dry_run=True)
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
    "cross_org_reference": ({**SESSION_A, "id": "ses_b", "org_id": "org_b"}, "end_user_id"),
    "id_moves_org": ({**SERVER_A, "org_id": "org_b"}, "org_id"),
    "duplicate_unique_key": ({**USER_A, "id": "usr_b"}, "distinct_id"),
}


@pytest.mark.parametrize(("bad", "field"), BAD_LINES.values(), ids=BAD_LINES.keys())
def test_bad_line_is_named_and_nothing_is_written(
    fresh_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: Line, field: str
) -> None:
    monkeypatch.setattr(importer, "BATCH_ROWS", 1)  # the good lines are written before line 6
    with pytest.raises(ImportRejected) as rejected:
        import_lines(fresh_engine, tmp_path, *GOOD, bad)
    assert [(e.line, e.field) for e in rejected.value.errors][:1] == [(6, field)]
    assert f"line 6: field '{field}'" in str(rejected.value)
    assert counts(fresh_engine) == EMPTY


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
    assert main(["import", str(write_lines(tmp_path, ORG_A, "[]"))]) == 2
    assert "line 2: field '(line)'" in capsys.readouterr().err
    assert main(["import", str(SAMPLE)]) == 0
    assert counts(fresh_engine) == SAMPLE_COUNTS


def test_contract_v2_fields_are_imported_and_external_ids_are_unique_per_source(
    fresh_engine: sa.Engine, tmp_path: Path
) -> None:
    session = SESSION_A | {"source": "mcplatform", "external_id": "mcp-1", "attributes": {"t": 1}}
    call = CALL_A | {"method": "resources/read", "attributes": {"trace_id": "ab" * 16}}
    import_lines(fresh_engine, tmp_path, *GOOD[:4], session, call)
    with fresh_engine.connect() as conn:
        row = conn.execute(sa.text("SELECT source, external_id FROM sessions")).one()
        method = conn.execute(sa.text("SELECT method FROM tool_calls")).scalar_one()
    assert tuple(row) == ("mcplatform", "mcp-1") and method == "resources/read"
    twin = session | {"id": "ses_b"}
    with pytest.raises(ImportRejected, match="external_id"):
        import_lines(fresh_engine, tmp_path, *GOOD[:4], twin)
    # A line that leaves the v2 fields out keeps the defaults: an import, a tools/call.
    import_lines(fresh_engine, tmp_path, *GOOD[:4], SESSION_A | {"id": "ses_c"},
                 CALL_A | {"id": "tc_c", "session_id": "ses_c"})  # fmt: skip
    with fresh_engine.connect() as conn:
        assert conn.execute(
            sa.text("SELECT s.source, t.method FROM sessions s JOIN tool_calls t "
                    "ON t.session_id = s.id WHERE s.id = 'ses_c'")
        ).one() == ("import", "tools/call")  # fmt: skip
