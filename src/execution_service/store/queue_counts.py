"""The counts behind the queue statistics.

By status and queued by priority: the sums of the counts the triggers of migration
0016 keep in ``execution_counts`` (a few rows per owner, however many executions are
stored); the oldest queued and the last minute's ends: index range reads of the few
rows concerned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text

from execution_service.status import Status
from execution_service.store import usage_records
from execution_service.store.engine import read_scope, session_scope
from execution_service.store.models import Execution, ExecutionCount


@dataclass(frozen=True)
class QueueCounts:
    by_status: dict[str, int]
    queued_by_priority: dict[str, int]
    oldest_queued_at: datetime | None
    # completed and failed executions that finished at or after ``since``
    finished_since: dict[str, int]
    # tokens the owner's executions used at or after ``since`` (store/usage_records.py)
    tokens_since: int = 0


def queue_counts(owner: str, since: datetime) -> QueueCounts:
    """The owner's executions, counted."""
    mine = Execution.owner == owner
    queued = Execution.status == Status.QUEUED.value
    with read_scope() as session:
        kept = session.execute(
            select(ExecutionCount.status, ExecutionCount.priority, func.sum(ExecutionCount.count))
            .where(ExecutionCount.owner == owner)
            .group_by(ExecutionCount.status, ExecutionCount.priority)
        ).all()
        by_status, queued_by_priority = summed(
            [(status, priority, int(count)) for status, priority, count in kept]
        )
        oldest = session.execute(
            select(func.min(Execution.created_at)).where(mine, queued)
        ).scalar_one_or_none()
        finished = dict(
            session.execute(
                select(Execution.status, func.count())
                .where(
                    mine,
                    Execution.status.in_([Status.COMPLETED.value, Status.FAILED.value]),
                    Execution.finished_at >= since,
                )
                .group_by(Execution.status)
            ).all()
        )
        tokens = int(session.execute(usage_records.tokens_since(owner, since)).scalar_one())
    return QueueCounts(by_status, queued_by_priority, oldest, finished, tokens)


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
