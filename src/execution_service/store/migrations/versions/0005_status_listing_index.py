"""status listing index

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 10:05:00.000000

Listing executions by status, newest first (``WHERE status = ? ORDER BY created_at DESC,
id DESC``), reads one page of this index instead of scanning the newest executions of
every status until a page of the wanted one is found.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_executions_status_created", ["status", "created_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_index("ix_executions_status_created")
