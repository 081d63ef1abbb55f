"""What re-dispatching reads and writes: executions waiting for a worker, when their
messages were sent, and the evidence that the queue moved past them (the rule itself is
``execution_service/redispatch_rule.py``; the sweep, ``worker/reaper.py``).

What it costs. Each execution: one more entry in the partial index
``ix_executions_awaiting_dispatch`` when it is queued (and one per move to retrying or
re-send); its start, progress and end add none. Each reaper round: two index reads
(is anything owed; the oldest waiting one's ``dispatched_at``) and, only when something
has waited longer than the bound, the broker's queue length, one grouped read of the
running executions and those finished in the last few seconds, and one read of the
executions counted as lost. Several reapers at once send each lost execution once: the
re-send is a compare-and-set on ``dispatched_at`` (:func:`claim`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select, update

from execution_service.priorities import PRIORITY_RANK, Priority
from execution_service.redispatch_rule import Waiting
from execution_service.status import Status
from execution_service.store.engine import read_scope, session_scope
from execution_service.store.models import Execution

_AWAITING = Execution.status.in_((Status.QUEUED.value, Status.RETRYING.value))


def owed_or_oldest() -> tuple[bool, datetime | None]:
    """Whether a waiting execution is owed a message (the broker refused it), and the
    earliest ``dispatched_at`` among the waiting ones (None: none waits)."""
    with read_scope() as session:
        owed = session.execute(
            select(Execution.id).where(_AWAITING, Execution.dispatched_at.is_(None)).limit(1)
        ).first()
        oldest = session.execute(
            select(func.min(Execution.dispatched_at)).where(_AWAITING)
        ).scalar_one()
    return owed is not None, oldest


def passed_marks(finished_since: datetime, started_until: datetime) -> dict[Priority, datetime]:
    """For each priority, the latest ``dispatched_at`` among first attempts that started
    no later than ``started_until``: running ones, and those that finished (completed or
    failed) after ``finished_since`` and no later than ``started_until``."""
    started = or_(
        and_(Execution.status == Status.RUNNING.value, Execution.started_at <= started_until),
        and_(
            Execution.status.in_((Status.COMPLETED.value, Status.FAILED.value)),
            Execution.finished_at > finished_since,
            Execution.finished_at <= started_until,
        ),
    )
    query = (
        select(Execution.priority, func.max(Execution.dispatched_at))
        .where(started, Execution.attempt == 1, Execution.dispatched_at.is_not(None))
        .group_by(Execution.priority)
    )
    with read_scope() as session:
        return {Priority(priority): at for priority, at in session.execute(query) if at}


_RANK = case(
    {priority.value: rank for priority, rank in PRIORITY_RANK.items()},
    value=Execution.priority,
    else_=0,
)


def waiting_before(lost_before: Mapping[Priority, datetime], limit: int) -> list[Waiting]:
    """Waiting executions owed a message or sent no later than their priority's cutoff
    (``lost_before``), most urgent first and oldest first within a priority, at most
    ``limit``."""
    sent_before = [
        and_(Execution.priority == priority.value, Execution.dispatched_at <= cutoff)
        for priority, cutoff in lost_before.items()
    ]
    query = (
        select(
            Execution.id,
            Execution.status,
            Execution.priority,
            Execution.attempt,
            Execution.timeout_seconds,
            Execution.created_at,
            Execution.dispatched_at,
            Execution.redispatches,
        )
        .where(_AWAITING, or_(Execution.dispatched_at.is_(None), *sent_before))
        .order_by(_RANK.desc(), Execution.created_at, Execution.id)
        .limit(limit)
    )
    with read_scope() as session:
        return [
            Waiting(
                row.id,
                row.status,
                Priority(row.priority),
                row.attempt,
                row.timeout_seconds,
                row.created_at,
                row.dispatched_at,
                row.redispatches,
            )
            for row in session.execute(query)
        ]


def claim(due: Iterable[Waiting], now: datetime) -> list[Waiting]:
    """Record that each execution is being sent again at ``now``, if it still waits as it
    was read (the same status, attempt count and ``dispatched_at``: a compare-and-set, so
    of several reapers exactly one claims it); the claimed ones, in the order given."""
    claimed: list[Waiting] = []
    with session_scope() as session:
        for one in due:
            moved = session.execute(
                update(Execution)
                .where(
                    Execution.id == one.execution_id,
                    Execution.status == one.status,
                    Execution.attempt == one.attempt,
                    Execution.dispatched_at.is_not_distinct_from(one.dispatched_at),
                )
                .values(dispatched_at=now, redispatches=Execution.redispatches + 1)
                .returning(Execution.id)
                .execution_options(synchronize_session=False)
            ).first()
            if moved is not None:
                claimed.append(one)
    return claimed


def mark_owed(sent: Iterable[tuple[uuid.UUID, datetime]]) -> int:
    """The broker refused these messages (execution id, the ``dispatched_at`` recorded for
    it): each execution still waiting with that ``dispatched_at`` is owed one (sent at
    the reaper's next round). How many were marked."""
    marked = 0
    with session_scope() as session:
        for execution_id, at in sent:
            moved = session.execute(
                update(Execution)
                .where(Execution.id == execution_id, _AWAITING, Execution.dispatched_at == at)
                .values(dispatched_at=None)
                .returning(Execution.id)
                .execution_options(synchronize_session=False)
            ).first()
            marked += moved is not None
    return marked
