"""Reading an execution's events for its event stream: the status history and the steps
of its running attempts, after a position, and the newest position of many executions
at once (for the API process's one watcher).

The order is exact. A history row's id grows with every status change of an execution
(each change holds the execution's row while it writes its history row). A step holds
the same row while it is written and records ``after_event``, the id of the latest
history row then, so it comes after that row and before the next: the stream's
position of a history row ``h`` is ``(h, 0)``, of a step ``(after_event, id)``. Steps
of one execution are written one at a time by its worker, so their ids grow too.

Reads run in order: the history first, then only the steps after a history row already
read (``after_event`` at most the newest read), then the execution's row. A step
written after that read comes after every event returned, so a reader that goes on
from the last event it returned never skips one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, Uuid, and_, bindparam, func, or_, select

from execution_service.store.engine import read
from execution_service.store.models import Execution, ExecutionEvent, ExecutionStep

_EXECUTIONS = cast(Table, Execution.__table__)
_EVENTS = cast(Table, ExecutionEvent.__table__)
_STEPS = cast(Table, ExecutionStep.__table__)
_ID = bindparam("execution_id", type_=Uuid())

_ROW = select(*_EXECUTIONS.columns).where(_EXECUTIONS.c.id == _ID)
_HISTORY = (
    select(_EVENTS)
    .where(_EVENTS.c.execution_id == _ID, _EVENTS.c.id > bindparam("history_after"))
    .order_by(_EVENTS.c.id)
)
_AFTER: Any = bindparam("step_history")
_STEPS_AFTER = (
    select(_STEPS)
    .where(
        _STEPS.c.execution_id == _ID,
        _STEPS.c.after_event <= bindparam("cutoff"),
        or_(
            _STEPS.c.after_event > _AFTER,
            and_(_STEPS.c.after_event == _AFTER, _STEPS.c.id > bindparam("step_after")),
        ),
    )
    .order_by(_STEPS.c.after_event, _STEPS.c.id)
    .limit(bindparam("limit"))
)


@dataclass(frozen=True)
class StoredEvents:
    """What :func:`read_events` found: the execution's row (every column), its history
    rows and steps after the position asked for, each oldest first, and whether more
    steps wait beyond ``limit`` (then only events up to the last step are complete)."""

    execution: Row[Any]
    history: list[Row[Any]]
    steps: list[Row[Any]]
    more: bool


def read_events(
    execution_id: uuid.UUID, owner: str, history_after: int, step_after: int, limit: int = 500
) -> StoredEvents | None:
    """The owner's execution's events after the position ``(history_after, step_after)``;
    None when the owner has no such execution."""

    def work(conn: Connection) -> StoredEvents | None:
        history = list(
            conn.execute(_HISTORY, {"execution_id": execution_id, "history_after": history_after})
        )
        cutoff = history[-1].id if history else history_after
        steps = list(
            conn.execute(
                _STEPS_AFTER,
                {
                    "execution_id": execution_id,
                    "cutoff": cutoff,
                    "step_history": history_after,
                    "step_after": step_after,
                    "limit": limit + 1,
                },
            )
        )
        row = conn.execute(_ROW, {"execution_id": execution_id}).first()
        if row is None or row.owner != owner:
            return None
        return StoredEvents(row, history, steps[:limit], len(steps) > limit)

    return read(work)


def read_marks(execution_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
    """For each execution, its newest history row's id and newest step's id (0: none):
    when either grows, it has new events. Two grouped reads, however many executions."""
    ids = list(execution_ids)
    if not ids:
        return {}

    def work(conn: Connection) -> dict[uuid.UUID, tuple[int, int]]:
        marks: dict[uuid.UUID, tuple[int, int]] = {}
        history = select(_EVENTS.c.execution_id, func.max(_EVENTS.c.id)).where(
            _EVENTS.c.execution_id.in_(ids)
        )
        for execution_id, newest in conn.execute(history.group_by(_EVENTS.c.execution_id)):
            marks[execution_id] = (newest, 0)
        steps = select(_STEPS.c.execution_id, func.max(_STEPS.c.id)).where(
            _STEPS.c.execution_id.in_(ids)
        )
        for execution_id, newest in conn.execute(steps.group_by(_STEPS.c.execution_id)):
            marks[execution_id] = (marks.get(execution_id, (0, 0))[0], newest)
        return marks

    return read(work)
