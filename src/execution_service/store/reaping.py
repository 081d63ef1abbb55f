"""What the reaper reads and moves: overdue executions, and those whose worker was lost.

Several reapers may run at once (one per worker process): every move here is a
compare-and-set from the status that was read, so of two reapers (or a reaper and a
worker) moving the same execution exactly one wins.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select

from execution_service.errors.codes import ErrorCode, error_info
from execution_service.status import Status
from execution_service.store.engine import read_scope, session_scope
from execution_service.store.failures import end_with_error, error_columns, error_history
from execution_service.store.models import Execution, utcnow
from execution_service.store.transitions import transition


def time_out_overdue(at: datetime, running_grace_seconds: float) -> int:
    """Move to timed out, as of ``at``: queued executions past their queue deadline
    (``QUEUE_TIMEOUT``), executions waiting between attempts past their deadline, and
    running ones more than ``running_grace_seconds`` past it (``EXECUTION_TIMEOUT``).
    Returns how many it moved."""
    overdue: tuple[tuple[Status, ColumnElement[bool], ErrorCode], ...] = (
        (Status.QUEUED, Execution.queue_deadline_at <= at, ErrorCode.QUEUE_TIMEOUT),
        (Status.RETRYING, Execution.deadline_at <= at, ErrorCode.EXECUTION_TIMEOUT),
        (
            Status.RUNNING,
            Execution.deadline_at <= at - timedelta(seconds=running_grace_seconds),
            ErrorCode.EXECUTION_TIMEOUT,
        ),
    )
    moved = 0
    for status, condition, code in overdue:
        query = select(Execution.id, Execution.attempt).where(
            Execution.status == status.value, condition
        )
        with read_scope() as session:
            rows = [(row.id, row.attempt) for row in session.execute(query)]
        for ident, attempt in rows:
            info = error_info(code)
            moved += end_with_error(
                ident, Status.TIMED_OUT, info, frozenset({status}), attempt or None, by="reaper"
            )
    return moved


@dataclass(frozen=True)
class LostExecution:
    """A running execution whose worker stopped sending heartbeats."""

    execution_id: uuid.UUID
    attempt: int
    max_attempts: int
    priority: str
    timeout_seconds: float | None

    @property
    def may_retry(self) -> bool:
        """Whether its retry policy allows another attempt."""
        return self.attempt < self.max_attempts


def lost_executions(at: datetime, heartbeat_timeout: float) -> list[LostExecution]:
    """Running executions with no heartbeat in the ``heartbeat_timeout`` seconds before
    ``at``."""
    silent = at - timedelta(seconds=heartbeat_timeout)
    query = select(
        Execution.id,
        Execution.attempt,
        Execution.max_attempts,
        Execution.priority,
        Execution.timeout_seconds,
    ).where(Execution.status == Status.RUNNING.value, Execution.heartbeat_at < silent)
    with read_scope() as session:
        return [LostExecution(*row) for row in session.execute(query)]


def retry_lost(lost: LostExecution) -> bool:
    """Move a lost execution to retrying with ``WORKER_LOST`` as its error, its next
    attempt due at once (the caller queues it); whether it moved."""
    info = error_info(ErrorCode.WORKER_LOST)
    with session_scope() as session:
        again = transition(
            session,
            lost.execution_id,
            Status.RETRYING,
            expected=frozenset({Status.RUNNING}),
            # its message is sent right after (see redispatch_rule.py)
            values={**error_columns(info, lost.attempt), "dispatched_at": utcnow()},
            message=f"{info.message} Queued again.",
            details=error_history(info, delay_seconds=0.0, by="reaper"),
        )
    return again is not None


def fail_lost(lost: LostExecution) -> bool:
    """Move a lost execution that may not retry to failed with ``WORKER_LOST``."""
    info = error_info(ErrorCode.WORKER_LOST)
    return end_with_error(
        lost.execution_id,
        Status.FAILED,
        info,
        frozenset({Status.RUNNING}),
        lost.attempt,
        by="reaper",
    )
