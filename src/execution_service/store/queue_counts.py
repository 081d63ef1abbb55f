"""The counts behind the queue statistics.

By status and queued by priority: the sums of the counts the triggers of migration
0016 keep in ``execution_counts`` (a few rows per owner, however many executions are
stored); the oldest queued and the last minute's ends: index range reads of the few
rows concerned; the workers online beside them, in the same round trip."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, text

from execution_service.status import Status
from execution_service.store import usage_records
from execution_service.store.engine import read, session_scope
from execution_service.store.models import Execution, ExecutionCount, Worker


@dataclass(frozen=True)
class QueueCounts:
    by_status: dict[str, int]
    queued_by_priority: dict[str, int]
    oldest_queued_at: datetime | None
    # completed and failed executions that finished at or after ``since``
    finished_since: dict[str, int]
    # tokens the owner's executions used at or after ``since`` (store/usage_records.py)
    tokens_since: int = 0
    # workers seen at or after ``workers_since``, and their pool slots in all
    workers_online: int = 0
    worker_slots: int = 0


_KEPT = (
    select(ExecutionCount.status, ExecutionCount.priority, func.sum(ExecutionCount.count))
    .where(ExecutionCount.owner == bindparam("owner"))
    .group_by(ExecutionCount.status, ExecutionCount.priority)
)


def _finished(status: Status) -> Any:
    return (
        select(func.count())
        .where(
            Execution.owner == bindparam("owner"),
            Execution.status == status.value,
            Execution.finished_at >= bindparam("since"),
        )
        .scalar_subquery()
    )


# everything else in one row, one round trip: each part an index lookup or range read
_THE_REST = select(
    select(func.min(Execution.created_at))
    .where(Execution.owner == bindparam("owner"), Execution.status == Status.QUEUED.value)
    .scalar_subquery(),
    _finished(Status.COMPLETED),
    _finished(Status.FAILED),
    usage_records.tokens_since(bindparam("owner"), bindparam("since")).scalar_subquery(),
    select(func.count()).where(Worker.last_seen_at >= bindparam("workers_since")).scalar_subquery(),
    select(func.coalesce(func.sum(Worker.concurrency), 0))
    .where(Worker.last_seen_at >= bindparam("workers_since"))
    .scalar_subquery(),
)


def queue_counts(owner: str, since: datetime, workers_since: datetime) -> QueueCounts:
    """The owner's executions, counted; and the workers seen since ``workers_since``.

    Two statements on one plain connection (the statistics are read often, by
    dashboards): the kept counts, and one row of everything else."""
    params = {"owner": owner, "since": since, "workers_since": workers_since}

    def counted(conn: Connection) -> QueueCounts:
        kept = conn.execute(_KEPT, params).all()
        by_status, queued_by_priority = summed(
            [(status, priority, int(count)) for status, priority, count in kept]
        )
        oldest, completed, failed, tokens, workers, slots = conn.execute(_THE_REST, params).one()
        finished = {Status.COMPLETED.value: int(completed), Status.FAILED.value: int(failed)}
        return QueueCounts(
            by_status,
            queued_by_priority,
            oldest,
            {status: count for status, count in finished.items() if count},
            int(tokens),
            int(workers),
            int(slots),
        )

    return read(counted)


def fold_counts() -> None:
    """Merge the kept counts of PostgreSQL sessions that are gone into one row per owner,
    status and priority (``execution_counts_fold()``, migration 0016): each session
    writes rows of its own, so without this the rows a statistics read sums would grow
    with every connection ever opened. Nothing to do on SQLite (one shard). Safe beside
    a concurrent fold (the DELETE's row locks let one of them take each row)."""
    with session_scope() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT execution_counts_fold()"))


def summed(kept: list[tuple[str, str, int]]) -> tuple[dict[str, int], dict[str, int]]:
    """(status, priority, count) rows, as counts by status and queued counts by priority
    (statuses and priorities whose count is zero left out)."""
    by_status: dict[str, int] = {}
    queued_by_priority: dict[str, int] = {}
    for status, priority, count in kept:
        by_status[status] = by_status.get(status, 0) + count
        if status == Status.QUEUED.value:
            queued_by_priority[priority] = queued_by_priority.get(priority, 0) + count
    return (
        {k: v for k, v in by_status.items() if v},
        {k: v for k, v in queued_by_priority.items() if v},
    )
