"""admin analytics: the daily rollup

Derived tables (not part of the data contract) that the Admin analytics read for settled
days, so the analytics over 1,000,000 sessions and 5,000,000 tool calls read a few
hundred thousand pre-grouped rows instead. Empty after this migration: the analytics read
everything live until `sessionscope rollup` (or the seed, or the app on its first
analytics view) builds them. See sessionscope/rollup.py and queries/daily.py.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("rollup_sessions", "rollup_durations", "rollup_tools")


def _dims() -> list[sa.Column]:
    return [
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("server_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
    ]


def _counts(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "rollup_marks",
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("settled_before", sa.Date(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_rollup_marks")),
    )
    op.create_table(
        "rollup_sessions",
        *_dims(),
        *_counts(
            "sessions", "tool_calls", "tool_errors", "jobs", "companies", "contacts", "campaigns"
        ),
    )
    op.create_table(
        "rollup_durations",
        *_dims(),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        *_counts("sessions", "ms_sum"),
    )
    op.create_table(
        "rollup_tools",
        *_dims(),
        sa.Column("tool_name", sa.String(length=255), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=True),
        *_counts("calls", "errors", "ms_sum"),
    )
    for table in TABLES:
        op.create_index(op.f(f"ix_{table}_org_day"), table, ["org_id", "day"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(op.f(f"ix_{table}_org_day"), table_name=table)
        op.drop_table(table)
    op.drop_table("rollup_marks")
