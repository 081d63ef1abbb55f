"""webhooks: an execution's webhooks, the owners' signing secrets, the deliveries

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 10:00:00.000000

``executions.webhooks``: where to deliver which events (None: nowhere);
``executions.webhooks_announced_at``: when the deliveries of its final event were made.
``ix_executions_webhooks_unannounced`` is partial: executions without webhooks never
enter it, so they pay nothing for it. ``owners.webhook_secret``: the owner's signing
secret. ``webhook_deliveries``: one row per message to one webhook, its tries in
``attempts``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UNANNOUNCED_SQL = "webhooks IS NOT NULL AND webhooks_announced_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("owners", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_secret", sa.String(length=100), nullable=True))
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhooks", sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(
            sa.Column("webhooks_announced_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_index(
        "ix_executions_webhooks_unannounced",
        "executions",
        ["finished_at"],
        unique=False,
        postgresql_where=sa.text(UNANNOUNCED_SQL),
        sqlite_where=sa.text(UNANNOUNCED_SQL),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=80), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.JSON(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("round_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["execution_id"], ["executions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index(
        "ix_webhook_deliveries_execution",
        "webhook_deliveries",
        ["execution_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_webhook_deliveries_pending",
        "webhook_deliveries",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_pending", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_execution", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_executions_webhooks_unannounced", table_name="executions")
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_column("webhooks_announced_at")
        batch_op.drop_column("webhooks")
    with op.batch_alter_table("owners", schema=None) as batch_op:
        batch_op.drop_column("webhook_secret")
