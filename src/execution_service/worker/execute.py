"""Runs one execution: the database row, not the message, decides what happens."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from sqlalchemy import select, update

from .. import states
from ..config import get_settings
from ..db import read_scope, session_scope
from ..errors import classify
from ..graph_spec import GraphSpec
from ..models import Execution, Graph, utcnow
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


def _start(execution_id: uuid.UUID, worker: str) -> tuple[int, GraphSpec, dict[str, Any]] | None:
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
            select(Execution.attempt, Execution.inputs, Graph.definition)
            .join(Graph, Graph.id == Execution.graph_id)
            .where(Execution.id == execution_id)
        ).one()
    return row.attempt, GraphSpec.model_validate(row.definition), row.inputs


def _finish_ok(execution_id: uuid.UUID, attempt: int, result: RunResult) -> None:
    with session_scope() as session:
        states.transition(
            session,
            execution_id,
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
            },
        )


def _finish_failed(execution_id: uuid.UUID, exc: BaseException) -> None:
    info = classify(exc)
    values: dict[str, Any] = {
        "error_code": info.code,
        "error_category": info.category.value,
        "error_message": info.message,
        "error_retryable": info.retryable,
    }
    with session_scope() as session:
        states.transition(
            session,
            execution_id,
            Status.FAILED,
            expected=frozenset({Status.RUNNING}),
            values=values,
            message=info.message,
            details={"code": info.code, "exception": type(exc).__name__, "task": info.task},
        )


def run_execution(execution_id: str, worker: str) -> None:
    ident = uuid.UUID(execution_id)
    started = _start(ident, worker)
    if started is None:
        log.info("execution %s is not waiting to run; message dropped", execution_id)
        return
    attempt, spec, inputs = started
    hooks = ExecutionHooks(ident, attempt)
    token = current_run.set(RunContext(ident, attempt, spec))
    try:
        result = get_runner().run(spec, inputs, hooks)
    except StopRequested:
        log.info("execution %s stopped on request", execution_id)
        return
    except Exception as exc:
        log.info("execution %s failed: %s", execution_id, type(exc).__name__)
        _finish_failed(ident, exc)
        return
    finally:
        current_run.reset(token)
    _finish_ok(ident, attempt, result)
