"""when each waiting execution's message was sent, so that a lost one is sent again

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00.000000

``dispatched_at``: when the message that may start an execution's awaited attempt was
sent (for a retry: when it is due); None while one is owed because the broker refused
it. ``redispatches``: how many times the reaper sent it again (``store/redispatch.py``).

``ix_executions_awaiting_dispatch`` is partial (only executions queued or retrying): a
row gets an entry when it is queued, moved to retrying or sent again, and none when it
starts, finishes or changes in any other way, so the executions' hot moves do not pay
for it. Executions waiting at upgrade time count as sent when they were created (or,
retrying, now).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

AWAITING_SQL = "status IN ('queued', 'retrying')"


def upgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("redispatches", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(sa.text("UPDATE executions SET dispatched_at = created_at WHERE status = 'queued'"))
    op.execute(
        sa.text("UPDATE executions SET dispatched_at = CURRENT_TIMESTAMP WHERE status = 'retrying'")
    )
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_executions_awaiting_dispatch",
            ["dispatched_at"],
            postgresql_where=sa.text(AWAITING_SQL),
            sqlite_where=sa.text(AWAITING_SQL),
        )


def downgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_index("ix_executions_awaiting_dispatch")
        batch_op.drop_column("redispatches")
        batch_op.drop_column("dispatched_at")
