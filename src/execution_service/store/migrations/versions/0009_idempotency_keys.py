"""idempotency keys of queue requests

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00.000000

``POST /api/v1/graphs/{id}/executions`` takes an ``Idempotency-Key`` header: the same
key from the same owner makes one execution. The table ``idempotency_keys`` holds each
key (its primary key is (owner, key): the constraint that makes a second insert of one
key conflict), the digest of the request that used it, and its execution.

A table of its own, not columns of ``executions``: every status change of an execution
adds an entry to every index of ``executions`` (see 0006), so a unique index there
would be paid for on each move of a keyed execution; here a key costs one row and one
primary-key entry when it is queued, and nothing after. Executions queued without a key
cost nothing. ``ix_idempotency_keys_created`` finds the keys past their keeping time.

The foreign key to the execution is checked at commit (DEFERRABLE INITIALLY DEFERRED):
the key is inserted first, in the same transaction, and only the requests whose key
went in make an execution.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name="fk_idempotency_keys_execution",
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.PrimaryKeyConstraint("owner", "key"),
    )
    op.create_index("ix_idempotency_keys_created", "idempotency_keys", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_created", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
