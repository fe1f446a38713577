"""queries.audit on both backends, and a guard that nothing updates or deletes audit entries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from queries import audit
from queries.page import Page
from sessionscope import bulk
from sessionscope.schema import audit_log
from tests import factories

T = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
M = timedelta(minutes=1)
COLUMNS = ["id", "actor_email", "action", "target_type", "target_id", "detail", "created_at"]

# (id, org, actor, action, created_at): aud_c and aud_d share an instant (id DESC decides).
ENTRIES = [
    ("aud_a", "org_acme", "ann@acme.example", "sessions.archive", T),
    ("aud_b", "org_acme", "bo_b@acme.example", "sessions.export_csv", T + M),
    ("aud_c", "org_acme", "ANN@acme.example", "sessions.restore", T + 2 * M),
    ("aud_d", "org_acme", "bob@acme.example", "sessions.archive", T + 2 * M),
    ("aud_e", "org_acme", "ann@acme.example", "admin.view", T + 3 * M),
    ("aud_x", "org_beta", "ann@acme.example", "sessions.delete_all", T + 4 * M),
    ("aud_y", None, "nobody@else.example", "access.denied", T + 5 * M),
]
NEWEST_FIRST = ["aud_e", "aud_d", "aud_c", "aud_b", "aud_a"]


@pytest.fixture()
def log(conn: sa.Connection) -> sa.Connection:
    factories.org(conn, id="org_acme")
    factories.org(conn, id="org_beta")
    for entry_id, org_id, actor, action, at in ENTRIES:
        conn.execute(
            audit_log.insert().values(
                id=entry_id,
                org_id=org_id,
                actor_email=actor,
                action=action,
                target_type="session",
                target_id=f"ses_{entry_id}",
                detail={"ids": [f"ses_{entry_id}"], "n": 1},
                created_at=at,
            )
        )
    return conn


def _ids(page: Page) -> list[str]:
    return list(page.rows["id"])


def _all_pages(conn: sa.Connection, limit: int, **filters) -> list[list[str]]:
    pages, before = [], None
    while True:
        page = audit.entries(conn, org_id="org_acme", before=before, limit=limit, **filters)
        pages.append(_ids(page))
        if page.next_cursor is None:
            return pages
        before = page.next_cursor


def test_entries_newest_first_with_columns(log: sa.Connection) -> None:
    page = audit.entries(log, org_id="org_acme")
    assert list(page.rows.columns) == COLUMNS
    assert _ids(page) == NEWEST_FIRST and page.next_cursor is None
    first = page.rows.iloc[0]
    assert first["created_at"] == T + 3 * M and first["created_at"].tzinfo is not None
    assert first["detail"] == {"ids": ["ses_aud_e"], "n": 1}
    assert (first["target_type"], first["target_id"]) == ("session", "ses_aud_e")


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_entries_keyset_pages_cover_everything_once(log: sa.Connection, limit: int) -> None:
    pages = _all_pages(log, limit)
    assert [i for p in pages for i in p] == NEWEST_FIRST
    assert all(len(p) == limit for p in pages[:-1])


def test_cursor_splits_entries_at_the_same_instant(log: sa.Connection) -> None:
    page = audit.entries(log, org_id="org_acme", limit=2)
    assert _ids(page) == ["aud_e", "aud_d"]
    assert page.next_cursor == ((T + 2 * M).isoformat(), "aud_d")
    # The cursor may also carry a datetime, as a caller that built it by hand would.
    after = audit.entries(log, org_id="org_acme", before=(T + 2 * M, "aud_d"), limit=2)
    assert _ids(after) == ["aud_c", "aud_b"]


def test_actor_filter_is_a_case_insensitive_literal_substring(log: sa.Connection) -> None:
    assert _ids(audit.entries(log, org_id="org_acme", actor_q=" Ann@ ")) == [
        "aud_e",
        "aud_c",
        "aud_a",
    ]
    # "_" is a literal underscore, not LIKE's any-one-character.
    assert _ids(audit.entries(log, org_id="org_acme", actor_q="bo_b")) == ["aud_b"]
    assert _ids(audit.entries(log, org_id="org_acme", actor_q="   ")) == NEWEST_FIRST


def test_action_filter_and_paging_with_filters(log: sa.Connection) -> None:
    archive = ("sessions.archive",)
    assert _ids(audit.entries(log, org_id="org_acme", actions=archive)) == ["aud_d", "aud_a"]
    both = ("sessions.archive", "sessions.restore")
    assert _all_pages(log, 1, actions=both, actor_q="b") == [["aud_d"]]
    assert _all_pages(log, 1, actions=both) == [["aud_d"], ["aud_c"], ["aud_a"]]


def test_entries_never_show_another_org_or_no_org(log: sa.Connection) -> None:
    assert _ids(audit.entries(log, org_id="org_beta")) == ["aud_x"]
    assert _ids(audit.entries(log, org_id="org_none")) == []
    assert "aud_y" not in _ids(audit.entries(log, org_id="org_acme", limit=50))


def test_actions_are_the_orgs_distinct_actions_sorted(log: sa.Connection) -> None:
    assert audit.actions(log, org_id="org_acme") == [
        "admin.view",
        "sessions.archive",
        "sessions.export_csv",
        "sessions.restore",
    ]
    assert audit.actions(log, org_id="org_beta") == ["sessions.delete_all"]
    assert audit.actions(log, org_id="org_none") == []


def test_limit_must_be_positive(log: sa.Connection) -> None:
    with pytest.raises(ValueError, match="limit"):
        audit.entries(log, org_id="org_acme", limit=0)


def test_bulk_actions_are_read_back_newest_first(conn: sa.Connection) -> None:
    acme = factories.org(conn, id="org_acme")
    user, srv = factories.end_user(conn, acme), factories.server(conn, acme)
    ses = factories.session(conn, acme, user, srv)
    for action in (bulk.archive, bulk.restore):
        action(conn, org_id="org_acme", actor="admin@acme.example", session_ids=[ses["id"]])
    page = audit.entries(conn, org_id="org_acme")
    assert list(page.rows["action"]) == ["sessions.restore", "sessions.archive"]
    assert list(page.rows["target_id"]) == [ses["id"], ses["id"]]


# --- append-only --------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIRS = ("sessionscope", "queries", "components", "app_pages", "charts")
_WRITE = re.compile(
    r"audit_log\s*\.\s*(update|delete)\b"  # audit_log.update() / audit_log.delete()
    r"|\b(update|delete)\s*\(\s*(schema\s*\.\s*)?audit_log\b"  # sa.update(audit_log)
    r"|\bupdate\s+[\"'`]?audit_log\b"  # UPDATE audit_log
    r"|\bdelete\s+from\s+[\"'`]?audit_log\b"  # DELETE FROM audit_log
    r"|\btruncate\s+(table\s+)?[\"'`]?audit_log\b",
    re.IGNORECASE,
)


def _sources() -> list[Path]:
    files = [p for d in SOURCE_DIRS if (ROOT / d).is_dir() for p in (ROOT / d).rglob("*.py")]
    return files + sorted(ROOT.glob("*.py"))  # dashboard_app.py and other entry points


@pytest.mark.parametrize(
    "line",
    [
        "conn.execute(audit_log.update().values(x=1))",
        "conn.execute(schema.audit_log.delete())",
        "sa.update(audit_log).where(...)",
        "sa.delete(schema.audit_log)",
        'text("UPDATE audit_log SET detail = NULL")',
        "'delete from \"audit_log\" where id = :id'",
        "TRUNCATE TABLE audit_log",
    ],
)
def test_the_guard_catches_writes(line: str) -> None:
    assert _WRITE.search(line)


def test_nothing_updates_or_deletes_audit_entries() -> None:
    files = _sources()
    assert any(p.name == "audit.py" for p in files)  # the scan sees the project's code
    offenders = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in files
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _WRITE.search(line)
    ]
    assert offenders == [], "the audit log is append-only:\n" + "\n".join(offenders)
