"""Runs one attempt of one execution: the database row, not the message, decides.

The crew runs in a thread of its own; the task's thread watches it. Every
``stop_check_interval`` the watcher looks at the execution's row and its
deadline: when the execution was cancelled (by the API) or reaches its
deadline (the watcher marks it ``timed_out``), the crew is asked to stop at
its next step (``hooks.should_stop()``); if it has not stopped after
``stop_grace_seconds``, a stop exception is injected into its thread and the
task lets go of it at once, so the worker slot is free for the next
execution. The watcher also keeps the execution's heartbeat fresh.

Returns how long to wait before the next attempt when the attempt failed in a
way worth retrying; the Celery task then re-queues itself through the broker.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from .. import states
from ..breaker import get_breaker, provider_of
from ..config import get_settings
from ..db import read_scope, session_scope
from ..errors import PROVIDER_OUTAGE_CODES, CircuitOpen, ErrorInfo, classify, error_info
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


class HardStop(BaseException):
    """Injected into a crew thread that did not stop when asked."""


@dataclass(frozen=True)
class Attempt:
    execution_id: uuid.UUID
    number: int
    max_attempts: int
    spec: GraphSpec
    inputs: dict[str, Any]
    deadline: datetime | None


class ExecutionHooks:
    """The runner's line back to the database for one attempt of one execution."""

    def __init__(self, attempt: Attempt, stop: threading.Event) -> None:
        self.attempt = attempt
        self.stop = stop
        self.outputs: list[dict[str, Any]] = []

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
                .where(_running(self.attempt), Execution.progress_percent <= percent)
                .values(progress_percent=percent, **values)
            )

    def should_stop(self) -> bool:
        return self.stop.is_set()


def _running(attempt: Attempt) -> Any:
    return (
        (Execution.id == attempt.execution_id)
        & (Execution.status == Status.RUNNING.value)
        & (Execution.attempt == attempt.number)
    )


def _error_values(info: ErrorInfo, attempt: int | None) -> dict[str, Any]:
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


def _history_details(info: ErrorInfo, **extra: Any) -> dict[str, Any]:
    return {
        "code": info.code,
        "category": info.category.value,
        "task": info.task,
        "detail": info.detail,
        **extra,
    }


def end_with(
    execution_id: uuid.UUID,
    target: Status,
    info: ErrorInfo,
    expected: frozenset[Status],
    attempt: int | None = None,
    **details: Any,
) -> bool:
    """Move an execution to a failed/timed-out status with ``info`` as its error."""
    with session_scope() as session:
        moved = states.transition(
            session,
            execution_id,
            target,
            expected=expected,
            values=_error_values(info, attempt),
            message=info.message,
            details=_history_details(info, **details),
        )
    return moved is not None


def _start(execution_id: uuid.UUID, worker: str) -> Attempt | None:
    now = utcnow()
    with session_scope() as session:
        row = session.execute(
            select(
                Execution.status,
                Execution.queue_deadline_at,
                Execution.deadline_at,
                Execution.started_at,
                Execution.timeout_seconds,
                Execution.attempt,
            ).where(Execution.id == execution_id)
        ).one_or_none()
        if row is None or row.status not in (Status.QUEUED, Status.RETRYING):
            return None
        if row.status == Status.QUEUED and row.queue_deadline_at and now >= row.queue_deadline_at:
            info = error_info("QUEUE_TIMEOUT")
        elif row.status == Status.RETRYING and row.deadline_at and now >= row.deadline_at:
            info = error_info("EXECUTION_TIMEOUT")
        else:
            info = None
        if info is not None:
            states.transition(
                session,
                execution_id,
                Status.TIMED_OUT,
                expected=frozenset({Status(row.status)}),
                values=_error_values(info, row.attempt or None),
                message=info.message,
                details=_history_details(info),
            )
            return None
        deadline = row.deadline_at
        if deadline is None and row.timeout_seconds:
            deadline = now + timedelta(seconds=row.timeout_seconds)
        moved = states.transition(
            session,
            execution_id,
            Status.RUNNING,
            expected=frozenset({Status(row.status)}),
            values={
                "attempt": Execution.attempt + 1,
                "worker": worker,
                "started_at": row.started_at or now,
                "deadline_at": deadline,
                "heartbeat_at": now,
                "stopped_at": None,
            },
            message=f"started on {worker}",
        )
        if moved is None:
            return None
        loaded = session.execute(
            select(Execution.attempt, Execution.max_attempts, Execution.inputs, Graph.definition)
            .join(Graph, Graph.id == Execution.graph_id)
            .where(Execution.id == execution_id)
        ).one()
    return Attempt(
        execution_id,
        loaded.attempt,
        loaded.max_attempts,
        GraphSpec.model_validate(loaded.definition),
        loaded.inputs,
        deadline,
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


def _after_failure(attempt: Attempt, info: ErrorInfo) -> float | None:
    if info.retryable and attempt.number < attempt.max_attempts:
        delay = backoff_delay(attempt.spec.settings.retry, attempt.number, info.retry_after_seconds)
        if attempt.deadline is not None:
            # never wait past the deadline: the next message then reports the timeout
            delay = max(0.0, min(delay, (attempt.deadline - utcnow()).total_seconds()))
        with session_scope() as session:
            moved = states.transition(
                session,
                attempt.execution_id,
                Status.RETRYING,
                expected=frozenset({Status.RUNNING}),
                values=_error_values(info, attempt.number),
                message=f"{info.message} Retrying in {delay:.2f} s.",
                details=_history_details(info, delay_seconds=delay),
            )
        return delay if moved is not None else None
    end_with(attempt.execution_id, Status.FAILED, info, frozenset({Status.RUNNING}), attempt.number)
    return None


@dataclass
class _Outcome:
    result: RunResult | None = None
    error: BaseException | None = None
    stopped: str | None = field(default=None)


def _interrupt(thread: threading.Thread) -> None:
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(HardStop)
        )


def _status_of(attempt: Attempt) -> tuple[str | None, int | None]:
    with read_scope() as session:
        row = session.execute(
            select(Execution.status, Execution.attempt).where(Execution.id == attempt.execution_id)
        ).one_or_none()
    return (row.status, row.attempt) if row else (None, None)


def _heartbeat(attempt: Attempt) -> None:
    with session_scope() as session:
        session.execute(update(Execution).where(_running(attempt)).values(heartbeat_at=utcnow()))


def _mark_stopped(attempt: Attempt) -> None:
    with session_scope() as session:
        session.execute(
            update(Execution)
            .where(Execution.id == attempt.execution_id, Execution.attempt == attempt.number)
            .values(stopped_at=utcnow())
        )


def _supervise(attempt: Attempt) -> _Outcome:
    """Run the crew in its own thread; stop it on a cancel or at the deadline."""
    settings = get_settings()
    stop = threading.Event()
    hooks = ExecutionHooks(attempt, stop)
    outcome = _Outcome()

    def crew() -> None:
        token = current_run.set(RunContext(attempt.execution_id, attempt.number, attempt.spec))
        try:
            outcome.result = get_runner().run(attempt.spec, attempt.inputs, hooks)
        except BaseException as exc:  # handed to the watcher, which decides
            outcome.error = exc
        finally:
            current_run.reset(token)

    thread = threading.Thread(target=crew, name=f"crew-{attempt.execution_id}", daemon=True)
    thread.start()
    deadline = attempt.deadline.timestamp() if attempt.deadline else None
    hard_stop_at = 0.0
    next_beat = time.monotonic() + settings.heartbeat_interval
    while True:
        thread.join(settings.stop_check_interval)
        if not thread.is_alive():
            break
        now = time.monotonic()
        if outcome.stopped is None:
            if deadline is not None and time.time() >= deadline:
                info = error_info("EXECUTION_TIMEOUT")
                end_with(
                    attempt.execution_id,
                    Status.TIMED_OUT,
                    info,
                    frozenset({Status.RUNNING}),
                    attempt.number,
                )
                outcome.stopped = "deadline"
            else:
                status, number = _status_of(attempt)
                if status != Status.RUNNING or number != attempt.number:
                    outcome.stopped = str(status)
            if outcome.stopped is not None:
                stop.set()
                hard_stop_at = now + settings.stop_grace_seconds
            elif now >= next_beat:
                _heartbeat(attempt)
                next_beat = now + settings.heartbeat_interval
        elif now >= hard_stop_at:
            log.warning(
                "execution %s did not stop within %.1f s; stopping its crew hard",
                attempt.execution_id,
                settings.stop_grace_seconds,
            )
            _interrupt(thread)
            break
    _mark_stopped(attempt)
    if outcome.stopped is None and isinstance(outcome.error, (StopRequested, HardStop)):
        outcome.stopped = "requested"
    return outcome


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
        _mark_stopped(attempt)
        return _after_failure(attempt, classify(CircuitOpen(circuit, decision.retry_in)))
    outcome = _supervise(attempt)
    if outcome.stopped is not None:
        breaker.release(circuit, decision.trial)
        log.info("execution %s stopped (%s)", execution_id, outcome.stopped)
        return None
    if outcome.error is not None:
        info = classify(outcome.error)
        log.info("execution %s attempt %d failed: %s", execution_id, attempt.number, info.code)
        if info.code in PROVIDER_OUTAGE_CODES:
            breaker.failure(circuit, decision.trial)
        else:
            breaker.release(circuit, decision.trial)
        return _after_failure(attempt, info)
    assert outcome.result is not None
    breaker.success(circuit, decision.trial)
    _finish_ok(attempt, outcome.result)
    return None


def give_up(execution_id: str, code: str, message: str) -> None:
    """Mark an execution failed when its retry could not even be scheduled."""
    info = ErrorInfo(code, error_info("INTERNAL_ERROR").category, True, message)
    end_with(uuid.UUID(execution_id), Status.FAILED, info, frozenset({Status.RETRYING}))
