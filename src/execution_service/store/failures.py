"""How an execution's error is recorded: the error columns of its row, and the details
of the history row that records the failure. Every writer of an error uses these, and
:func:`end_with_error` is the write itself for a move that ends an execution with one
(the watcher at a deadline, the reaper, a retry that could not be queued)."""

from __future__ import annotations

import uuid
from typing import Any

from execution_service.errors.codes import ErrorInfo
from execution_service.status import Status
from execution_service.store.engine import write
from execution_service.store.transitions import transition_on


def error_columns(info: ErrorInfo, attempt: int | None) -> dict[str, Any]:
    return {
        "error_code": info.code,
        "error_category": info.category.value,
        "error_message": info.message,
        "error_retryable": info.retryable,
        "error_details": {
            "task": info.task,
            "attempt": attempt,
            "retry_after_seconds": info.retry_after_seconds,
        },
    }


def error_history(info: ErrorInfo, **extra: Any) -> dict[str, Any]:
    return {
        "code": info.code,
        "category": info.category.value,
        "task": info.task,
        "detail": info.detail,
        **extra,
    }


def end_with_error(
    execution_id: uuid.UUID,
    target: Status,
    info: ErrorInfo,
    expected: frozenset[Status],
    attempt: int | None = None,
    **details: Any,
) -> bool:
    """Move an execution from one of ``expected`` to a failed/timed-out ``target`` with
    ``info`` as its error (``details`` go to the history row); whether it moved.

    One compare-and-set in autocommit on PostgreSQL (see
    :func:`~execution_service.store.engine.write`), run once more on a fresh connection
    when the one it got was broken."""
    moved = write(
        lambda conn: transition_on(
            conn,
            execution_id,
            target,
            expected=expected,
            values=error_columns(info, attempt),
            message=info.message,
            details=error_history(info, **details),
        )
    )
    return moved is not None
