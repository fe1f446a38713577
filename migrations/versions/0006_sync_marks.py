"""sync_marks: how far an incremental sync from an outside source has read

One row per source, organization and source table (`sessionscope sync mcplatform`: the
MCPlatform tables it reads). `watermark` is the keyset position of the last row written,
as text the sync writes and reads back (for MCPlatform "<created_at ms>|<id>"); it
advances in the same transaction as the rows of its batch, so an interrupted sync resumes
where its last committed batch ended. Nothing else reads it: deleting a row makes the next
run read that table again from the beginning (writes are upserts, so nothing doubles).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sessionscope.schema import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_marks",
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("org_id", sa.String(64), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("watermark", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name="fk_sync_marks_org_id_organizations"
        ),
        sa.PrimaryKeyConstraint("source", "org_id", "key", name="pk_sync_marks"),
    )


def downgrade() -> None:
    op.drop_table("sync_marks")
