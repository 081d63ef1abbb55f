"""reruns: an execution may rerun another one from a task

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 06:00:00.000000

``executions.rerun_of``: the execution a rerun (``POST /executions/{id}/rerun``) runs
again, shown as ``rerun_of``; ``executions.rerun_from_task``: the task it starts from
(the tasks before it re-use the original's outputs, copied into the rerun's
``outputs`` at queueing). Both null for every other execution: two nullable columns,
no default to write, no index (nothing looks executions up by them), so a status
change and a queueing pay nothing for them. No foreign key: the link is a record of
where a rerun came from and must not hold back deleting the original.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rerun_of", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("rerun_from_task", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_column("rerun_from_task")
        batch_op.drop_column("rerun_of")
