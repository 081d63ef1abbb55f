"""execution counts: the queue statistics read kept counts instead of counting every row

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 06:00:00.000000

``execution_counts``: how many executions each owner has in each (status, priority),
kept by triggers on ``executions`` in the same transaction as every insert, status or
priority change and delete, whichever code (or person) makes it. The queue statistics
sum these few rows instead of counting an owner's executions by status, which read
every stored execution of the owner's (45 ms at 100,000 stored, growing with them).

Contention: on PostgreSQL each row of counts belongs to the database session that wrote
it (``shard`` = ``pg_backend_pid()``), so two transactions never wait on, nor deadlock
over, the same counter row: an owner's counts are the sum over shards. The rows of
sessions gone stay (a sum is a sum whichever shard holds it); ``execution_counts_fold()``
merges them into shard 0, for an operator or a scheduled job to run when the table has
grown (one row per session, owner, status and priority). SQLite has one writer at a
time: shard 0 always.

Triggers rather than writes in each store module: a status changes in a dozen
statements (queueing, starts and ends prebuilt for psycopg, the reaper, re-dispatch,
cancels, the tests' and the benchmark's own SQL), and a count missed by one of them
would be wrong forever. On PostgreSQL inserts and deletes are counted once per
statement (transition tables: a batch of 64 admissions or a bulk seed is one upsert per
owner, status and priority), status and priority changes once per changed row (the
trigger's ``WHEN`` skips heartbeats and progress updates).

Cost: nothing measurable per status change in its own transaction (5,000 autocommit
updates, triggers on and off alternately: within the noise of the commit), and no
visible change of the bench's rates in three alternating A/B rounds. One transaction
that changes the status of many executions pays more per change as it goes (each change
adds a version of the same counter row, which cannot be pruned before the transaction
ends: 20,000 in one transaction took 2.9 ms each against 0.2 ms without the trigger).
The service's own transactions change one execution each (the reaper, cancels, workers)
or insert a batch (counted once per statement); a bulk status change by hand should be
cut into transactions of a few thousand rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_KEY = "owner, status, priority, shard"

_PG_UPSERT = f"""
ON CONFLICT ({_KEY}) DO UPDATE SET count = execution_counts.count + excluded.count
"""

_PG = [
    f"""
    CREATE FUNCTION execution_counts_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO execution_counts ({_KEY}, count)
        SELECT owner, status, priority, pg_backend_pid(), count(*) FROM counted_rows
        GROUP BY owner, status, priority ORDER BY owner, status, priority
        {_PG_UPSERT};
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE FUNCTION execution_counts_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO execution_counts ({_KEY}, count)
        SELECT owner, status, priority, pg_backend_pid(), -count(*) FROM counted_rows
        GROUP BY owner, status, priority ORDER BY owner, status, priority
        {_PG_UPSERT};
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE FUNCTION execution_counts_moved() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- one statement, two rows (never the same: the trigger's WHEN sees to it)
        INSERT INTO execution_counts ({_KEY}, count)
        VALUES (OLD.owner, OLD.status, OLD.priority, pg_backend_pid(), -1),
               (NEW.owner, NEW.status, NEW.priority, pg_backend_pid(), 1)
        {_PG_UPSERT};
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE FUNCTION execution_counts_fold() RETURNS void LANGUAGE sql AS $$
        WITH gone AS (
            DELETE FROM execution_counts
            WHERE shard <> 0 AND shard NOT IN (SELECT pid FROM pg_stat_activity)
            RETURNING owner, status, priority, count
        )
        INSERT INTO execution_counts ({_KEY}, count)
        SELECT owner, status, priority, 0, sum(count) FROM gone
        GROUP BY owner, status, priority
        {_PG_UPSERT};
    $$
    """,
    """
    CREATE TRIGGER executions_counted_in AFTER INSERT ON executions
    REFERENCING NEW TABLE AS counted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION execution_counts_added()
    """,
    """
    CREATE TRIGGER executions_counted_out AFTER DELETE ON executions
    REFERENCING OLD TABLE AS counted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION execution_counts_removed()
    """,
    """
    CREATE TRIGGER executions_counted_moved AFTER UPDATE OF owner, status, priority
    ON executions FOR EACH ROW
    WHEN ((OLD.owner, OLD.status, OLD.priority) IS DISTINCT FROM
          (NEW.owner, NEW.status, NEW.priority))
    EXECUTE FUNCTION execution_counts_moved()
    """,
]

_SQLITE_UPSERT = f"ON CONFLICT ({_KEY}) DO UPDATE SET count = count + excluded.count"

_SQLITE = [
    f"""
    CREATE TRIGGER executions_counted_in AFTER INSERT ON executions BEGIN
        INSERT INTO execution_counts ({_KEY}, count)
        VALUES (NEW.owner, NEW.status, NEW.priority, 0, 1) {_SQLITE_UPSERT};
    END
    """,
    f"""
    CREATE TRIGGER executions_counted_out AFTER DELETE ON executions BEGIN
        INSERT INTO execution_counts ({_KEY}, count)
        VALUES (OLD.owner, OLD.status, OLD.priority, 0, -1) {_SQLITE_UPSERT};
    END
    """,
    f"""
    CREATE TRIGGER executions_counted_moved AFTER UPDATE OF owner, status, priority
    ON executions
    WHEN OLD.owner IS NOT NEW.owner OR OLD.status IS NOT NEW.status
         OR OLD.priority IS NOT NEW.priority
    BEGIN
        INSERT INTO execution_counts ({_KEY}, count)
        VALUES (OLD.owner, OLD.status, OLD.priority, 0, -1) {_SQLITE_UPSERT};
        INSERT INTO execution_counts ({_KEY}, count)
        VALUES (NEW.owner, NEW.status, NEW.priority, 0, 1) {_SQLITE_UPSERT};
    END
    """,
]


def upgrade() -> None:
    op.create_table(
        "execution_counts",
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("owner", "status", "priority", "shard"),
    )
    for statement in _PG if op.get_bind().dialect.name == "postgresql" else _SQLITE:
        op.execute(statement)
    op.execute(
        f"INSERT INTO execution_counts ({_KEY}, count) "
        "SELECT owner, status, priority, 0, count(*) FROM executions "
        "GROUP BY owner, status, priority"
    )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for trigger in ("executions_counted_in", "executions_counted_out", "executions_counted_moved"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (" ON executions" if postgresql else ""))
    if postgresql:
        for function in ("added", "removed", "moved", "fold"):
            op.execute(f"DROP FUNCTION IF EXISTS execution_counts_{function}()")
    op.drop_table("execution_counts")
