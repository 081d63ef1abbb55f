"""How an execution's error is recorded: the error columns of its row, and the details
of the history row that records the failure. Every writer of an error uses these."""

from __future__ import annotations

from typing import Any

from execution_service.errors.codes import ErrorInfo


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
