"""Admitting executions into the queue, several requests at a time (group commit).

Every queued execution costs a row, its first history row, a check of its graph's
queue limit under the graph's lock, a commit and a broker message. Done one request
at a time, concurrent requests for one graph take turns on that lock, and each pays
its own commit. :func:`admit` records a whole batch of requests in one transaction
instead: one lock per graph, one count of its active executions, one multi-row
insert of executions and one of history rows, one commit; then it publishes each
execution's message.

:class:`Admission` feeds it from many request handlers: each handler hands its
request over and waits for its own answer; an admission thread takes whatever
requests are waiting (one, or dozens under load) and admits them together. Under no
load a request is admitted alone, at once; under load the batches grow by themselves.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, Uuid, bindparam, func, insert, select

from execution_service.config import get_settings
from execution_service.graph import GraphSpec
from execution_service.messaging.dispatch import publish
from execution_service.priorities import Priority
from execution_service.service.refusals import (
    BrokerUnavailable,
    GraphNotFound,
    QueueLimitReached,
    ServiceError,
)
from execution_service.service.views import execution_view
from execution_service.status import ACTIVE, Status
from execution_service.store import graphs as graph_specs
from execution_service.store import transitions as states
from execution_service.store.engine import read_scope, session_scope
from execution_service.store.models import Execution, ExecutionEvent, Graph, utcnow

log = logging.getLogger(__name__)

_EXECUTIONS = cast(Table, Execution.__table__)
_EVENTS = cast(Table, ExecutionEvent.__table__)
_ACTIVE = sorted(s.value for s in ACTIVE)
_GRAPH_ID = bindparam("graph_id", type_=Uuid())
_LOCK = (
    select(Graph.deleted_at)
    .where(Graph.id == _GRAPH_ID)
    .with_for_update(key_share=True)  # FOR NO KEY UPDATE
)
_COUNT_ACTIVE = select(func.count()).where(
    Execution.graph_id == _GRAPH_ID, Execution.status.in_(_ACTIVE)
)


@dataclass(frozen=True)
class QueueOrder:
    """One request to queue an execution of a graph."""

    graph_id: uuid.UUID
    inputs: dict[str, Any] = field(default_factory=dict)
    priority: Priority = Priority.NORMAL
    timeout_seconds: float | None = None
    queue_timeout_seconds: float | None = None
    received_at: datetime = field(default_factory=utcnow)


# every column of an execution, for the view of a new one (what it has no value for yet)
_NO_VALUES: dict[str, Any] = {column.name: None for column in _EXECUTIONS.columns}


def _not_found(graph_id: uuid.UUID) -> GraphNotFound:
    return GraphNotFound(f"No graph with id {graph_id}", {"graph_id": str(graph_id)})


def _specs_of(graph_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, GraphSpec]:
    """The parsed definitions of the graphs that exist (deleted or not: the lock in
    :func:`_record` tells which are still live)."""
    wanted = set(graph_ids)
    found = {g: spec for g in wanted if (spec := graph_specs.cached(g)) is not None}
    missing = [g for g in wanted if g not in found]
    if missing:
        with read_scope() as session:
            rows = session.execute(
                select(Graph.id, Graph.definition).where(Graph.id.in_(missing))
            ).all()
        for graph_id, definition in rows:
            found[graph_id] = graph_specs.remember(graph_id, definition)
    return found


def _row(order: QueueOrder, spec: GraphSpec) -> dict[str, Any]:
    settings = get_settings()
    now = order.received_at
    return {
        "id": uuid.uuid4(),
        "graph_id": order.graph_id,
        "status": Status.QUEUED.value,
        "priority": order.priority.value,
        "inputs": order.inputs,
        "timeout_seconds": order.timeout_seconds
        or spec.settings.timeout_seconds
        or settings.default_timeout_seconds,
        "max_attempts": spec.settings.retry.max_attempts,
        "attempt": 0,
        "progress_percent": 0.0,
        "created_at": now,
        "queue_deadline_at": (
            now + timedelta(seconds=order.queue_timeout_seconds)
            if order.queue_timeout_seconds
            else None
        ),
    }


def _limit_reached(graph_id: uuid.UUID, active: int, limit: int) -> QueueLimitReached:
    wait = get_settings().queue_limit_retry_after_seconds
    return QueueLimitReached(
        f"Graph {graph_id} already has {active} executions queued or running; "
        f"its limit is {limit}. Try again in {wait} s.",
        {"graph_id": str(graph_id), "active": active, "limit": limit},
        headers={"Retry-After": str(wait)},
    )


def _record(
    orders: list[QueueOrder], specs: dict[uuid.UUID, GraphSpec]
) -> list[dict[str, Any] | ServiceError]:
    """One transaction: lock the graphs, check their limits, insert what fits."""
    answers: list[dict[str, Any] | ServiceError] = [_not_found(o.graph_id) for o in orders]
    graph_ids = sorted({o.graph_id for o in orders if o.graph_id in specs})
    if not graph_ids:
        return answers
    default_limit = get_settings().max_active_per_graph
    with session_scope() as session:
        conn = session.connection()
        # each graph's lock (FOR NO KEY UPDATE, taken in one order) serialises queueing
        # per graph across transactions and processes, so no limit can be overshot. The
        # count is a statement of its own, after the lock: on PostgreSQL a statement
        # sees what was committed when it began, and only a count begun after the lock
        # was granted sees the executions the previous holder inserted.
        live: set[uuid.UUID] = set()
        active: dict[uuid.UUID, int] = {}
        for graph_id in graph_ids:
            found = conn.execute(_LOCK, {"graph_id": graph_id}).first()
            if found is not None and found.deleted_at is None:
                live.add(graph_id)
                active[graph_id] = conn.execute(_COUNT_ACTIVE, {"graph_id": graph_id}).scalar_one()
        rows: list[dict[str, Any]] = []
        for index, order in enumerate(orders):
            if order.graph_id not in live:
                continue
            spec = specs[order.graph_id]
            limit = spec.settings.max_active_executions or default_limit
            if active[order.graph_id] >= limit:
                answers[index] = _limit_reached(order.graph_id, active[order.graph_id], limit)
                continue
            active[order.graph_id] += 1
            row = _row(order, spec)
            rows.append(row)
            answers[index] = row
        if rows:
            conn.execute(insert(_EXECUTIONS), rows)
            conn.execute(
                insert(_EVENTS),
                [
                    {
                        "execution_id": row["id"],
                        "from_status": None,
                        "to_status": row["status"],
                        "attempt": 0,
                        "at": row["created_at"],
                        "message": None,
                        "details": None,
                    }
                    for row in rows
                ],
            )
    return answers


def _unpublished(execution_id: uuid.UUID, exc: Exception) -> BrokerUnavailable:
    """The broker refused the message: the execution is marked failed, never left queued
    with no message behind it, and the caller is told."""
    log.error("could not publish execution %s: %r", execution_id, exc)
    with session_scope() as session:
        states.transition(
            session,
            execution_id,
            Status.FAILED,
            values={
                "error_code": BrokerUnavailable.code,
                "error_category": "transient",
                "error_message": "The queue is unavailable; the execution was not queued.",
                "error_retryable": True,
            },
            details={"exception": type(exc).__name__},
        )
    return BrokerUnavailable("The queue is unavailable; try again shortly.")


def admit(orders: list[QueueOrder]) -> list[dict[str, Any] | ServiceError]:
    """Queue a batch of executions: for each order, its execution's view or the refusal."""
    answers = _record(orders, _specs_of(o.graph_id for o in orders))
    for index, answer in enumerate(answers):
        if isinstance(answer, ServiceError):
            continue
        try:
            publish(str(answer["id"]), answer["priority"], answer["timeout_seconds"])
        except Exception as exc:  # the broker is down: say so, lose nothing
            answers[index] = _unpublished(answer["id"], exc)
            continue
        answers[index] = execution_view(SimpleNamespace(**{**_NO_VALUES, **answer}))
    return answers


def admit_one(order: QueueOrder) -> dict[str, Any]:
    answer = admit([order])[0]
    if isinstance(answer, ServiceError):
        raise answer
    return answer


Waiting = tuple[QueueOrder, "Future[dict[str, Any]]"]


class Admission:
    """Hands the requests of many callers to an admission thread, in batches.

    ``submit`` returns at once with a future of the answer; the thread takes every
    request waiting (up to ``max_batch``) and admits them together. A caller that gave
    up before its request was taken (its future cancelled) is left out: nothing is
    queued for it.
    """

    def __init__(self, max_batch: int = 64) -> None:
        self.max_batch = max_batch
        self._waiting: queue.SimpleQueue[Waiting] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, order: QueueOrder) -> Future[dict[str, Any]]:
        answer: Future[dict[str, Any]] = Future()
        self._waiting.put((order, answer))
        self._ensure_thread()
        return answer

    def _ensure_thread(self) -> None:
        """Start the thread on first use, and again if it ever died."""
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="admission", daemon=True)
                self._thread.start()

    def _take(self) -> list[Waiting]:
        """What is waiting, without the requests whose callers have gone."""
        batch: list[Waiting] = []
        first = self._waiting.get()
        while True:
            if first[1].set_running_or_notify_cancel():
                batch.append(first)
            if len(batch) >= self.max_batch:
                return batch
            try:
                first = self._waiting.get_nowait()
            except queue.Empty:
                if batch:
                    return batch
                first = self._waiting.get()

    def _run(self) -> None:
        while True:
            batch = self._take()
            try:
                answers = admit([order for order, _ in batch])
            except BaseException as exc:  # the database is down: every caller is told
                log.exception("could not admit %d executions", len(batch))
                for _, future in batch:
                    future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, future), answer in zip(batch, answers, strict=True):
                if isinstance(answer, ServiceError):
                    future.set_exception(answer)
                else:
                    future.set_result(answer)


_admission: Admission | None = None
_admission_lock = threading.Lock()


def get_admission() -> Admission:
    """This process's admission threads, started on first use."""
    global _admission
    with _admission_lock:
        if _admission is None:
            _admission = Admission()
        return _admission
