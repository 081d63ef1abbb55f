"""The writes and reads of one attempt of one execution, named by what they do.

A worker starts an attempt (:func:`start_attempt`), writes its progress
(:func:`write_progress`) and heartbeat (:func:`heartbeat`) while the crew runs, looks
at the execution's status (:func:`read_status`), and records how it ended:
:func:`record_completion`, :func:`record_failure` (retrying or failed), or only that it
let go of the crew (:func:`mark_stopped`) when somebody else ended the execution; a
worker that is stopping hands a running attempt back (:func:`hand_back`).

These run for every execution, so they are tuned, and each decides its own path (the
caller never chooses):

* the hot statements are built once: building and keying a statement costs more CPU
  than running it; their values are bound parameters;
* on PostgreSQL through psycopg, a start is one statement (the move to running and its
  history row, :func:`_start_statement`) and a completion one driver statement
  (:func:`~execution_service.store.transitions.transition_on_driver`): going through
  SQLAlchemy's execution costs more CPU than the statement's round trip (see
  :class:`~execution_service.store.engine.DriverStatement`); elsewhere, and when the
  fast start moves nothing, SQLAlchemy statements do the same;
* writes run in autocommit on PostgreSQL (each is one statement or a compare-and-set)
  and run once more on a fresh connection when the one they got was broken
  (:func:`~execution_service.store.engine.write`,
  :func:`~execution_service.store.engine.driver_write`).
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
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
from sqlalchemy.orm import Session

from execution_service.errors.codes import ErrorCode, ErrorInfo, error_info
from execution_service.graph import GraphSpec
from execution_service.status import Status
from execution_service.store import graph_rows, transitions, usage_records
from execution_service.store.engine import (
    driver_statement,
    driver_write,
    read_scope,
    session_scope,
    uses_psycopg,
    write,
)
from execution_service.store.failures import error_columns, error_history
from execution_service.store.models import Execution, ExecutionEvent, ExecutionStep, utcnow


@dataclass(frozen=True)
class Attempt:
    """One started attempt: what the worker needs to run it and record how it ended."""

    execution_id: uuid.UUID
    number: int
    max_attempts: int
    spec: GraphSpec
    inputs: dict[str, Any]
    deadline: datetime | None
    # the execution's webhooks (None: none), so that its end is announced at once
    webhooks: list[dict[str, Any]] | None = None
    # the usage of its earlier attempts (a usage.Usage document; None: no call yet) and
    # its budget (usage.Budget.limits; None: none): the budget counts every attempt
    usage: dict[str, Any] | None = None
    budget: dict[str, Any] | None = None
    # the task outputs stored when it started (an earlier attempt's, or a rerun's
    # re-used ones), and the task a rerun starts from: what it may re-use (resume.py)
    stored_outputs: list[dict[str, Any]] | None = None
    rerun_from_task: str | None = None
    # the execution's graph (its log lines name it: logs.py)
    graph_id: uuid.UUID | None = None


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
    _C.webhooks,
    _C.usage,
    _C.budget,
    _C.outputs,
    _C.rerun_from_task,
).where(_C.id == _ID)
_STATUS_READ = select(_C.status, _C.attempt).where(_C.id == _ID)


def _running_params(attempt: Attempt) -> dict[str, Any]:
    return {"run_id": attempt.execution_id, "run_attempt": attempt.number}


# --- start -------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryOwed:
    """The message names the attempt that failed, and the execution waits for its retry:
    the message to start that retry may never have been sent (the worker died between
    recording the failure and sending it). Send one for ``after_attempt``, startable in
    ``due_in`` seconds (when the retry is due); duplicates are harmless, since only one
    message can start an attempt."""

    after_attempt: int
    due_in: float


def start_attempt(
    execution_id: uuid.UUID, worker: str, after_attempt: int | None = None
) -> Attempt | RetryOwed | None:
    """Move a queued (or retrying) execution to running on ``worker``; the started
    attempt, or None when the execution is not waiting to run. An execution past its
    queue deadline (queued) or deadline (retrying) is moved to timed out instead
    (``QUEUE_TIMEOUT`` / ``EXECUTION_TIMEOUT``), and None is returned.

    ``after_attempt`` is what the message names (see ``messaging/dispatch.py``): the
    start is then also a compare-and-set on the execution's attempt count, and a message
    for an attempt that already started (a stale duplicate) starts nothing and changes
    nothing. None (a message from before messages named it): any waiting attempt.
    The one exception, :class:`RetryOwed`: a message naming the attempt that failed
    while the execution waits for its retry starts nothing either, but asks for the
    retry's message to be sent again, due when the retry is due (never earlier).

    On PostgreSQL one statement in autocommit (see :func:`_start_statement`); when it
    moves nothing, or on SQLite, one read and one conditional write."""
    if uses_psycopg():
        params: dict[str, Any] = {
            "run_id": execution_id,
            "now": utcnow(),
            "worker": worker,
            "message": f"started on {worker}",
        }
        if after_attempt is not None:
            params["after_attempt"] = after_attempt
        statement = driver_statement(_start_statement(after_attempt is not None))
        row = driver_write(
            lambda driver: driver.execute(statement.sql, statement.params(params)).fetchone()
        )
        if row is not None:
            (
                number,
                max_attempts,
                inputs,
                graph_id,
                deadline,
                webhooks,
                usage,
                budget,
                outputs,
                from_task,
            ) = row
            spec = graph_rows.spec_of(graph_id)
            return Attempt(
                execution_id,
                number,
                max_attempts,
                spec,
                inputs,
                deadline,
                webhooks,
                usage,
                budget,
                _tasks(outputs),
                from_task,
                graph_id,
            )
    return _start_slowly(execution_id, worker, after_attempt)


@functools.cache
def _start_statement(by_attempt: bool) -> Any:
    """PostgreSQL: the move to running and its history row in one statement.

    ``WITH old AS (SELECT status ... FOR UPDATE), moved AS (UPDATE ... FROM old WHERE
    <queued or retrying, [at attempt :after_attempt,] and not past its queue deadline
    or deadline> RETURNING ...), event AS (INSERT INTO execution_events SELECT ... FROM
    moved) SELECT * FROM moved``: it moves nothing when the execution is not waiting to
    run, is past the attempt the message names (``by_attempt``), or is overdue (the
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
            *_at_attempt(by_attempt),
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
            _C.webhooks,
            _C.usage,
            _C.budget,
            _C.outputs,
            _C.rerun_from_task,
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
        moved.c.webhooks,
        moved.c.usage,
        moved.c.budget,
        moved.c.outputs,
        moved.c.rerun_from_task,
    ).add_cte(event)


def _at_attempt(by_attempt: bool) -> list[Any]:
    """The start's condition on the attempt count the message names, if it names one."""
    if not by_attempt:
        return []
    return [_C.attempt == bindparam("after_attempt", type_=_C.attempt.type)]


def _start_slowly(
    execution_id: uuid.UUID, worker: str, after_attempt: int | None = None
) -> Attempt | RetryOwed | None:
    """Move a queued (or retrying) execution to running: one read, one conditional write
    (on its status and attempt count); or to timed out when it is past its queue deadline
    or deadline. A message for another attempt than the one due does neither."""
    now = utcnow()
    with session_scope() as session:
        row = session.connection().execute(_START_READ, {"run_id": execution_id}).one_or_none()
        if row is None or row.status not in (Status.QUEUED, Status.RETRYING):
            return None
        if after_attempt is not None and row.attempt != after_attempt:
            if row.status == Status.RETRYING and after_attempt == row.attempt - 1:
                return RetryOwed(row.attempt, _retry_due_in(session, execution_id, now))
            return None  # a stale message: its attempt started already
        if row.status == Status.QUEUED and row.queue_deadline_at and now >= row.queue_deadline_at:
            info = error_info(ErrorCode.QUEUE_TIMEOUT)
        elif row.status == Status.RETRYING and row.deadline_at and now >= row.deadline_at:
            info = error_info(ErrorCode.EXECUTION_TIMEOUT)
        else:
            info = None
        if info is not None:
            transitions.transition(
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
        moved = transitions.transition(
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
    spec = graph_rows.spec_of(row.graph_id)
    return Attempt(
        execution_id,
        row.attempt + 1,
        row.max_attempts,
        spec,
        row.inputs,
        deadline,
        row.webhooks,
        row.usage,
        row.budget,
        _tasks(row.outputs),
        row.rerun_from_task,
        row.graph_id,
    )


def _tasks(outputs: Any) -> list[dict[str, Any]] | None:
    """The task outputs of an ``outputs`` column (``{"tasks": [...]}``), if any."""
    tasks = outputs.get("tasks") if isinstance(outputs, dict) else None
    return tasks if isinstance(tasks, list) and tasks else None


def note_start(attempt: Attempt, note: str, details: dict[str, Any]) -> None:
    """Add to the history row of the attempt's start what it re-uses, or why it restarts
    (``note`` appended to its message, ``details`` as its details). One more statement,
    only for an attempt that had stored outputs to decide about (see resume.py)."""
    latest = (
        select(func.max(_EVENTS.c.id))
        .where(
            _EVENTS.c.execution_id == attempt.execution_id,
            _EVENTS.c.to_status == Status.RUNNING.value,
            _EVENTS.c.attempt == attempt.number,
        )
        .scalar_subquery()
    )
    statement = (
        update(_EVENTS)
        .where(_EVENTS.c.id == latest)
        .values(message=func.coalesce(_EVENTS.c.message, "") + f"; {note}", details=details)
    )
    write(lambda conn: conn.execute(statement))


def _retry_due_in(session: Session, execution_id: uuid.UUID, now: datetime) -> float:
    """Seconds until the waiting retry is due: its wait, recorded with the move to
    retrying (``record_failure``), counted from that move."""
    moved = session.execute(
        select(ExecutionEvent.at, ExecutionEvent.details)
        .where(
            ExecutionEvent.execution_id == execution_id,
            ExecutionEvent.to_status == Status.RETRYING.value,
        )
        .order_by(ExecutionEvent.id.desc())
        .limit(1)
    ).first()
    if moved is None:
        return 0.0
    delay = float((moved.details or {}).get("delay_seconds") or 0.0)
    return max(0.0, (moved.at + timedelta(seconds=delay) - now).total_seconds())


# --- while the crew runs -----------------------------------------------------------


@dataclass(frozen=True)
class UsageWrite:
    """The usage to record with a write: the execution's document (every attempt), the
    attempt's own (for the history row ending it), and the tokens not yet in
    ``usage_records`` (for the queue statistics)."""

    execution: dict[str, Any]
    attempt: dict[str, Any]
    new_tokens: int = 0


def write_progress(
    attempt: Attempt,
    percent: float,
    current_task: str | None,
    message: str | None,
    at: datetime,
    outputs: list[dict[str, Any]] | None = None,
    steps: list[Step] | None = None,
    usage: UsageWrite | None = None,
) -> None:
    """Record the crew's progress (reported at ``at``, which is also its heartbeat) and,
    when given, the outputs of the tasks it finished so far and its usage. Only while the
    attempt is running, and never going down: a write carrying less than the row has
    changes nothing. With ``steps`` (for the event stream) or new tokens one transaction
    writes them all, holding the row.
    """
    values: dict[str, Any] = {
        "progress_percent": percent,
        "current_task": current_task,
        "progress_message": message,
        "heartbeat_at": at,
    }
    if outputs is not None:
        values["outputs"] = {"tasks": outputs}
    if usage is not None:
        values["usage"] = usage.execution
    params = {f"set_{key}": value for key, value in values.items()}
    statement = _progress_statement(tuple(sorted(values)))
    new_tokens = usage.new_tokens if usage is not None else 0
    if not steps and not new_tokens:
        write(lambda conn: conn.execute(statement, {**_running_params(attempt), **params}))
        return
    with session_scope() as session:
        conn = session.connection()
        if not steps or _record_steps(conn, attempt, steps):
            conn.execute(statement, {**_running_params(attempt), **params})
        if new_tokens:
            usage_records.record(conn, attempt.execution_id, at, new_tokens)


_USAGE_WRITE = (
    update(_EXECUTIONS).where(_RUNNING).values(usage=bindparam("set_usage", type_=_C.usage.type))
)


def write_usage(attempt: Attempt, usage: UsageWrite, at: datetime) -> None:
    """Record the usage alone (calls counted with no progress to write), while the
    attempt is running."""
    with session_scope() as session:
        conn = session.connection()
        conn.execute(_USAGE_WRITE, {**_running_params(attempt), "set_usage": usage.execution})
        if usage.new_tokens:
            usage_records.record(conn, attempt.execution_id, at, usage.new_tokens)


def _record_new_tokens(attempt: Attempt, usage: UsageWrite | None) -> None:
    """After an attempt's end: its tokens not recorded yet, for the queue statistics."""
    if usage is not None and usage.new_tokens:
        write(
            lambda conn: usage_records.record(
                conn, attempt.execution_id, utcnow(), usage.new_tokens
            )
        )


def write_steps(attempt: Attempt, steps: list[Step]) -> None:
    """Record the attempt's steps not written yet (the crew completed: its progress is
    the completion's to write, its steps are not)."""
    if steps:
        with session_scope() as session:
            _record_steps(session.connection(), attempt, steps)


@dataclass(frozen=True)
class Step:
    """A step of a running attempt for the event stream: ``task.started``,
    ``task.completed`` or ``progress``, with what it says."""

    kind: str
    at: datetime
    data: dict[str, Any]


_STEPS = cast(Table, ExecutionStep.__table__)
_EVENTS = cast(Table, ExecutionEvent.__table__)
# the attempt's row, held until the steps are written (a status change waits, so that
# its history row comes after them), and the id of its latest history row
_HOLD_RUNNING = (
    select(
        select(func.max(_EVENTS.c.id))
        .where(_EVENTS.c.execution_id == _C.id)
        .scalar_subquery()
        .label("after_event")
    )
    .where(_RUNNING)
    .with_for_update(of=_EXECUTIONS)
)
_INSERT_STEPS = insert(_STEPS)


def _record_steps(conn: Any, attempt: Attempt, steps: list[Step]) -> bool:
    """In the caller's transaction: hold the running attempt's row and record ``steps``
    after its latest history row. Whether it is still running (else nothing is written)."""
    held = conn.execute(_HOLD_RUNNING, _running_params(attempt)).first()
    if held is None:
        return False
    conn.execute(
        _INSERT_STEPS,
        [
            {
                "execution_id": attempt.execution_id,
                "after_event": held.after_event or 0,
                "attempt": attempt.number,
                "kind": step.kind,
                "at": step.at,
                "data": step.data,
            }
            for step in steps
        ],
    )
    return True


@functools.lru_cache(maxsize=8)
def _progress_statement(keys: tuple[str, ...]) -> Any:
    return (
        update(_EXECUTIONS)
        .where(_RUNNING, _C.progress_percent <= bindparam("set_progress_percent"))
        .values({key: bindparam(f"set_{key}", type_=_C[key].type) for key in keys})
    )


def heartbeat(attempt: Attempt) -> None:
    """Record that the attempt's worker is alive (only while the attempt is running)."""
    write(lambda conn: conn.execute(_HEARTBEAT, {**_running_params(attempt), "now": utcnow()}))


def read_status(attempt: Attempt) -> tuple[str | None, int | None]:
    """The execution's status and attempt number now; ``(None, None)`` if it is gone."""
    with read_scope() as session:
        row = (
            session.connection()
            .execute(_STATUS_READ, {"run_id": attempt.execution_id})
            .one_or_none()
        )
    return (row.status, row.attempt) if row else (None, None)


# --- how it ended ------------------------------------------------------------------


def mark_stopped(attempt: Attempt) -> None:
    """Record that the worker let go of the attempt's crew (it was stopped, or the
    execution had already moved on when its end was to be recorded)."""
    write(lambda conn: conn.execute(_STOPPED, {**_running_params(attempt), "now": utcnow()}))


def record_completion(
    attempt: Attempt,
    raw: str,
    tasks: list[dict[str, Any]],
    usage: UsageWrite | None = None,
    steps: list[Step] | None = None,
) -> bool:
    """Record the crew's result (``raw``, and every task's output, and its usage when it
    made model calls: the execution's, and the attempt's own in the history row); the
    crew has ended, so this is also when the worker let go. ``steps``: the attempt's
    event-stream steps not written yet, recorded with it (before its history row), in
    the same transaction. Whether it moved (False: the execution was cancelled or timed
    out first; the steps are then not written, as a step write finds it no longer
    running).

    On PostgreSQL through psycopg one driver statement; elsewhere SQLAlchemy's (and one
    more for the tokens of the queue statistics, when it used any)."""
    values = _completion_values(raw, tasks)
    details = None
    if usage is not None:
        values["usage"] = usage.execution
        details = {"usage": usage.attempt}
    if uses_psycopg():
        moved_now = driver_write(
            lambda driver: transitions.transition_on_driver(
                driver,
                attempt.execution_id,
                Status.COMPLETED,
                Status.RUNNING,
                attempt=attempt.number,
                values=values,
                details=details,
                steps=[
                    {"kind": step.kind, "at": step.at.isoformat(), "data": step.data}
                    for step in steps or ()
                ],
            )
        )
        if moved_now:
            _record_new_tokens(attempt, usage)
        return moved_now

    def complete(conn: Any) -> Status | None:
        if steps and not _record_steps(conn, attempt, steps):
            return None
        return transitions.transition_on(
            conn,
            attempt.execution_id,
            Status.COMPLETED,
            expected=frozenset({Status.RUNNING}),
            attempt=attempt.number,
            values=values,
            details=details,
        )

    moved = write(complete)
    if moved is not None:
        _record_new_tokens(attempt, usage)
    return moved is not None


def _completion_values(raw: str, tasks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "stopped_at": utcnow(),
        "result": {"raw": raw},
        "outputs": {"tasks": tasks},
        "progress_percent": 100.0,
        "current_task": None,
        "progress_message": "completed",
        "error_code": None,
        "error_category": None,
        "error_message": None,
        "error_retryable": None,
        "error_details": None,
    }


def record_failure(
    attempt: Attempt, info: ErrorInfo, retry_in: float | None, usage: UsageWrite | None = None
) -> bool:
    """Record a failed attempt with ``info`` as its error: retrying, the next attempt
    due in ``retry_in`` seconds, or failed when ``retry_in`` is None; with its usage
    (the execution's, and the attempt's own in the history row) when it made model
    calls. The crew has ended, so the same write records that the worker let go of it.
    Whether it moved (False: somebody else ended the execution first, a cancel or the
    deadline)."""
    retry = retry_in is not None
    delay = retry_in or 0.0
    now = utcnow()
    # the retry's message is sent now, startable when it is due: it counts as sent then
    # (see redispatch_rule.py)
    due = {"dispatched_at": now + timedelta(seconds=delay)} if retry else {}
    details = error_history(info, delay_seconds=delay) if retry else error_history(info)
    spent: dict[str, Any] = {}
    if usage is not None:
        spent = {"usage": usage.execution}
        details = {**details, "usage": usage.attempt}
    moved = write(
        lambda conn: transitions.transition_on(
            conn,
            attempt.execution_id,
            Status.RETRYING if retry else Status.FAILED,
            expected=frozenset({Status.RUNNING}),
            values={**error_columns(info, attempt.number), "stopped_at": now, **due, **spent},
            message=f"{info.message} Retrying in {delay:.2f} s." if retry else info.message,
            details=details,
            attempt=attempt.number,
        )
    )
    if moved is not None:
        _record_new_tokens(attempt, usage)
    return moved is not None


def hand_back(attempt: Attempt, worker: str) -> bool:
    """The attempt's worker is stopping and stopped its crew: release the attempt so that
    another worker starts it again at once. A compare-and-set from running at this
    attempt to retrying, with the attempt count put back to the one before (the
    released attempt is not counted), no error recorded, due at once (the retry's
    ``delay_seconds`` 0, so a message naming the attempt before starts it); the let-go
    is recorded with it. Whether it moved (False: somebody else ended it first)."""
    moved = write(
        lambda conn: transitions.transition_on(
            conn,
            attempt.execution_id,
            Status.RETRYING,
            expected=frozenset({Status.RUNNING}),
            # due at once, and its message sent now (the re-dispatch sweep counts from
            # dispatched_at: without it the sweep could send the message a second time)
            values={
                "attempt": attempt.number - 1,
                "stopped_at": utcnow(),
                "dispatched_at": utcnow(),
            },
            message=f"Handed back to the queue: worker {worker} is stopping; "
            f"attempt {attempt.number} starts again on another worker.",
            details={"handed_back": True, "worker": worker, "delay_seconds": 0.0},
            attempt=attempt.number,
        )
    )
    return moved is not None
