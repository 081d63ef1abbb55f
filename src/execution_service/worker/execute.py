"""Runs one attempt of one execution: the database row, not the message, decides.

Returns how long to wait before the next attempt when the attempt failed in a
way worth retrying; the Celery task then re-queues itself through the broker.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from .. import states
from ..breaker import get_breaker, provider_of
from ..config import get_settings
from ..db import read_scope, session_scope
from ..errors import PROVIDER_OUTAGE_CODES, CircuitOpen, ErrorInfo, classify
from ..graph_spec import GraphSpec
from ..models import Execution, Graph, utcnow
from ..retry import backoff_delay
from ..runners.base import (
    RunContext,
    Runner,
    RunResult,
    StopRequested,
    TaskResult,
    current_run,
    load_runner,
)
from ..states import Status

log = logging.getLogger(__name__)

_runners: dict[tuple[str, str], Runner] = {}


def get_runner() -> Runner:
    settings = get_settings()
    key = (settings.runner, settings.crewai_module)
    if key not in _runners:
        _runners[key] = load_runner(settings.runner, crewai_module=settings.crewai_module)
    return _runners[key]


class ExecutionHooks:
    """The runner's line back to the database for one attempt of one execution."""

    def __init__(self, execution_id: uuid.UUID, attempt: int) -> None:
        self.execution_id = execution_id
        self.attempt = attempt
        self.interval = get_settings().stop_check_interval
        self._checked_at = 0.0
        self._stop = False
        self.outputs: list[dict[str, Any]] = []

    def _mine(self) -> Any:
        return (
            (Execution.id == self.execution_id)
            & (Execution.status == Status.RUNNING.value)
            & (Execution.attempt == self.attempt)
        )

    def progress(
        self,
        percent: float,
        current_task: str | None,
        message: str | None,
        task_output: TaskResult | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "current_task": current_task,
            "progress_message": message,
            "heartbeat_at": utcnow(),
        }
        if task_output is not None:
            self.outputs.append(
                {"task": task_output.name, "agent": task_output.agent, "raw": task_output.raw}
            )
            values["outputs"] = {"tasks": list(self.outputs)}
        with session_scope() as session:
            session.execute(
                update(Execution)
                .where(self._mine(), Execution.progress_percent <= percent)
                .values(progress_percent=percent, **values)
            )

    def should_stop(self) -> bool:
        if self._stop:
            return True
        now = time.monotonic()
        if now - self._checked_at < self.interval:
            return False
        self._checked_at = now
        with read_scope() as session:
            status = session.execute(
                select(Execution.status).where(Execution.id == self.execution_id)
            ).scalar_one_or_none()
        self._stop = status != Status.RUNNING.value
        return self._stop


@dataclass(frozen=True)
class Attempt:
    execution_id: uuid.UUID
    number: int
    max_attempts: int
    spec: GraphSpec
    inputs: dict[str, Any]


def _start(execution_id: uuid.UUID, worker: str) -> Attempt | None:
    with session_scope() as session:
        moved = states.transition(
            session,
            execution_id,
            Status.RUNNING,
            expected=frozenset({Status.QUEUED, Status.RETRYING}),
            values={
                "attempt": Execution.attempt + 1,
                "worker": worker,
                "started_at": utcnow(),
                "heartbeat_at": utcnow(),
            },
            message=f"started on {worker}",
        )
        if moved is None:
            return None
        row = session.execute(
            select(Execution.attempt, Execution.max_attempts, Execution.inputs, Graph.definition)
            .join(Graph, Graph.id == Execution.graph_id)
            .where(Execution.id == execution_id)
        ).one()
    return Attempt(
        execution_id,
        row.attempt,
        row.max_attempts,
        GraphSpec.model_validate(row.definition),
        row.inputs,
    )


def _finish_ok(attempt: Attempt, result: RunResult) -> None:
    with session_scope() as session:
        states.transition(
            session,
            attempt.execution_id,
            Status.COMPLETED,
            expected=frozenset({Status.RUNNING}),
            values={
                "result": {"raw": result.raw},
                "outputs": {
                    "tasks": [
                        {"task": t.name, "agent": t.agent, "raw": t.raw} for t in result.tasks
                    ]
                },
                "progress_percent": 100.0,
                "current_task": None,
                "progress_message": "completed",
                "error_code": None,
                "error_category": None,
                "error_message": None,
                "error_retryable": None,
                "error_details": None,
            },
        )


def _error_values(info: ErrorInfo, attempt: Attempt) -> dict[str, Any]:
    return {
        "error_code": info.code,
        "error_category": info.category.value,
        "error_message": info.message,
        "error_retryable": info.retryable,
        "error_details": {
            "task": info.task,
            "attempt": attempt.number,
            "retry_after_seconds": info.retry_after_seconds,
        },
    }


def _history_details(info: ErrorInfo, **extra: Any) -> dict[str, Any]:
    return {
        "code": info.code,
        "category": info.category.value,
        "task": info.task,
        "detail": info.detail,
        **extra,
    }


def _finish_failed(attempt: Attempt, info: ErrorInfo) -> None:
    with session_scope() as session:
        states.transition(
            session,
            attempt.execution_id,
            Status.FAILED,
            expected=frozenset({Status.RUNNING}),
            values=_error_values(info, attempt),
            message=info.message,
            details=_history_details(info),
        )


def _to_retrying(attempt: Attempt, info: ErrorInfo, delay: float) -> bool:
    with session_scope() as session:
        moved = states.transition(
            session,
            attempt.execution_id,
            Status.RETRYING,
            expected=frozenset({Status.RUNNING}),
            values=_error_values(info, attempt),
            message=f"{info.message} Retrying in {delay:.2f} s.",
            details=_history_details(info, delay_seconds=delay),
        )
    return moved is not None


def _after_failure(attempt: Attempt, info: ErrorInfo) -> float | None:
    if info.retryable and attempt.number < attempt.max_attempts:
        policy = attempt.spec.settings.retry
        delay = backoff_delay(policy, attempt.number, info.retry_after_seconds)
        if _to_retrying(attempt, info, delay):
            return delay
        return None
    _finish_failed(attempt, info)
    return None


def run_execution(execution_id: str, worker: str) -> float | None:
    """Run one attempt; return the delay before the next attempt, or None if done."""
    ident = uuid.UUID(execution_id)
    attempt = _start(ident, worker)
    if attempt is None:
        log.info("execution %s is not waiting to run; message dropped", execution_id)
        return None
    breaker = get_breaker()
    circuit = provider_of(attempt.spec)
    decision = breaker.acquire(circuit)
    if not decision.allowed:
        return _after_failure(attempt, classify(CircuitOpen(circuit, decision.retry_in)))
    hooks = ExecutionHooks(ident, attempt.number)
    token = current_run.set(RunContext(ident, attempt.number, attempt.spec))
    try:
        result = get_runner().run(attempt.spec, attempt.inputs, hooks)
    except StopRequested:
        breaker.release(circuit, decision.trial)
        log.info("execution %s stopped on request", execution_id)
        return None
    except Exception as exc:
        info = classify(exc)
        log.info("execution %s attempt %d failed: %s", execution_id, attempt.number, info.code)
        if info.code in PROVIDER_OUTAGE_CODES:
            breaker.failure(circuit, decision.trial)
        else:
            breaker.release(circuit, decision.trial)
        return _after_failure(attempt, info)
    finally:
        current_run.reset(token)
    breaker.success(circuit, decision.trial)
    _finish_ok(attempt, result)
    return None


def give_up(execution_id: str, code: str, message: str) -> None:
    """Mark an execution failed when its retry could not even be scheduled."""
    with session_scope() as session:
        states.transition(
            session,
            uuid.UUID(execution_id),
            Status.FAILED,
            expected=frozenset({Status.RETRYING}),
            values={
                "error_code": code,
                "error_category": "internal",
                "error_message": message,
                "error_retryable": True,
            },
            message=message,
        )
