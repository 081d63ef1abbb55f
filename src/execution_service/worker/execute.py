"""Runs one attempt of one execution: the database row, not the message, decides.

The crew runs in a thread of its own (kept for the next attempt: see
``crew_threads``); the task's thread watches it. Every
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

import functools
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Table,
    bindparam,
    case,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    update,
)

from execution_service.breaker import get_breaker, provider_of
from execution_service.config import get_settings
from execution_service.crews.runner import (
    RunContext,
    RunResult,
    StopRequested,
    TaskResult,
    current_run,
    get_runner,
)
from execution_service.errors.classify import classify
from execution_service.errors.codes import PROVIDER_OUTAGE_CODES, ErrorCode, ErrorInfo, error_info
from execution_service.errors.exceptions import CircuitOpen
from execution_service.graph import GraphSpec
from execution_service.retry import backoff_delay
from execution_service.status import Status
from execution_service.store import graphs as graph_specs
from execution_service.store import transitions as states
from execution_service.store.engine import (
    driver_statement,
    driver_write,
    read_scope,
    session_scope,
    uses_psycopg,
    write,
)
from execution_service.store.failures import error_columns, error_history
from execution_service.store.models import Execution, ExecutionEvent, Graph, utcnow
from execution_service.worker.crew_threads import crew_threads

log = logging.getLogger(__name__)


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
    """The runner's line back to the database for one attempt of one execution.

    Progress is written at most every ``interval`` seconds (the first time ``interval``
    after the start): each write is a transaction, and a crew reports after every step.
    What is not written yet waits in ``pending``; the watcher writes it when it is due
    (:meth:`flush_due`), a crew that fails has it written (:meth:`flush`), and a crew
    that completes, or was stopped (its execution has moved on), drops it: the
    completion writes 100 % and every output.
    """

    def __init__(self, attempt: Attempt, stop: threading.Event, interval: float = 0.0) -> None:
        self.attempt = attempt
        self.stop = stop
        self.interval = interval
        self.outputs: list[dict[str, Any]] = []
        self._lock = threading.Lock()  # guards pending, outputs and the next write time
        self._writing = threading.Lock()  # one write at a time, newest last
        self._pending: dict[str, Any] | None = None
        self._next_write = time.monotonic() + interval

    def progress(
        self,
        percent: float,
        current_task: str | None,
        message: str | None,
        task_output: TaskResult | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "progress_percent": percent,
            "current_task": current_task,
            "progress_message": message,
            "heartbeat_at": utcnow(),
        }
        with self._lock:
            if task_output is not None:
                self.outputs.append(
                    {"task": task_output.name, "agent": task_output.agent, "raw": task_output.raw}
                )
            if self.outputs:
                values["outputs"] = {"tasks": list(self.outputs)}
            if self._pending is not None:
                values["progress_percent"] = max(percent, self._pending["progress_percent"])
            self._pending = values
            due = time.monotonic() >= self._next_write
        if due:
            self.flush()

    def flush_due(self) -> None:
        """Write what is pending if the interval has passed (the watcher calls this)."""
        if self._pending is not None and time.monotonic() >= self._next_write:
            self.flush()

    def flush(self) -> None:
        """Write what is pending now."""
        with self._writing:
            with self._lock:
                values, self._pending = self._pending, None
                self._next_write = time.monotonic() + self.interval
            if values is None:
                return
            params = {f"set_{key}": value for key, value in values.items()}
            statement = _progress_statement(tuple(sorted(values)))
            write(lambda conn: conn.execute(statement, {**_running_params(self.attempt), **params}))

    def discard(self) -> None:
        with self._lock:
            self._pending = None

    def should_stop(self) -> bool:
        return self.stop.is_set()


# The hot statements are built once: building and keying a statement costs more CPU
# than running it. Their values are bound parameters.
_EXECUTIONS = cast(Table, Execution.__table__)
_C = _EXECUTIONS.c
_ID = bindparam("run_id", type_=_C.id.type)
_ATTEMPT = bindparam("run_attempt", type_=_C.attempt.type)
_RUNNING = (_C.id == _ID) & (_C.status == Status.RUNNING.value) & (_C.attempt == _ATTEMPT)
_HEARTBEAT = (
    update(_EXECUTIONS)
    .where(_RUNNING)
    .values(heartbeat_at=bindparam("now", type_=_C.heartbeat_at.type))
)
_STOPPED = (
    update(_EXECUTIONS)
    .where(_C.id == _ID, _C.attempt == _ATTEMPT)
    .values(stopped_at=bindparam("now", type_=_C.stopped_at.type))
)
_START_READ = select(
    _C.status,
    _C.queue_deadline_at,
    _C.deadline_at,
    _C.started_at,
    _C.timeout_seconds,
    _C.attempt,
    _C.max_attempts,
    _C.inputs,
    _C.graph_id,
).where(_C.id == _ID)
_STATUS_READ = select(_C.status, _C.attempt).where(_C.id == _ID)


def _running_params(attempt: Attempt) -> dict[str, Any]:
    return {"run_id": attempt.execution_id, "run_attempt": attempt.number}


@functools.lru_cache(maxsize=8)
def _progress_statement(keys: tuple[str, ...]) -> Any:
    return (
        update(_EXECUTIONS)
        .where(_RUNNING, _C.progress_percent <= bindparam("set_progress_percent"))
        .values({key: bindparam(f"set_{key}", type_=_C[key].type) for key in keys})
    )


def end_with(
    execution_id: uuid.UUID,
    target: Status,
    info: ErrorInfo,
    expected: frozenset[Status],
    attempt: int | None = None,
    **details: Any,
) -> bool:
    """Move an execution to a failed/timed-out status with ``info`` as its error."""
    moved = write(
        lambda conn: states.transition_on(
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


def _spec_of(session: Any, graph_id: uuid.UUID) -> GraphSpec:
    spec = graph_specs.cached(graph_id)
    if spec is None:
        definition = session.execute(
            select(Graph.definition).where(Graph.id == graph_id)
        ).scalar_one()
        spec = graph_specs.remember(graph_id, definition)
    return spec


@functools.cache
def _start_statement() -> Any:
    """PostgreSQL: the move to running and its history row in one statement.

    ``WITH old AS (SELECT status ... FOR UPDATE), moved AS (UPDATE ... FROM old WHERE
    <queued or retrying, and not past its queue deadline or deadline> RETURNING ...),
    event AS (INSERT INTO execution_events SELECT ... FROM moved) SELECT * FROM moved``:
    it moves nothing when the execution is not waiting to run or is overdue (the
    caller then takes the long way, which reports the timeout)."""
    now = bindparam("now", type_=_C.heartbeat_at.type)
    old = select(_C.id, _C.status).where(_C.id == _ID).with_for_update().cte("old")
    waiting = (Status.QUEUED.value, Status.RETRYING.value)
    deadline = case(
        (_C.deadline_at.is_not(None), _C.deadline_at),
        (
            func.coalesce(_C.timeout_seconds, 0) != 0,
            now + _C.timeout_seconds * literal_column("interval '1 second'"),
        ),
        else_=null(),
    )
    moved = (
        update(_EXECUTIONS)
        .where(
            _C.id == old.c.id,
            _C.status == old.c.status,
            or_(*(_C.status == status for status in waiting)),
            or_(
                _C.status != Status.QUEUED.value,
                _C.queue_deadline_at.is_(None),
                _C.queue_deadline_at > now,
            ),
            or_(_C.status != Status.RETRYING.value, _C.deadline_at.is_(None), _C.deadline_at > now),
        )
        .values(
            status=Status.RUNNING.value,
            attempt=_C.attempt + 1,
            worker=bindparam("worker", type_=_C.worker.type),
            started_at=func.coalesce(_C.started_at, now),
            deadline_at=deadline,
            heartbeat_at=now,
            stopped_at=null(),
        )
        .returning(
            _C.id,
            old.c.status.label("from_status"),
            _C.attempt,
            _C.max_attempts,
            _C.inputs,
            _C.graph_id,
            _C.deadline_at,
        )
        .cte("moved")
    )
    events = cast(Table, ExecutionEvent.__table__)
    event = (
        insert(events)
        .from_select(
            ("execution_id", "from_status", "to_status", "attempt", "at", "message"),
            select(
                moved.c.id,
                moved.c.from_status,
                literal(Status.RUNNING.value, events.c.to_status.type),
                moved.c.attempt,
                now,
                bindparam("message", type_=events.c.message.type),
            ),
        )
        .cte("event")
    )
    return select(
        moved.c.attempt,
        moved.c.max_attempts,
        moved.c.inputs,
        moved.c.graph_id,
        moved.c.deadline_at,
    ).add_cte(event)


def _start(execution_id: uuid.UUID, worker: str) -> Attempt | None:
    """Move a queued (or retrying) execution to running.

    On PostgreSQL one statement in autocommit (see :func:`_start_statement`); when it
    moves nothing, or on SQLite, one read and one conditional write."""
    if uses_psycopg():
        params = {
            "run_id": execution_id,
            "now": utcnow(),
            "worker": worker,
            "message": f"started on {worker}",
        }
        statement = driver_statement(_start_statement())
        row = driver_write(
            lambda driver: driver.execute(statement.sql, statement.params(params)).fetchone()
        )
        if row is not None:
            number, max_attempts, inputs, graph_id, deadline = row
            spec = graph_specs.cached(graph_id)
            if spec is None:
                with read_scope() as session:
                    spec = _spec_of(session, graph_id)
            return Attempt(execution_id, number, max_attempts, spec, inputs, deadline)
    return _start_slowly(execution_id, worker)


def _start_slowly(execution_id: uuid.UUID, worker: str) -> Attempt | None:
    """Move a queued (or retrying) execution to running: one read, one conditional write;
    or to timed out when it is past its queue deadline or deadline."""
    now = utcnow()
    with session_scope() as session:
        row = session.connection().execute(_START_READ, {"run_id": execution_id}).one_or_none()
        if row is None or row.status not in (Status.QUEUED, Status.RETRYING):
            return None
        if row.status == Status.QUEUED and row.queue_deadline_at and now >= row.queue_deadline_at:
            info = error_info(ErrorCode.QUEUE_TIMEOUT)
        elif row.status == Status.RETRYING and row.deadline_at and now >= row.deadline_at:
            info = error_info(ErrorCode.EXECUTION_TIMEOUT)
        else:
            info = None
        if info is not None:
            states.transition(
                session,
                execution_id,
                Status.TIMED_OUT,
                expected=frozenset({Status(row.status)}),
                values=error_columns(info, row.attempt or None),
                message=info.message,
                details=error_history(info),
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
                "attempt": row.attempt + 1,
                "worker": worker,
                "started_at": row.started_at or now,
                "deadline_at": deadline,
                "heartbeat_at": now,
                "stopped_at": None,
            },
            message=f"started on {worker}",
            attempt=row.attempt,
        )
        if moved is None:
            return None
        spec = _spec_of(session, row.graph_id)
    return Attempt(execution_id, row.attempt + 1, row.max_attempts, spec, row.inputs, deadline)


def _finish_ok(attempt: Attempt, result: RunResult) -> bool:
    """Record the result; the crew has ended, so this is also when the worker let go."""
    values = _completion_values(result)
    if uses_psycopg():
        return driver_write(
            lambda driver: states.transition_on_driver(
                driver,
                attempt.execution_id,
                Status.COMPLETED,
                Status.RUNNING,
                attempt=attempt.number,
                values=values,
            )
        )
    moved = write(
        lambda conn: states.transition_on(
            conn,
            attempt.execution_id,
            Status.COMPLETED,
            expected=frozenset({Status.RUNNING}),
            attempt=attempt.number,
            values=values,
        )
    )
    return moved is not None


def _completion_values(result: RunResult) -> dict[str, Any]:
    return {
        "stopped_at": utcnow(),
        "result": {"raw": result.raw},
        "outputs": {
            "tasks": [{"task": t.name, "agent": t.agent, "raw": t.raw} for t in result.tasks]
        },
        "progress_percent": 100.0,
        "current_task": None,
        "progress_message": "completed",
        "error_code": None,
        "error_category": None,
        "error_message": None,
        "error_retryable": None,
        "error_details": None,
    }


def _after_failure(attempt: Attempt, info: ErrorInfo) -> float | None:
    """Record a failed attempt: retrying (returns the delay) or failed (returns None).

    The crew has ended, so the same write records that the worker let go of it.
    """
    retry = info.retryable and attempt.number < attempt.max_attempts
    delay = 0.0
    if retry:
        delay = backoff_delay(attempt.spec.settings.retry, attempt.number, info.retry_after_seconds)
        if attempt.deadline is not None:
            # never wait past the deadline: the next message then reports the timeout
            delay = max(0.0, min(delay, (attempt.deadline - utcnow()).total_seconds()))
    moved = write(
        lambda conn: states.transition_on(
            conn,
            attempt.execution_id,
            Status.RETRYING if retry else Status.FAILED,
            expected=frozenset({Status.RUNNING}),
            values={**error_columns(info, attempt.number), "stopped_at": utcnow()},
            message=f"{info.message} Retrying in {delay:.2f} s." if retry else info.message,
            details=error_history(info, delay_seconds=delay) if retry else error_history(info),
            attempt=attempt.number,
        )
    )
    if moved is None:  # somebody else ended it first (a cancel, the deadline)
        _mark_stopped(attempt)
        return None
    return delay if retry else None


@dataclass
class _Outcome:
    result: RunResult | None = None
    error: BaseException | None = None
    stopped: str | None = field(default=None)


def _status_of(attempt: Attempt) -> tuple[str | None, int | None]:
    with read_scope() as session:
        row = (
            session.connection()
            .execute(_STATUS_READ, {"run_id": attempt.execution_id})
            .one_or_none()
        )
    return (row.status, row.attempt) if row else (None, None)


def _heartbeat(attempt: Attempt) -> None:
    write(lambda conn: conn.execute(_HEARTBEAT, {**_running_params(attempt), "now": utcnow()}))


def _mark_stopped(attempt: Attempt) -> None:
    write(lambda conn: conn.execute(_STOPPED, {**_running_params(attempt), "now": utcnow()}))


def _supervise(attempt: Attempt) -> _Outcome:
    """Run the crew in its own thread; stop it on a cancel or at the deadline.

    The watcher wakes every ``stop_check_interval``, and at the deadline itself.
    When the crew was stopped (``outcome.stopped``) the worker's letting go is recorded
    here; when it ended by itself, the write that records how it ended records that too.
    """
    settings = get_settings()
    stop = threading.Event()
    hooks = ExecutionHooks(attempt, stop, settings.progress_write_interval)
    outcome = _Outcome()

    def crew() -> None:
        token = current_run.set(RunContext(attempt.execution_id, attempt.number, attempt.spec))
        try:
            outcome.result = get_runner().run(attempt.spec, attempt.inputs, hooks)
        except BaseException as exc:  # handed to the watcher, which decides
            outcome.error = exc
        finally:
            current_run.reset(token)

    running = crew_threads.start(crew)
    deadline = attempt.deadline.timestamp() if attempt.deadline else None
    hard_stop_at = 0.0
    next_beat = time.monotonic() + settings.heartbeat_interval
    while True:
        wait = settings.stop_check_interval
        if deadline is not None and outcome.stopped is None:
            wait = max(0.0, min(wait, deadline - time.time()))
        if running.wait(wait):
            break
        now = time.monotonic()
        if outcome.stopped is None:
            if deadline is not None and time.time() >= deadline:
                info = error_info(ErrorCode.EXECUTION_TIMEOUT)
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
            else:
                hooks.flush_due()
                if now >= next_beat:
                    _heartbeat(attempt)
                    next_beat = now + settings.heartbeat_interval
        elif now >= hard_stop_at:
            log.warning(
                "execution %s did not stop within %.1f s; stopping its crew hard",
                attempt.execution_id,
                settings.stop_grace_seconds,
            )
            running.interrupt(HardStop)
            break
    if outcome.stopped is None and isinstance(outcome.error, (StopRequested, HardStop)):
        outcome.stopped = "requested"
    if outcome.stopped is not None:
        hooks.discard()  # the execution has moved on: progress is no longer written
        _mark_stopped(attempt)
    elif outcome.error is not None:
        hooks.flush()  # the progress and outputs it made are kept
    else:
        hooks.discard()  # the completion writes 100 % and every output
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
    if not decision.clean:  # a clean success changes nothing: no round trip for it
        breaker.success(circuit, decision.trial)
    if not _finish_ok(attempt, outcome.result):
        _mark_stopped(attempt)  # cancelled or timed out just as it completed
    return None


def give_up(execution_id: str, code: ErrorCode, message: str) -> None:
    """Mark an execution failed when its retry could not even be scheduled."""
    info = ErrorInfo(code, error_info(ErrorCode.INTERNAL_ERROR).category, True, message)
    end_with(uuid.UUID(execution_id), Status.FAILED, info, frozenset({Status.RETRYING}))
