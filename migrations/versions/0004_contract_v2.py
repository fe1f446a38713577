"""data contract v2: where a session came from, MCP methods, ingest tokens

- sessions.source (not null, default 'import'), sessions.external_id (the source's own
  key, unique per organization and source) and sessions.attributes (JSON);
- tool_calls.method (not null, default 'tools/call': initialize, tools/list,
  resources/read, prompts/get... are timeline items too) and tool_calls.attributes (JSON:
  trace and span ids, request id, error.type...);
- ingest_tokens: the OTLP receiver's bearer tokens, stored as hashes.

Existing rows keep their meaning: every session so far came from a file or the seed
('import'), every tool call was a tools/call. Columns are added in place on both backends
(no table rebuild on SQLite); the covering index of the Admin tool chart gains `method`
on PostgreSQL (rebuilt here; on a large live database build it beforehand with CREATE
INDEX CONCURRENTLY under a new name and swap).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sessionscope.schema import JSONType, UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TOOL_CALLS_COVER = "ix_tool_calls_session_cover"
COVER_BEFORE = ["org_id", "tool_name", "duration_ms", "is_error"]


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _cover(include: list[str]) -> None:
    op.drop_index(TOOL_CALLS_COVER, table_name="tool_calls", if_exists=True)
    op.create_index(TOOL_CALLS_COVER, "tool_calls", ["session_id"], postgresql_include=include)


def upgrade() -> None:
    op.add_column(
        "sessions", sa.Column("source", sa.String(32), nullable=False, server_default="import")
    )
    op.add_column("sessions", sa.Column("external_id", sa.String(255), nullable=True))
    op.add_column("sessions", sa.Column("attributes", JSONType, nullable=True))
    op.create_index(
        "uq_sessions_org_source_external",
        "sessions",
        ["org_id", "source", "external_id"],
        unique=True,
    )
    op.add_column(
        "tool_calls",
        sa.Column("method", sa.String(64), nullable=False, server_default="tools/call"),
    )
    op.add_column("tool_calls", sa.Column("attributes", JSONType, nullable=True))
    op.create_table(
        "ingest_tokens",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("org_id", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name="fk_ingest_tokens_org_id_organizations"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ingest_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_ingest_tokens_token_hash"),
    )
    op.create_index("ix_ingest_tokens_org_created", "ingest_tokens", ["org_id", "created_at"])
    if _postgres():
        _cover([*COVER_BEFORE, "method"])


def downgrade() -> None:
    if _postgres():
        _cover(COVER_BEFORE)
    op.drop_index("ix_ingest_tokens_org_created", table_name="ingest_tokens")
    op.drop_table("ingest_tokens")
    with op.batch_alter_table("tool_calls") as batch:
        batch.drop_column("attributes")
        batch.drop_column("method")
    op.drop_index("uq_sessions_org_source_external", table_name="sessions")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("attributes")
        batch.drop_column("external_id")
        batch.drop_column("source")
