"""metric totals: ended executions folded into totals for GET /metrics

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 06:00:00.000000

``execution_totals``: one row per (status, priority, error code) with the count of
ended executions, their retries, their queue-wait and run-time histograms and their model
calls' tokens, as of
``metrics_fold.folded_until``. Only scrapes write them (``store/metric_reads.py``): an
execution's moves write nothing more, and no index is added to ``executions`` (a scrape
reads the executions ended since ``folded_until`` through ``ix_executions_status_finished``).

``metrics_fold``: its one row (id 1) says up to when the totals are folded, with which
histogram bounds; a scrape locks it while it folds, so two API processes never count an
execution twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from execution_service.store.models import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "execution_totals",
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("error_code", sa.String(length=60), nullable=False),
        sa.Column("executions", sa.Integer(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("queue_wait_counts", sa.JSON(), nullable=False),
        sa.Column("queue_wait_sum", sa.Double(), nullable=False),
        sa.Column("run_counts", sa.JSON(), nullable=False),
        sa.Column("run_sum", sa.Double(), nullable=False),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=False),
        sa.Column("completion_tokens", sa.BigInteger(), nullable=False),
        sa.Column("model_calls", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("status", "priority", "error_code"),
    )
    op.create_table(
        "metrics_fold",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("folded_until", UTCDateTime(), nullable=True),
        sa.Column("buckets", sa.JSON(), nullable=True),
        sa.Column("scraped_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    # the one row, so that the first scrapes (several API processes) only update it
    op.execute("INSERT INTO metrics_fold (id) VALUES (1)")


def downgrade() -> None:
    op.drop_table("metrics_fold")
    op.drop_table("execution_totals")
