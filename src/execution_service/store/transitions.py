"""The execution status machine and its compare-and-set transitions.

Every transition is one conditional UPDATE (``WHERE status = <the status read>``)
plus its history row, in the same transaction (on PostgreSQL in the same statement):
of two racing transitions exactly one wins, and the history shows exactly that one.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Integer,
    String,
    Table,
    bindparam,
    column,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from execution_service.status import ALLOWED, TERMINAL, Status, can_move, sources_of
from execution_service.store.models import Execution, ExecutionEvent, ExecutionStep, utcnow

_EXECUTIONS = cast(Table, Execution.__table__)
_EVENTS = cast(Table, ExecutionEvent.__table__)
_STEPS = cast(Table, ExecutionStep.__table__)
_EVENT_COLUMNS = ("execution_id", "from_status", "to_status", "attempt", "at", "message", "details")
_STEP_COLUMNS = ("execution_id", "after_event", "attempt", "kind", "at", "data")


def transition(
    session: Session,
    execution_id: uuid.UUID,
    target: Status,
    *,
    expected: frozenset[Status] | None = None,
    values: dict[str, Any] | None = None,
    message: str | None = None,
    details: dict[str, Any] | None = None,
    attempt: int | None = None,
) -> Status | None:
    """Move an execution to ``target`` if its current status allows it.

    ``expected`` narrows the statuses it may come from; ``attempt``, when given, must
    be the execution's current attempt. ``values`` are plain column values. Returns
    the status it came from, or ``None`` when the move was not allowed (or lost a race).

    When only one status can lead to ``target`` the move is a single conditional
    UPDATE; otherwise the current status is read first, and the UPDATE is conditional
    on it (read again if somebody else moved the execution in between).
    """
    session.flush()  # pending ORM changes go first: the rest is plain SQL on its connection
    return transition_on(
        session.connection(),
        execution_id,
        target,
        expected=expected,
        values=values,
        message=message,
        details=details,
        attempt=attempt,
    )


def transition_on(
    conn: Connection,
    execution_id: uuid.UUID,
    target: Status,
    *,
    expected: frozenset[Status] | None = None,
    values: dict[str, Any] | None = None,
    message: str | None = None,
    details: dict[str, Any] | None = None,
    attempt: int | None = None,
) -> Status | None:
    """:func:`transition` on a connection. Every write is a compare-and-set, so it may
    run in autocommit on PostgreSQL, where a move is one statement: no BEGIN and COMMIT
    round trips around it."""
    sources = sources_of(target)
    if expected is not None:
        sources &= expected
    now = utcnow()
    changes: dict[str, Any] = {"status": target.value, **(values or {})}
    if target in TERMINAL:
        changes.setdefault("finished_at", now)
    params = {f"set_{key}": value for key, value in changes.items()}
    params.update(
        move_id=execution_id,
        move_attempt=attempt,
        event_to=target.value,
        event_at=now,
        event_message=message,
        event_details=details,
    )
    move, record = _statements(
        conn.dialect.name == "postgresql", tuple(sorted(changes)), attempt is not None
    )

    def move_from(source: Status) -> bool:
        params["move_from"] = params["event_from"] = source.value
        found = conn.execute(move, params).first()
        if found is None or record is None:
            return found is not None
        conn.execute(record, {**params, "event_attempt": found.attempt})
        return True

    if len(sources) == 1:
        (source,) = sources
        return source if move_from(source) else None
    for _ in range(len(ALLOWED) + 1):
        current = conn.execute(
            select(Execution.status).where(Execution.id == execution_id)
        ).scalar_one_or_none()
        if current is None or Status(current) not in sources:
            return None
        if move_from(Status(current)):
            return Status(current)
        # somebody else moved it between our read and our write: look again
    return None


def transition_on_driver(
    driver: Any,
    execution_id: uuid.UUID,
    target: Status,
    source: Status,
    *,
    values: dict[str, Any] | None = None,
    message: str | None = None,
    details: dict[str, Any] | None = None,
    attempt: int | None = None,
    steps: list[dict[str, Any]] | None = None,
) -> bool:
    """:func:`transition` from one status, on PostgreSQL, on a psycopg connection (see
    :class:`~execution_service.store.engine.DriverStatement`): one statement, no SQLAlchemy
    execution around it. Returns whether it moved.

    ``steps`` (each ``kind``, ``at``, ``data``): the attempt's event-stream steps not
    written yet, recorded by the same statement when it moves (and only then), after
    the history row that was the latest before it (``store/stream_events.py``)."""
    from execution_service.store.engine import driver_statement

    if not can_move(source, target):
        return False
    now = utcnow()
    changes: dict[str, Any] = {"status": target.value, **(values or {})}
    if target in TERMINAL:
        changes.setdefault("finished_at", now)
    params = {f"set_{key}": value for key, value in changes.items()}
    params.update(
        move_id=execution_id,
        move_attempt=attempt,
        move_from=source.value,
        event_from=source.value,
        event_to=target.value,
        event_at=now,
        event_message=message,
        event_details=details,
    )
    if steps:
        params["steps"] = [{"ord": index, **step} for index, step in enumerate(steps)]
        move = _with_steps(tuple(sorted(changes)), attempt is not None)
    else:
        move, _ = _statements(True, tuple(sorted(changes)), attempt is not None)
    statement = driver_statement(move)
    return driver.execute(statement.sql, statement.params(params)).fetchone() is not None


@functools.lru_cache(maxsize=128)
def _move(keys: tuple[str, ...], by_attempt: bool) -> Any:
    """The conditional UPDATE of a move (``RETURNING id, attempt``)."""
    columns = _EXECUTIONS.c
    conditions = [
        columns.id == bindparam("move_id", type_=columns.id.type),
        columns.status == bindparam("move_from", type_=columns.status.type),
    ]
    if by_attempt:
        conditions.append(columns.attempt == bindparam("move_attempt", type_=columns.attempt.type))
    return (
        update(_EXECUTIONS)
        .where(*conditions)
        .values({key: bindparam(f"set_{key}", type_=columns[key].type) for key in keys})
        .returning(columns.id, columns.attempt)
    )


def _event(name: str, column: str | None = None) -> Any:
    return bindparam(f"event_{name}", type_=_EVENTS.c[column or name].type)


def _event_of(moved: Any) -> Any:
    """PostgreSQL: the history row's INSERT of the move in the CTE ``moved``."""
    row = select(
        moved.c.id,
        _event("from", "from_status"),
        _event("to", "to_status"),
        moved.c.attempt,
        _event("at"),
        _event("message"),
        _event("details"),
    ).select_from(moved)
    return insert(_EVENTS).from_select(_EVENT_COLUMNS, row).returning(_EVENTS.c.id)


@functools.lru_cache(maxsize=128)
def _statements(postgres: bool, keys: tuple[str, ...], by_attempt: bool) -> tuple[Any, Any]:
    """The statements of a move, built once per shape (building and keying a statement
    costs more CPU than running it): a conditional UPDATE and the history row's INSERT;
    on PostgreSQL one statement, ``WITH moved AS (UPDATE ... RETURNING) INSERT ...
    SELECT FROM moved``, and no second one."""
    move = _move(keys, by_attempt)
    if postgres:
        return _event_of(move.cte("moved")), None
    record = insert(_EVENTS).values(
        execution_id=bindparam("move_id", type_=_EXECUTIONS.c.id.type),
        from_status=_event("from", "from_status"),
        to_status=_event("to", "to_status"),
        attempt=_event("attempt"),
        at=_event("at"),
        message=_event("message"),
        details=_event("details"),
    )
    return move, record


@functools.lru_cache(maxsize=32)
def _with_steps(keys: tuple[str, ...], by_attempt: bool) -> Any:
    """The PostgreSQL move (``WITH moved AS (UPDATE ...) INSERT <history row>``) that
    also inserts the steps of ``:steps`` (a JSON array of ``ord``, ``kind``, ``at``,
    ``data``) for the execution it moved: one statement and one commit, instead of a
    transaction of its own that holds the row for the steps before the move. Every part
    of one statement reads the same snapshot, so the steps come after the history row
    that was the latest before this move's own, as a separate write would place them."""
    moved = _move(keys, by_attempt).cte("moved")
    step = (
        func.json_to_recordset(bindparam("steps", type_=JSON))
        .table_valued(
            column("ord", Integer),
            column("kind", String),
            column("at", DateTime(timezone=True)),
            column("data", JSON),
        )
        .render_derived(name="step", with_types=True)
    )
    latest = (
        select(func.coalesce(func.max(_EVENTS.c.id), 0))
        .where(_EVENTS.c.execution_id == moved.c.id)
        .scalar_subquery()
    )
    rows = (
        select(moved.c.id, latest, moved.c.attempt, step.c.kind, step.c.at, step.c.data)
        .select_from(moved)
        .join(step, true())
        .order_by(step.c.ord)
    )
    recorded = insert(_STEPS).from_select(_STEP_COLUMNS, rows).cte("recorded_steps")
    return _event_of(moved).add_cte(recorded)


def record_creation(session: Session, execution: Execution, message: str | None = None) -> None:
    session.add(
        ExecutionEvent(
            execution_id=execution.id,
            from_status=None,
            to_status=execution.status,
            attempt=execution.attempt,
            at=execution.created_at,
            message=message,
        )
    )
