"""admin analytics: covering indexes (PostgreSQL)

The Admin analytics aggregate every session of a period and, for the tool chart, every
tool call of those sessions. These indexes carry the columns those queries read, so
PostgreSQL answers them with index-only scans instead of reading the sessions heap
(workflow_state) and the tool_calls heap (input/output payloads): at 1,000,000 sessions
and 5,000,000 tool calls the 30-day analytics went from about 8 s to about 3.6 s.

SQLite has no INCLUDE and its databases here are small: nothing to do there.
On a large live database, build them beforehand with CREATE INDEX CONCURRENTLY (same
names and columns); this migration then finds them and does nothing.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SESSIONS_COVER = "ix_sessions_org_started_cover"
SESSIONS_INCLUDE = [
    "status", "completed_at", "archived_at", "end_user_id", "server_id", "total_tool_calls",
    "total_errors", "total_jobs", "total_companies", "total_contacts", "total_campaigns", "id",
]  # fmt: skip
TOOL_CALLS_COVER = "ix_tool_calls_session_cover"
TOOL_CALLS_INCLUDE = ["org_id", "tool_name", "duration_ms", "is_error"]


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgres():
        return
    op.create_index(
        SESSIONS_COVER,
        "sessions",
        ["org_id", "started_at"],
        postgresql_include=SESSIONS_INCLUDE,
        if_not_exists=True,
    )
    op.create_index(
        TOOL_CALLS_COVER,
        "tool_calls",
        ["session_id"],
        postgresql_include=TOOL_CALLS_INCLUDE,
        if_not_exists=True,
    )


def downgrade() -> None:
    if not _postgres():
        return
    op.drop_index(TOOL_CALLS_COVER, table_name="tool_calls", if_exists=True)
    op.drop_index(SESSIONS_COVER, table_name="sessions", if_exists=True)
