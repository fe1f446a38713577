"""support_tickets.attributes: what a source knew about a ticket beyond the columns

A nullable JSON column, added in place on both backends (no table rebuild on SQLite).
`sessionscope sync mcplatform` keeps MCPlatform's ticket id and its activity history
(support_ticket_activities: comments, status changes, assignments) there; imports may
set it. Existing tickets keep NULL.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sessionscope.schema import JSONType

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("support_tickets", sa.Column("attributes", JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("support_tickets") as batch:
        batch.drop_column("attributes")
