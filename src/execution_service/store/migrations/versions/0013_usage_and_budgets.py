"""usage and budgets: what an execution's model calls used, and what it may use

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 06:00:00.000000

``executions.usage``: the model calls' usage, every attempt together (prompt,
completion and total tokens, model calls, by task, by agent and by model, and the
estimated cost when the operator's prices cover every model): a JSON document written
by the worker with its throttled progress and at the attempt's end; None before any call
was counted. ``executions.budget``: the effective budget (the graph's and the request's,
the smaller of each field), written once at queueing. Neither is indexed: a status change
adds no index entry for them.

``usage_records``: the tokens an owner's executions used, one row per write of their
usage, so that the queue statistics can sum the last minute over the index
``(owner, at)``; the reapers delete rows older than a few minutes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("usage", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("budget", sa.JSON(), nullable=True))
    op.create_table(
        "usage_records",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tokens", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_usage_records_owner_at", "usage_records", ["owner", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_usage_records_owner_at", table_name="usage_records")
    op.drop_table("usage_records")
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_column("budget")
        batch_op.drop_column("usage")
