"""org_policies: per-organization retention and redaction, as the admins set them

One row per organization that changed a default: `retention_days` (NULL keeps every
session; `sessionscope retention apply` deletes older ones) and `redaction`, the JSON rules
that ingest, import and sync apply before storing anything (sessionscope.redaction). An
organization without a row keeps everything and gets the default rules. Nothing is
deleted or redacted by the upgrade itself.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sessionscope.schema import JSONType, UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "org_policies",
        sa.Column("org_id", sa.String(64), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=True),
        sa.Column("redaction", JSONType, nullable=True),
        sa.Column("updated_by", sa.String(320), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "retention_days IS NULL OR retention_days > 0",
            name="ck_org_policies_retention_days",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name="fk_org_policies_org_id_organizations"
        ),
        sa.PrimaryKeyConstraint("org_id", name="pk_org_policies"),
    )


def downgrade() -> None:
    op.drop_table("org_policies")
