"""The counts behind the queue statistics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from execution_service.status import Status
from execution_service.store import usage_records
from execution_service.store.engine import read_scope
from execution_service.store.models import Execution


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
        by_status = dict(
            session.execute(
                select(Execution.status, func.count()).where(mine).group_by(Execution.status)
            ).all()
        )
        queued_by_priority = dict(
            session.execute(
                select(Execution.priority, func.count())
                .where(mine, queued)
                .group_by(Execution.priority)
            ).all()
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
