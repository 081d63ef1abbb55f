"""Plain, JSON-ready views of graphs, executions and history rows."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Row

from execution_service.store.models import Execution, ExecutionEvent, Graph


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def graph_view(graph: Graph) -> dict[str, Any]:
    return {
        "id": str(graph.id),
        "name": graph.name,
        "definition": graph.definition,
        "created_at": _iso(graph.created_at),
    }


def execution_view(execution: Execution | Row[Any] | SimpleNamespace) -> dict[str, Any]:
    """An execution's view, from its ORM object, a row of all its columns, or a
    namespace of them."""
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
    }


def event_view(event: ExecutionEvent) -> dict[str, Any]:
    return {
        "from_status": event.from_status,
        "status": event.to_status,
        "attempt": event.attempt,
        "at": _iso(event.at),
        "message": event.message,
        "details": event.details,
    }
