"""admin analytics: tool paths in the daily rollup

A derived table (not part of the data contract) like the other rollup tables of 0003:
per day, server, status and archived flag, the tool sequences (2 to 4 consecutive
`tools/call`s), loops and the calls before a failed call of that day's sessions, so the
Admin Tool paths panels read pre-grouped rows for settled days instead of windowing every
call (see sessionscope/rollup.py and queries/daily.py).

The table is created empty, so the organizations' rollup marks are removed too: a mark says
every rollup table holds the days before it, and an empty rollup_paths under an old mark
would show no paths at all. Without a mark the analytics read live (correct, slower) until
the next `sessionscope rollup` (or the app's first analytics view) builds every table again
from the sessions; run it right after upgrading on a large database.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rollup_paths",
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("server_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        *[sa.Column(f"step{i}", sa.String(length=255), nullable=True) for i in range(1, 5)],
        *[
            sa.Column(name, sa.BigInteger(), nullable=False)
            for name in ("sessions", "occurrences", "longest", "calls")
        ],
    )
    op.create_index(op.f("ix_rollup_paths_org_kind_day"), "rollup_paths", ["org_id", "kind", "day"])
    op.execute(sa.text("DELETE FROM rollup_marks"))  # see above: rebuilt by the next settle


def downgrade() -> None:
    op.drop_index(op.f("ix_rollup_paths_org_kind_day"), table_name="rollup_paths")
    op.drop_table("rollup_paths")
