"""The execution status machine and its compare-and-set transitions.

Every transition is one conditional UPDATE (``WHERE status = <the status read>``)
plus its history row, in the same transaction: of two racing transitions
exactly one wins, and the history shows exactly that one.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .models import Execution, ExecutionEvent, utcnow


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


TERMINAL: frozenset[Status] = frozenset(
    {Status.COMPLETED, Status.FAILED, Status.CANCELLED, Status.TIMED_OUT}
)
ACTIVE: frozenset[Status] = frozenset({Status.QUEUED, Status.RUNNING, Status.RETRYING})

ALLOWED: dict[Status, frozenset[Status]] = {
    Status.QUEUED: frozenset({Status.RUNNING, Status.CANCELLED, Status.TIMED_OUT, Status.FAILED}),
    Status.RUNNING: frozenset(
        {Status.COMPLETED, Status.FAILED, Status.CANCELLED, Status.TIMED_OUT, Status.RETRYING}
    ),
    Status.RETRYING: frozenset({Status.RUNNING, Status.CANCELLED, Status.TIMED_OUT, Status.FAILED}),
}


def can_move(source: str, target: str) -> bool:
    return Status(target) in ALLOWED.get(Status(source), frozenset())


def transition(
    session: Session,
    execution_id: uuid.UUID,
    target: Status,
    *,
    expected: frozenset[Status] | None = None,
    values: dict[str, Any] | None = None,
    message: str | None = None,
    details: dict[str, Any] | None = None,
) -> Status | None:
    """Move an execution to ``target`` if its current status allows it.

    ``expected`` narrows the statuses it may come from. Returns the status it
    came from, or ``None`` when the move was not allowed (or lost a race).
    """
    sources = frozenset(s for s, targets in ALLOWED.items() if target in targets)
    if expected is not None:
        sources &= expected
    now = utcnow()
    changes: dict[str, Any] = {"status": target.value, **(values or {})}
    if target in TERMINAL:
        changes.setdefault("finished_at", now)
    for _ in range(len(ALLOWED) + 1):
        current = session.execute(
            select(Execution.status).where(Execution.id == execution_id)
        ).scalar_one_or_none()
        if current is None or Status(current) not in sources:
            return None
        row = session.execute(
            update(Execution)
            .where(Execution.id == execution_id, Execution.status == current)
            .values(**changes)
            .returning(Execution.attempt)
        ).first()
        if row is None:
            continue  # somebody else moved it between our read and our write: look again
        session.add(
            ExecutionEvent(
                execution_id=execution_id,
                from_status=current,
                to_status=target.value,
                attempt=row.attempt,
                at=now,
                message=message,
                details=details,
            )
        )
        session.flush()
        return Status(current)
    return None


def record_creation(session: Session, execution: Execution, message: str | None = None) -> None:
    session.add(
        ExecutionEvent(
            execution_id=execution.id,
            from_status=None,
            to_status=execution.status,
            attempt=execution.attempt,
            at=execution.created_at,
            message=message,
        )
    )
