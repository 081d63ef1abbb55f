"""The use cases: define graphs, queue, read, list, cancel executions, queue stats.

Plain Python: the HTTP API and the CLI call this; it knows neither.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from sqlalchemy import Uuid, and_, bindparam, func, or_, select

from execution_service.breaker import get_breaker
from execution_service.config import get_settings
from execution_service.graph import GraphSpec
from execution_service.messaging.dispatch import publish
from execution_service.priorities import PRIORITY_RANK, Priority
from execution_service.service.admission import QueueOrder, admit_one
from execution_service.service.refusals import (
    ExecutionFinished,
    ExecutionNotFound,
    ExecutionNotQueued,
    GraphNotFound,
    InvalidRequest,
    NotFound,
    PriorityNotRaised,
)
from execution_service.service.views import event_view, execution_view, graph_view
from execution_service.status import Status
from execution_service.store import transitions as states
from execution_service.store import workers as presence
from execution_service.store.engine import read, read_scope, session_scope
from execution_service.store.listing import decode_cursor, encode_cursor
from execution_service.store.models import Execution, ExecutionEvent, Graph, utcnow


def create_graph(spec: GraphSpec) -> dict[str, Any]:
    with session_scope() as session:
        graph = Graph(name=spec.name, definition=spec.model_dump(mode="json", exclude_none=True))
        session.add(graph)
        session.flush()
        return graph_view(graph)


def _live_graph(session: Any, graph_id: uuid.UUID) -> Graph:
    graph = session.get(Graph, graph_id)
    if graph is None or graph.deleted_at is not None:
        raise GraphNotFound(f"No graph with id {graph_id}", {"graph_id": str(graph_id)})
    return graph


def get_graph(graph_id: uuid.UUID) -> dict[str, Any]:
    with read_scope() as session:
        return graph_view(_live_graph(session, graph_id))


def delete_graph(graph_id: uuid.UUID) -> None:
    """Retire a graph: it can no longer be queued; executions already queued still run."""
    with session_scope() as session:
        _live_graph(session, graph_id).deleted_at = utcnow()


def queue_execution(
    graph_id: uuid.UUID,
    inputs: dict[str, Any],
    priority: Priority = Priority.NORMAL,
    timeout_seconds: float | None = None,
    queue_timeout_seconds: float | None = None,
) -> dict[str, Any]:
    """Record a queued execution, then hand it to the broker (see :mod:`.admission`).

    If the broker refuses the message the execution is marked failed (never
    left queued with no message behind it) and the caller is told.
    """
    return admit_one(QueueOrder(graph_id, inputs, priority, timeout_seconds, queue_timeout_seconds))


# the busiest read: a plain row (no ORM object) is all its view needs
_BY_ID = select(*Execution.__table__.columns).where(
    Execution.__table__.c.id == bindparam("execution_id", type_=Uuid())
)


def get_execution(execution_id: uuid.UUID) -> dict[str, Any]:
    row = read(lambda conn: conn.execute(_BY_ID, {"execution_id": execution_id}).first())
    if row is None:
        raise ExecutionNotFound(f"No execution with id {execution_id}")
    return execution_view(row)


def execution_events(execution_id: uuid.UUID) -> list[dict[str, Any]]:
    with read_scope() as session:
        if session.get(Execution, execution_id) is None:
            raise ExecutionNotFound(f"No execution with id {execution_id}")
        rows = session.scalars(
            select(ExecutionEvent)
            .where(ExecutionEvent.execution_id == execution_id)
            .order_by(ExecutionEvent.id)
        )
        return [event_view(row) for row in rows]


def list_executions(
    status: Status | None = None,
    graph_id: uuid.UUID | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Newest first, keyset-paginated: ``next_cursor`` fetches the following page."""
    query = select(Execution)
    if status is not None:
        query = query.where(Execution.status == status.value)
    if graph_id is not None:
        query = query.where(Execution.graph_id == graph_id)
    if cursor is not None:
        try:
            created, ident = decode_cursor(cursor)
        except ValueError as exc:
            raise InvalidRequest("cursor: not a cursor this service handed out") from exc
        query = query.where(
            or_(
                Execution.created_at < created,
                and_(Execution.created_at == created, Execution.id < ident),
            )
        )
    query = query.order_by(Execution.created_at.desc(), Execution.id.desc()).limit(limit + 1)
    with read_scope() as session:
        rows = list(session.scalars(query))
    page = rows[:limit]
    return {
        "items": [execution_view(row) for row in page],
        "next_cursor": encode_cursor(page[-1].created_at, page[-1].id)
        if len(rows) > limit
        else None,
    }


def cancel_execution(execution_id: uuid.UUID) -> dict[str, Any]:
    """Cancel a queued, retrying or running execution; idempotent on a cancelled one."""
    with session_scope() as session:
        moved = states.transition(
            session,
            execution_id,
            Status.CANCELLED,
            values={"error_code": None},
            message="cancelled by request",
        )
        execution = session.get(Execution, execution_id)
        if execution is None:
            raise ExecutionNotFound(f"No execution with id {execution_id}")
        session.refresh(execution)
        if moved is None and execution.status != Status.CANCELLED:
            raise ExecutionFinished(
                f"Execution {execution_id} already finished as {execution.status}",
                {"status": execution.status},
            )
        return execution_view(execution)


def change_priority(execution_id: uuid.UUID, priority: Priority) -> dict[str, Any]:
    """Raise the priority of a still-queued execution.

    Its message is already in the broker at the old priority and cannot be taken
    back, so a second message is published at the new one: whichever reaches a
    worker first runs the execution, the other finds it no longer queued and is
    dropped. That is why a priority can only be raised, never lowered.
    """
    with session_scope() as session:
        execution = session.get(Execution, execution_id, with_for_update=True)
        if execution is None:
            raise ExecutionNotFound(f"No execution with id {execution_id}")
        if execution.status != Status.QUEUED.value:
            raise ExecutionNotQueued(
                f"Execution {execution_id} is {execution.status}; only a queued "
                "execution's priority can change",
                {"status": execution.status},
            )
        current = Priority(execution.priority)
        if PRIORITY_RANK[priority] < PRIORITY_RANK[current]:
            raise PriorityNotRaised(
                f"priority: {priority.value} is below {current.value}; a queued execution's "
                "priority can only be raised",
                {"priority": current.value},
            )
        if priority != current:
            execution.priority = priority.value
            publish(str(execution.id), priority, execution.timeout_seconds)
        return execution_view(execution)


def circuit_breakers() -> list[dict[str, Any]]:
    return [asdict(state) for state in get_breaker().states()]


def circuit_breaker_policy() -> dict[str, Any]:
    settings = get_settings()
    return {
        "failure_threshold": settings.breaker_failure_threshold,
        "cooldown_seconds": settings.breaker_cooldown_seconds,
        "when_open": "fail fast with CIRCUIT_OPEN",
    }


def reset_circuit_breaker(name: str) -> None:
    """Close a circuit by hand (an operator knows the provider is back)."""
    if not get_breaker().reset(name):
        raise NotFound(f"No circuit breaker named {name!r}", {"name": name})


def queue_stats() -> dict[str, Any]:
    settings = get_settings()
    with read_scope() as session:
        by_status = dict(
            session.execute(select(Execution.status, func.count()).group_by(Execution.status)).all()
        )
        queued_by_priority = dict(
            session.execute(
                select(Execution.priority, func.count())
                .where(Execution.status == Status.QUEUED.value)
                .group_by(Execution.priority)
            ).all()
        )
        oldest = session.execute(
            select(func.min(Execution.created_at)).where(Execution.status == Status.QUEUED.value)
        ).scalar_one_or_none()
        minute_ago = utcnow() - timedelta(minutes=1)
        finished = dict(
            session.execute(
                select(Execution.status, func.count())
                .where(
                    Execution.status.in_([Status.COMPLETED.value, Status.FAILED.value]),
                    Execution.finished_at >= minute_ago,
                )
                .group_by(Execution.status)
            ).all()
        )
    age = None if oldest is None else max(0.0, (utcnow() - oldest).total_seconds())
    workers, slots = presence.online(within=max(5.0, 5 * settings.reaper_interval))
    return {
        "workers_online": workers,
        "worker_slots": slots,
        "completed_last_minute": finished.get(Status.COMPLETED.value, 0),
        "failed_last_minute": finished.get(Status.FAILED.value, 0),
        "circuit_breakers": circuit_breakers(),
        "queued": by_status.get(Status.QUEUED.value, 0),
        "running": by_status.get(Status.RUNNING.value, 0),
        "retrying": by_status.get(Status.RETRYING.value, 0),
        "by_status": {s.value: by_status.get(s.value, 0) for s in Status},
        "queued_by_priority": {p.value: queued_by_priority.get(p.value, 0) for p in Priority},
        "oldest_queued_age_seconds": age,
    }
