"""leaner execution indexes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 12:05:00.000000

Every status change of an execution writes a new row version, and PostgreSQL adds an
entry for it to every index of the table (an update of an indexed column cannot be a
HOT update). Two indexes were paid for on every move without being needed:

* ``(status, priority)``: the queued count by priority is read through
  ``ix_executions_status_created`` (status first) as well;
* ``(status, heartbeat_at)``: only running executions are looked up by heartbeat, and
  they are few (at most one per worker slot).

Without ``(status, heartbeat_at)``, a progress or heartbeat write changes no indexed
column and can be a HOT update.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_index("ix_executions_status_priority")
        batch_op.drop_index("ix_executions_status_heartbeat")


def downgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.create_index("ix_executions_status_heartbeat", ["status", "heartbeat_at"])
        batch_op.create_index("ix_executions_status_priority", ["status", "priority"])
