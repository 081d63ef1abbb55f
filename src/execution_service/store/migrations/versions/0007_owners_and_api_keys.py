"""owners and API keys; an owner on every graph and execution

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 03:00:00.000000

Every graph and execution now belongs to an owner (a tenant), the owner of the API key
that made it. Rows made before owners existed belong to the owner ``local``.

The two listing indexes lead with the owner, since every listing is one owner's:
``(created_at, id)`` becomes ``(owner, created_at, id)`` and ``(status, created_at, id)``
becomes ``(owner, status, created_at, id)`` (which also counts an owner's active
executions). The reaper's lookups by status keep ``(status, finished_at)``. The table
keeps as many indexes as before, so a status change costs what it did.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

LOCAL_OWNER = "local"


def upgrade() -> None:
    op.create_table(
        "owners",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("max_active_executions", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.execute(
        sa.text(
            "INSERT INTO owners (name, created_at) VALUES (:name, CURRENT_TIMESTAMP)"
        ).bindparams(name=LOCAL_OWNER)
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("admin", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["owner"], ["owners.name"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
    )
    op.create_index("ix_api_keys_owner", "api_keys", ["owner"], unique=False)
    with op.batch_alter_table("graphs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("owner", sa.String(length=200), nullable=False, server_default=LOCAL_OWNER)
        )
    with op.batch_alter_table("graphs", schema=None) as batch_op:
        batch_op.alter_column("owner", server_default=None)
        batch_op.create_foreign_key("fk_graphs_owner_owners", "owners", ["owner"], ["name"])
        batch_op.create_index("ix_graphs_owner", ["owner"], unique=False)
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("owner", sa.String(length=200), nullable=False, server_default=LOCAL_OWNER)
        )
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.alter_column("owner", server_default=None)
        batch_op.drop_index("ix_executions_created")
        batch_op.drop_index("ix_executions_status_created")
        batch_op.create_index("ix_executions_owner_created", ["owner", "created_at", "id"])
        batch_op.create_index(
            "ix_executions_owner_status_created", ["owner", "status", "created_at", "id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_index("ix_executions_owner_status_created")
        batch_op.drop_index("ix_executions_owner_created")
        batch_op.create_index("ix_executions_status_created", ["status", "created_at", "id"])
        batch_op.create_index("ix_executions_created", ["created_at", "id"])
        batch_op.drop_column("owner")
    with op.batch_alter_table("graphs", schema=None) as batch_op:
        batch_op.drop_index("ix_graphs_owner")
        batch_op.drop_constraint("fk_graphs_owner_owners", type_="foreignkey")
        batch_op.drop_column("owner")
    op.drop_index("ix_api_keys_owner", table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("owners")
