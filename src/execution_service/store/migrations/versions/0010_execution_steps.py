"""the steps of running attempts (task started / completed, progress) for the event stream

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:00:00.000000

``execution_steps``: one row per task started, task completed and progress write of a
running attempt, ordered among the status history by ``after_event`` (the id of the
latest history row when it was written) and its own ``id`` (see
``store/stream_events.py``). Deleted with its execution.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from execution_service.store.models import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "execution_steps",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "execution_id",
            sa.Uuid(),
            sa.ForeignKey("executions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("after_event", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_execution_steps_execution", "execution_steps", ["execution_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_execution_steps_execution", table_name="execution_steps")
    op.drop_table("execution_steps")
