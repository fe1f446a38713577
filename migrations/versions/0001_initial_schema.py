"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21 14:29:47.581595
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from sessionscope.migrate import refuse_dropping_everything

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    desc = sa.text
    op.create_table(
        "audit_log",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=True),
        sa.Column("actor_email", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=True),
        sa.Column("target_id", sa.Text(), nullable=True),
        sa.Column(
            "detail", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_table(
        "organizations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("slug", name=op.f("uq_organizations_slug")),
    )
    op.create_table(
        "end_users",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("distinct_id", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_end_users_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_end_users")),
        sa.UniqueConstraint("org_id", "distinct_id", name=op.f("uq_end_users_org_id_distinct_id")),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'analyst')", name=op.f("ck_members_role")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_members_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint("org_id", "email", name=op.f("uq_members_org_id_email")),
    )
    op.create_index("ix_members_email", "members", ["email"], unique=False)

    op.create_table(
        "servers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.CheckConstraint("kind IN ('mcp', 'workflow')", name=op.f("ck_servers_kind")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_servers_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_servers")),
        sa.UniqueConstraint("org_id", "slug", name=op.f("uq_servers_org_id_slug")),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("end_user_id", sa.String(length=64), nullable=False),
        sa.Column("server_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("current_stage", sa.String(length=32), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("client_name", sa.Text(), nullable=True),
        sa.Column("client_version", sa.Text(), nullable=True),
        sa.Column("total_tool_calls", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total_errors", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total_jobs", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total_companies", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total_contacts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total_campaigns", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "workflow_state",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=True,
        ),
        sa.Column("state_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'completed', 'failed')", name=op.f("ck_sessions_status")
        ),
        sa.ForeignKeyConstraint(
            ["end_user_id"], ["end_users.id"], name=op.f("fk_sessions_end_user_id_end_users")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_sessions_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name=op.f("fk_sessions_server_id_servers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
    )
    op.create_table(
        "session_stages",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("completed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.CheckConstraint(
            "stage IN ('scraping', 'enrichment', 'contacts', 'campaigns', 'results')",
            name=op.f("ck_session_stages_stage"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_session_stages_session_id_sessions")
        ),
        sa.PrimaryKeyConstraint("session_id", "stage", name=op.f("pk_session_stages")),
    )
    op.create_table(
        "session_states",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_session_states_session_id_sessions")
        ),
        sa.PrimaryKeyConstraint("session_id", "version", name=op.f("pk_session_states")),
    )
    op.create_table(
        "support_tickets",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("end_user_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("context", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "priority IN ('low', 'medium', 'high', 'critical')",
            name=op.f("ck_support_tickets_priority"),
        ),
        sa.CheckConstraint(
            "status IN ('needs_email', 'pending', 'in_progress', 'resolved', 'closed')",
            name=op.f("ck_support_tickets_status"),
        ),
        sa.ForeignKeyConstraint(
            ["end_user_id"], ["end_users.id"], name=op.f("fk_support_tickets_end_user_id_end_users")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_support_tickets_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_support_tickets_session_id_sessions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_tickets")),
    )
    op.create_index(
        "ix_support_tickets_org_user", "support_tickets", ["org_id", "end_user_id"], unique=False
    )
    op.create_index(
        "ix_support_tickets_session_created",
        "support_tickets",
        ["session_id", "created_at"],
        unique=False,
    )

    op.create_table(
        "tool_calls",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("tool_name", sa.String(length=255), nullable=False),
        sa.Column("input", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column(
            "output", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("is_error", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_tool_calls_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_tool_calls_session_id_sessions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tool_calls")),
    )
    op.create_index(
        "ix_tool_calls_session_started_seq",
        "tool_calls",
        ["session_id", "started_at", "seq"],
        unique=False,
    )

    op.create_index(
        "ix_end_users_org_last_seen", "end_users", ["org_id", desc("last_seen_at DESC"), "id"]
    )
    op.create_index(
        "ix_sessions_org_user_started",
        "sessions",
        ["org_id", "end_user_id", desc("started_at DESC"), "id"],
    )
    op.create_index(
        "ix_sessions_org_started", "sessions", ["org_id", desc("started_at DESC"), "id"]
    )
    op.create_index(
        "ix_sessions_org_status_started", "sessions", ["org_id", "status", desc("started_at DESC")]
    )
    op.create_index("ix_audit_log_org_created", "audit_log", ["org_id", desc("created_at DESC")])


def downgrade() -> None:
    refuse_dropping_everything()  # below this revision nothing is left
    op.drop_index("ix_tool_calls_session_started_seq", table_name="tool_calls")

    op.drop_table("tool_calls")
    op.drop_index("ix_support_tickets_session_created", table_name="support_tickets")
    op.drop_index("ix_support_tickets_org_user", table_name="support_tickets")

    op.drop_table("support_tickets")
    op.drop_table("session_states")
    op.drop_table("session_stages")
    op.drop_table("sessions")
    op.drop_table("servers")
    op.drop_index("ix_members_email", table_name="members")

    op.drop_table("members")
    op.drop_table("end_users")
    op.drop_table("organizations")
    op.drop_table("audit_log")
