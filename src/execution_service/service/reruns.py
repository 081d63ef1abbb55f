"""Rerunning a finished execution from one of its tasks (``POST /executions/{id}/rerun``).

A rerun is a new execution, queued through the same admission as any queue request
(the graph's and the owner's limits, batching, the broker down: ``service/admission.py``),
linked to the one it reruns (``rerun_of``). What carries over from the original: its
graph (which must still exist), ``inputs``, ``priority``, ``metadata``, ``webhooks`` (those
the operator's policy still allows) and its running-time budget (``timeout_seconds``).
What does not: its queue timeout, its ``Idempotency-Key``, its attempts, usage, errors.

``from_task`` names the task to start from: the original's outputs of the tasks before
it are copied into the rerun's ``outputs`` at queueing and re-used by its worker
(``execution_service/resume.py``): those tasks are not run again, and later tasks get
them as context. Without ``from_task`` the crew runs from its first task. A
``from_task`` that names no task of the graph, or a task some earlier task of which has
no stored output in the original, is refused (422 naming ``from_task``), as is one of a
hierarchical crew (a manager orders its work); nothing is queued then.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pydantic import ValidationError

from execution_service.graph import GraphSpec, WebhookSpec
from execution_service.priorities import Priority
from execution_service.resume import leading_outputs, task_index
from execution_service.service.access import Principal
from execution_service.service.admission import QueueOrder
from execution_service.service.refusals import (
    ExecutionNotFinished,
    ExecutionNotFound,
    GraphNotFound,
    InvalidRequest,
)
from execution_service.status import Status
from execution_service.store import execution_reads, graph_rows

log = logging.getLogger(__name__)

FINISHED = frozenset({Status.COMPLETED, Status.FAILED, Status.CANCELLED, Status.TIMED_OUT})


def _from_task_refused(message: str) -> InvalidRequest:
    return InvalidRequest(f"from_task: {message}", [{"field": "from_task", "message": message}])


def _reused(spec: GraphSpec, outputs: Any, from_task: str | None) -> list[dict[str, Any]]:
    """The original's outputs the rerun re-uses: those of the tasks before ``from_task``."""
    if from_task is None:
        return []
    index = task_index(spec, from_task)
    if index is None:
        names = ", ".join(repr(spec.task_label(i)) for i in range(len(spec.tasks)))
        raise _from_task_refused(f"{from_task!r} is not a task of the graph; its tasks: {names}")
    if index > 0 and spec.process != "sequential":
        raise _from_task_refused(
            "a hierarchical crew cannot start from a task (its manager orders the work); "
            "rerun it without from_task"
        )
    stored = (outputs or {}).get("tasks") if isinstance(outputs, dict) else None
    leading = leading_outputs(spec, stored if isinstance(stored, list) else None)
    if len(leading) < index:
        missing = spec.task_label(len(leading))
        raise _from_task_refused(
            f"cannot start at {from_task!r}: the execution has no stored output of "
            f"{missing!r}, which comes before it"
        )
    return [dict(output) for output in leading[:index]]


def _webhooks(stored: list[dict[str, Any]] | None) -> list[WebhookSpec] | None:
    """The original's webhooks that the operator's outbound policy still allows."""
    if not stored:
        return None
    kept = []
    for hook in stored:
        try:
            kept.append(WebhookSpec.model_validate(hook))
        except ValidationError:
            log.info("a rerun leaves out a webhook the outbound policy no longer allows")
    return kept


def rerun_order(execution_id: uuid.UUID, from_task: str | None, caller: Principal) -> QueueOrder:
    """The queue order of a rerun of the caller's finished execution ``execution_id``,
    from ``from_task`` (None: from the first task); refused as the module says."""
    row = execution_reads.read_execution(execution_id)
    if row is None or row.owner != caller.owner:
        raise ExecutionNotFound(f"No execution with id {execution_id}")
    if row.status not in FINISHED:
        raise ExecutionNotFinished(
            f"Execution {execution_id} is {row.status}; only a finished execution "
            "(completed, failed, cancelled, timed out) can be rerun",
            {"status": row.status},
        )
    found = graph_rows.owned_specs_of([row.graph_id]).get(row.graph_id)
    if found is None:
        raise GraphNotFound(f"No graph with id {row.graph_id}", {"graph_id": str(row.graph_id)})
    reused = _reused(found.spec, row.outputs, from_task)
    return QueueOrder(
        row.graph_id,
        caller.owner,
        row.inputs,
        Priority(row.priority),
        row.timeout_seconds,
        metadata=dict(row.user_metadata or {}),
        webhooks=_webhooks(row.webhooks),
        rerun_of=row.id,
        rerun_from_task=from_task,
        reused_outputs=reused or None,
    )
