"""execution metadata: a column to show it, a table to find executions by it

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 10:00:00.000000

``executions.user_metadata``: the caller's metadata (string keys and values) as given at
queueing, shown with the execution (None when there is none). Written once, never
indexed: a status change adds no index entry for it. A small value rides in the row (a
status change copies its bytes with the row); PostgreSQL keeps a large one (over about
2 kB) out of line, where an update does not copy it.

``execution_metadata``: one row per key of an execution's metadata, written in the
queueing transaction and never changed (deleted with its execution). Its index
``(owner, key, value, created_at, execution_id)`` finds an owner's executions with a key
and value, newest first, one keyset page at a time, on PostgreSQL and SQLite alike. A
JSON containment index (``jsonb @>`` with GIN) on the executions themselves would find
them too, but (see 0006 and 0007) every index of ``executions`` gains an entry at every
status change (no HOT update), and it could not order a page; this table's index gains
entries only when an execution with metadata is queued.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_metadata", sa.JSON(), nullable=True))
    op.create_table(
        "execution_metadata",
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=512), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["execution_id"], ["executions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("execution_id", "key"),
    )
    op.create_index(
        "ix_execution_metadata_match",
        "execution_metadata",
        ["owner", "key", "value", "created_at", "execution_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_execution_metadata_match", table_name="execution_metadata")
    op.drop_table("execution_metadata")
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_column("user_metadata")
