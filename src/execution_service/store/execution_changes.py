"""Changes a caller asks for: cancel an execution (or many), raise its priority."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterator

from execution_service.status import Status
from execution_service.store.engine import session_scope
from execution_service.store.models import Execution, utcnow
from execution_service.store.transitions import transition


def cancel(execution_id: uuid.UUID) -> tuple[bool, Execution | None]:
    """Move the execution to cancelled if it is not finished yet (a compare-and-set, so a
    racing completion and this cancel cannot both win). Returns whether this call moved
    it, and the execution as it is now (None when there is no such execution)."""
    with session_scope() as session:
        moved = transition(
            session,
            execution_id,
            Status.CANCELLED,
            values={"error_code": None},
            message="cancelled by request",
        )
        execution = session.get(Execution, execution_id)
        if execution is not None:
            session.refresh(execution)
        return moved is not None, execution


CANCEL_CHUNK = 100
"""Executions cancelled per transaction by :func:`cancel_many`: each one's row stays
locked until its transaction commits, so a worker moving one of them waits at most for
one chunk."""


def _chunks(ids: list[uuid.UUID], size: int) -> Iterator[list[uuid.UUID]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def cancel_many(ids: list[uuid.UUID], statuses: Collection[Status]) -> list[uuid.UUID]:
    """Move each execution to cancelled if it is still in one of ``statuses``: each one
    the usual compare-and-set with its history row, as :func:`cancel` (one that finished
    or moved on meanwhile is left as it is). Returns the ids this call moved."""
    expected = frozenset(statuses)
    moved: list[uuid.UUID] = []
    for chunk in _chunks(ids, CANCEL_CHUNK):
        with session_scope() as session:
            done = [
                execution_id
                for execution_id in chunk
                if transition(
                    session,
                    execution_id,
                    Status.CANCELLED,
                    expected=expected,
                    values={"error_code": None},
                    message="cancelled by request",
                )
                is not None
            ]
        moved.extend(done)  # committed
    return moved


def change_priority(
    execution_id: uuid.UUID, decide: Callable[[Execution], str | None]
) -> Execution | None:
    """Under the execution's row lock, ``decide`` looks at it and returns its new
    priority (or None: unchanged; or raises to refuse). The new priority is committed
    only after ``decide`` returned, so whatever ``decide`` does (publishing the second
    message) happens before anyone sees the change. None when there is no such execution.
    """
    with session_scope() as session:
        execution = session.get(Execution, execution_id, with_for_update=True)
        if execution is None:
            return None
        priority = decide(execution)
        if priority is not None:
            execution.priority = priority
            # its second message, at the new priority, was just sent (redispatch_rule.py)
            execution.dispatched_at = utcnow()
        return execution
