"""Admitting executions into the queue, several requests at a time (group commit).

Every queued execution costs a row, its first history row, a check of its graph's
queue limit under the graph's lock, a commit and a broker message. Done one request
at a time, concurrent requests for one graph take turns on that lock, and each pays
its own commit. :func:`admit` records a whole batch of requests in one transaction
instead: one lock per graph, one count of its active executions, one multi-row
insert of executions and one of history rows, one commit; then it publishes each
execution's message.

The broker down (the publish raises): the executions are accepted all the same (202),
recorded as owed a message (``dispatched_at`` None), and the reaper sends their messages
as soon as the broker answers again (``worker/reaper.py``); the rest of the batch is not
tried. Should even that mark fail, they were recorded as sent at commit, and the
reaper's rule for lost messages sends them again once the broker holds none
(``redispatch_rule.py``). Either way an accepted execution is always dispatched, and the
caller never has to guess whether a refused request left anything behind. The same rule
covers an API process that dies between the commit and the publish.

:class:`Admission` feeds it from many request handlers: each handler hands its
request over and waits for its own answer; an admission thread takes whatever
requests are waiting (one, or dozens under load) and admits them together. Under no
load a request is admitted alone, at once; under load the batches grow by themselves.

A request with an ``Idempotency-Key`` (``QueueOrder.idempotency_key``) makes at most one
execution per key and owner: the same request again (``service/idempotency.py`` says
what "the same" is) answers :class:`Replayed` with that execution as it is now, and
publishes nothing; another request with the key is refused (409
``IDEMPOTENCY_KEY_REUSED``). The store's unique key decides, in the batch's
transaction (``store/queueing.py``). A key counts for ``idempotency_keep_seconds``
after its request; after that it may name a new request.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from execution_service.config import get_settings
from execution_service.graph import GraphSpec, WebhookSpec
from execution_service.messaging.dispatch import publish
from execution_service.priorities import Priority
from execution_service.service.idempotency import HEADER, request_digest
from execution_service.service.refusals import (
    GraphNotFound,
    IdempotencyKeyReused,
    InvalidRequest,
    QueueLimitReached,
    ServiceError,
)
from execution_service.service.views import execution_view
from execution_service.status import Status
from execution_service.store import graph_rows, queueing
from execution_service.store import redispatch as waiting
from execution_service.store.engine import DatabaseUnavailable
from execution_service.store.models import utcnow
from execution_service.usage import Budget, budget_refusals, combined

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueOrder:
    """One request to queue an execution of a graph."""

    graph_id: uuid.UUID
    owner: str
    inputs: dict[str, Any] = field(default_factory=dict)
    priority: Priority = Priority.NORMAL
    timeout_seconds: float | None = None
    queue_timeout_seconds: float | None = None
    received_at: datetime = field(default_factory=utcnow)
    metadata: dict[str, str] = field(default_factory=dict)
    # the request's Idempotency-Key header (checked by the API), if it has one
    idempotency_key: str | None = None
    # the request's webhooks (None: the graph's, if it has any)
    webhooks: list[WebhookSpec] | None = None
    # the request's budget (with the graph's, the smaller of each field counts)
    budget: Budget | None = None
    # a rerun (service/reruns.py): the execution it reruns, the task it starts from, and
    # that execution's outputs of the tasks before it, re-used (its first outputs)
    rerun_of: uuid.UUID | None = None
    rerun_from_task: str | None = None
    reused_outputs: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class Replayed:
    """The answer to a request whose idempotency key an earlier, same request holds:
    that request's execution, as it is now (nothing new was queued)."""

    execution: dict[str, Any]


Answer = dict[str, Any] | Replayed


# what a new execution's view shows for the columns it has no value for yet
_NO_VALUES: dict[str, Any] = dict.fromkeys(queueing.EXECUTION_COLUMNS)


def _not_found(graph_id: uuid.UUID) -> GraphNotFound:
    return GraphNotFound(f"No graph with id {graph_id}", {"graph_id": str(graph_id)})


def _webhooks(order: QueueOrder, spec: GraphSpec) -> list[dict[str, Any]] | None:
    """The execution's webhooks: the request's, else the graph's; None without any."""
    hooks = order.webhooks if order.webhooks is not None else spec.settings.webhooks
    return [hook.model_dump(mode="json") for hook in hooks] if hooks else None


def _row(order: QueueOrder, spec: GraphSpec) -> dict[str, Any]:
    settings = get_settings()
    now = order.received_at
    return {
        "id": uuid.uuid4(),
        "graph_id": order.graph_id,
        "owner": order.owner,
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
        # its message is published right after the commit (see redispatch_rule.py)
        "dispatched_at": now,
        "queue_deadline_at": (
            now + timedelta(seconds=order.queue_timeout_seconds)
            if order.queue_timeout_seconds
            else None
        ),
        # stored with the row, and one row per key to be found by (store/queueing.py)
        "user_metadata": order.metadata or None,
        "webhooks": _webhooks(order, spec),
        "webhooks_announced_at": None,
        "budget": _budget(order, spec),
        "rerun_of": order.rerun_of,
        "rerun_from_task": order.rerun_from_task,
        "outputs": {"tasks": order.reused_outputs} if order.reused_outputs else None,
    }


def _budget(order: QueueOrder, spec: GraphSpec) -> dict[str, Any] | None:
    """The execution's budget: the graph's and the request's, the smaller of each."""
    budget = combined(spec.settings.budget, order.budget)
    return budget.limits() if budget is not None else None


def _budget_refused(order: QueueOrder, spec: GraphSpec) -> InvalidRequest | None:
    """A request's ``max_cost`` needs a price for every model of the graph (422)."""
    refused = budget_refusals(order.budget, spec, get_settings().model_prices, "budget.max_cost")
    if not refused:
        return None
    return InvalidRequest(
        "; ".join(f"{r.field}: {r.message}" for r in refused),
        [{"field": r.field, "message": r.message} for r in refused],
    )


def _idempotency(order: QueueOrder) -> queueing.Idempotency | None:
    if order.idempotency_key is None:
        return None
    digest = request_digest(
        order.graph_id,
        order.inputs,
        order.priority.value,
        order.timeout_seconds,
        order.queue_timeout_seconds,
        order.metadata,
        order.budget.limits() if order.budget is not None else None,
    )
    return queueing.Idempotency(order.idempotency_key, digest)


def _key_reused(order: QueueOrder, reused: queueing.KeyReused) -> IdempotencyKeyReused:
    keep = get_settings().idempotency_keep_seconds
    return IdempotencyKeyReused(
        f"{HEADER} {order.idempotency_key!r} was used by another request (another graph "
        f"or body) in the last {keep:g} s; use a new key for a new request.",
        {"header": HEADER, "execution_id": str(reused.execution_id)},
    )


def _view(row: dict[str, Any]) -> dict[str, Any]:
    return execution_view(SimpleNamespace(**{**_NO_VALUES, **row}))


def _limit_reached(order: QueueOrder, over: queueing.OverLimit) -> QueueLimitReached:
    wait = get_settings().queue_limit_retry_after_seconds
    who = f"Graph {order.graph_id}" if over.of == "graph" else f"Owner {order.owner!r}"
    return QueueLimitReached(
        f"{who} already has {over.active} executions queued or running; "
        f"its limit is {over.limit}. Try again in {wait} s.",
        {
            "graph_id": str(order.graph_id),
            "limit_of": over.of,
            "active": over.active,
            "limit": over.limit,
        },
        headers={"Retry-After": str(wait)},
    )


def _record(
    orders: list[QueueOrder], specs: dict[uuid.UUID, graph_rows.OwnedSpec]
) -> list[dict[str, Any] | Replayed | ServiceError]:
    """Record what fits within its graph's and its owner's limits, in one transaction;
    refuse the rest. Another owner's graph is answered as if it did not exist. A request
    whose idempotency key is held answers with its execution (:class:`Replayed`) or is
    refused."""
    answers: list[dict[str, Any] | Replayed | ServiceError] = [
        _not_found(o.graph_id) for o in orders
    ]
    settings = get_settings()
    candidates: list[queueing.Candidate] = []
    indexes: list[int] = []
    for index, order in enumerate(orders):
        found = specs.get(order.graph_id)
        if found is None or found.owner != order.owner:
            continue
        spec = found.spec
        refused = _budget_refused(order, spec)
        if refused is not None:
            answers[index] = refused
            continue
        limit = spec.settings.max_active_executions or settings.max_active_per_graph
        candidates.append(
            queueing.Candidate(order.graph_id, _row(order, spec), limit, _idempotency(order))
        )
        indexes.append(index)
    keys_since = utcnow() - timedelta(seconds=settings.idempotency_keep_seconds)
    recorded = queueing.insert_within_limits(candidates, settings.max_active_per_owner, keys_since)
    for index, outcome in zip(indexes, recorded, strict=True):
        if isinstance(outcome, queueing.OverLimit):
            answers[index] = _limit_reached(orders[index], outcome)
        elif isinstance(outcome, queueing.Replay):
            answers[index] = Replayed(_view(outcome.row))
        elif isinstance(outcome, queueing.KeyReused):
            answers[index] = _key_reused(orders[index], outcome)
        elif outcome is not None:
            answers[index] = outcome
    return answers


def _owed(unsent: list[dict[str, Any]], exc: Exception) -> None:
    """The broker refused a message: the executions not sent are owed theirs, which the
    reaper sends when the broker answers again. Accepted all the same."""
    log.error(
        "could not publish %d execution(s), sent when the broker is back: %r", len(unsent), exc
    )
    try:
        waiting.mark_owed((row["id"], row["dispatched_at"]) for row in unsent)
    except Exception:  # they count as sent at commit: the rule for lost messages sends them
        log.exception("could not mark %d execution(s) as owed a message", len(unsent))


def admit(orders: list[QueueOrder]) -> list[Answer | ServiceError]:
    """Queue a batch of executions: for each order, its new execution's view, the
    execution its idempotency key made (:class:`Replayed`), or the refusal."""
    answers = _record(orders, graph_rows.owned_specs_of(o.graph_id for o in orders))
    # a refusal, or a replay, publishes nothing
    recorded = [answer for answer in answers if isinstance(answer, dict)]
    for sent, answer in enumerate(recorded):
        try:
            publish(
                str(answer["id"]),
                answer["priority"],
                answer["timeout_seconds"],
                after_attempt=answer["attempt"],
            )
        except Exception as exc:  # the broker is down: accepted, sent when it is back
            _owed(recorded[sent:], exc)
            break
    return [_view(answer) if isinstance(answer, dict) else answer for answer in answers]


Waiting = tuple[QueueOrder, "Future[Answer]"]


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

    def submit(self, order: QueueOrder) -> Future[Answer]:
        answer: Future[Answer] = Future()
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
                if isinstance(exc, DatabaseUnavailable):  # an outage, not a bug: no traceback
                    log.warning("could not admit %d executions: %s", len(batch), exc)
                else:
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
