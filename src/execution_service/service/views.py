"""Plain, JSON-ready views of graphs, executions and history rows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

from execution_service.store.models import ExecutionEvent, Graph
from execution_service.usage import Usage, summary


class ExecutionColumns(Protocol):
    """What an execution's view reads: an ORM object, a row of all its columns, or a
    namespace of them all fit."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def graph_id(self) -> uuid.UUID: ...
    @property
    def status(self) -> str: ...
    @property
    def priority(self) -> str: ...
    @property
    def inputs(self) -> dict[str, Any]: ...
    @property
    def timeout_seconds(self) -> float | None: ...
    @property
    def attempt(self) -> int: ...
    @property
    def max_attempts(self) -> int: ...
    @property
    def progress_percent(self) -> float: ...
    @property
    def current_task(self) -> str | None: ...
    @property
    def progress_message(self) -> str | None: ...
    @property
    def result(self) -> dict[str, Any] | None: ...
    @property
    def outputs(self) -> dict[str, Any] | None: ...
    @property
    def error_code(self) -> str | None: ...
    @property
    def error_category(self) -> str | None: ...
    @property
    def error_message(self) -> str | None: ...
    @property
    def error_retryable(self) -> bool | None: ...
    @property
    def error_details(self) -> dict[str, Any] | None: ...
    @property
    def worker(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def started_at(self) -> datetime | None: ...
    @property
    def finished_at(self) -> datetime | None: ...
    @property
    def heartbeat_at(self) -> datetime | None: ...
    @property
    def deadline_at(self) -> datetime | None: ...
    @property
    def queue_deadline_at(self) -> datetime | None: ...
    @property
    def stopped_at(self) -> datetime | None: ...
    @property
    def user_metadata(self) -> dict[str, Any] | None: ...
    @property
    def usage(self) -> dict[str, Any] | None: ...
    @property
    def budget(self) -> dict[str, Any] | None: ...
    @property
    def rerun_of(self) -> uuid.UUID | None: ...
    @property
    def rerun_from_task(self) -> str | None: ...


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def graph_view(graph: Graph) -> dict[str, Any]:
    return {
        "id": str(graph.id),
        "name": graph.name,
        "definition": graph.definition,
        "created_at": _iso(graph.created_at),
    }


def usage_view(doc: dict[str, Any] | None) -> dict[str, Any]:
    """An execution's usage as shown: its counts, by task, by agent and by model, and its
    estimated cost when every model it used has a price (zeros before any call)."""
    return doc if doc else Usage().document()


def execution_view(execution: ExecutionColumns, *, total_only: bool = False) -> dict[str, Any]:
    """An execution's view, from its ORM object, a row of all its columns, or a
    namespace of them; ``total_only``: its usage as a total (listings)."""
    error = None
    if execution.error_code is not None:
        details = execution.error_details or {}
        error = {
            "code": execution.error_code,
            "category": execution.error_category,
            "message": execution.error_message,
            "retryable": execution.error_retryable,
            "task": details.get("task"),
            "attempt": details.get("attempt"),
            "retry_after_seconds": details.get("retry_after_seconds"),
        }
    return {
        "id": str(execution.id),
        "graph_id": str(execution.graph_id),
        "status": execution.status,
        "priority": execution.priority,
        "inputs": execution.inputs,
        "metadata": execution.user_metadata or {},
        "timeout_seconds": execution.timeout_seconds,
        "attempt": execution.attempt,
        "max_attempts": execution.max_attempts,
        "progress": {
            "percent": round(execution.progress_percent, 2),
            "current_task": execution.current_task,
            "message": execution.progress_message,
        },
        "result": execution.result,
        "outputs": (execution.outputs or {}).get("tasks", []),
        "error": error,
        "worker": execution.worker,
        "created_at": _iso(execution.created_at),
        "started_at": _iso(execution.started_at),
        "finished_at": _iso(execution.finished_at),
        "heartbeat_at": _iso(execution.heartbeat_at),
        "deadline_at": _iso(execution.deadline_at),
        "queue_deadline_at": _iso(execution.queue_deadline_at),
        "stopped_at": _iso(execution.stopped_at),
        "usage": summary(execution.usage) if total_only else usage_view(execution.usage),
        "budget": execution.budget,
        "rerun_of": _rerun_of(execution),
        "rerun_from_task": getattr(execution, "rerun_from_task", None),
    }


def _rerun_of(execution: ExecutionColumns) -> str | None:
    # getattr: a view made of fewer columns (a test's namespace) is no rerun
    rerun_of = getattr(execution, "rerun_of", None)
    return str(rerun_of) if rerun_of is not None else None


def event_view(event: ExecutionEvent) -> dict[str, Any]:
    return {
        "from_status": event.from_status,
        "status": event.to_status,
        "attempt": event.attempt,
        "at": _iso(event.at),
        "message": event.message,
        "details": event.details,
    }
