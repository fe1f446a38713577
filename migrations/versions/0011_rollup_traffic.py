"""admin analytics: MCP traffic and the ticket panels in the daily rollup

Derived tables (not part of the data contract), like those of 0003 and 0010:
- rollup_tools gains `method`: the rows now hold every `tools/call`, `resources/read` and
  `prompts/get` per target (tool, resource URI or prompt name), so MCP traffic's slowest
  and most failing targets read pre-grouped rows for settled days. Existing rows are
  `tools/call`, the only method they held.
- rollup_clients: sessions, calls and errors per day dims, client name and version and
  transport (MCP traffic's client and transport panels).
- rollup_paths keeps two more kinds (before_ticket, ticket_tool: no column changes).

The organizations' rollup marks are removed, as 0010 does: a mark says every rollup table
holds the days before it, and the new rows are not there yet. The analytics read live
(correct, slower) until the next `sessionscope rollup` (or the app's first analytics view)
builds the tables again; run it right after upgrading a large database.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rollup_tools") as batch:
        batch.add_column(
            sa.Column("method", sa.String(length=32), nullable=False, server_default="tools/call")
        )
    op.create_table(
        "rollup_clients",
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("server_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        *[sa.Column(name, sa.Text(), nullable=True) for name in ("client_name", "client_version")],
        sa.Column("transport", sa.Text(), nullable=True),
        *[
            sa.Column(name, sa.BigInteger(), nullable=False)
            for name in ("sessions", "calls", "errors")
        ],
    )
    op.create_index(op.f("ix_rollup_clients_org_day"), "rollup_clients", ["org_id", "day"])
    op.execute(sa.text("DELETE FROM rollup_marks"))  # see above: rebuilt by the next settle


def downgrade() -> None:
    op.drop_index(op.f("ix_rollup_clients_org_day"), table_name="rollup_clients")
    op.drop_table("rollup_clients")
    op.execute(sa.text("DELETE FROM rollup_tools WHERE method <> 'tools/call'"))
    with op.batch_alter_table("rollup_tools") as batch:
        batch.drop_column("method")
    op.execute(sa.text("DELETE FROM rollup_marks"))  # the ticket kinds' rows are gone too
