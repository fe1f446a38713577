"""Lines of an import file (organization A's, and B's copies of them) and importing them as
`sessionscope import` does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sessionscope.importer import ImportReport, import_file

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
MEMBER_A = {"type": "member", "id": "mem_a", "org_id": "org_a", "email": "ann@a.example"}
MEMBER_A |= {"role": "analyst", "created_at": T0}
STATE_A = {"type": "state", "session_id": "ses_a", "version": 1, "created_at": T0, "state": {}}
PARENTS = (ORG_A, USER_A, SERVER_A)
GOOD = (*PARENTS, SESSION_A)


def of_b(line: dict[str, Any]) -> dict[str, Any]:
    """The same line, for organization B (ids end in `b`)."""
    ids = {k: v.replace("_a", "_b") for k, v in line.items() if k.endswith("id")}
    return line | ids | ({"slug": "b", "name": "B"} if line["type"] == "organization" else {})


OTHER_ORG = tuple(of_b(line) for line in GOOD)  # org_b, usr_b, srv_b, ses_b

Line = dict[str, Any] | str


def write_lines(directory: Path, *lines: Line) -> Path:
    """The one factory: a .jsonl file of `lines` (dicts as JSON, strings verbatim)."""
    path = directory / "import.jsonl"
    text = (line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def import_path(engine: sa.Engine, path: Path, **kw: Any) -> ImportReport:
    """import_file as organization A's, by a test actor, unless told otherwise."""
    return import_file(
        engine, path, **{"org_id": "org_a", "actor": "cli:test", "dry_run": False} | kw
    )


def import_lines(engine: sa.Engine, directory: Path, *lines: Line, **kw: Any) -> ImportReport:
    """import_path of a file of `lines` written in `directory`."""
    return import_path(engine, write_lines(directory, *lines), **kw)
