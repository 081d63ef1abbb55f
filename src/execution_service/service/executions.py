"""Executions once queued: read one, its history, pages of them; cancel one or many;
raise priority.

Queueing itself is ``service/admission.py`` (batched).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from execution_service import logs
from execution_service import metadata as labels
from execution_service.messaging.dispatch import publish
from execution_service.priorities import PRIORITY_RANK, Priority
from execution_service.service import webhooks
from execution_service.service.access import Principal
from execution_service.service.refusals import (
    ExecutionFinished,
    ExecutionNotFound,
    ExecutionNotQueued,
    InvalidRequest,
    PriorityNotRaised,
)
from execution_service.service.views import event_view, execution_view
from execution_service.status import ACTIVE, Status
from execution_service.store import execution_changes, execution_reads
from execution_service.store.execution_reads import Match
from execution_service.store.models import Execution

log = logging.getLogger(__name__)


def _not_found(execution_id: uuid.UUID) -> ExecutionNotFound:
    return ExecutionNotFound(f"No execution with id {execution_id}")


def _owned_row(execution_id: uuid.UUID, caller: Principal) -> Any:
    """The caller's execution's row; another owner's is answered as if it did not exist."""
    row = execution_reads.read_execution(execution_id)
    if row is None or row.owner != caller.owner:
        raise _not_found(execution_id)
    return row


def get_execution(execution_id: uuid.UUID, caller: Principal) -> dict[str, Any]:
    return execution_view(_owned_row(execution_id, caller))


def execution_events(execution_id: uuid.UUID, caller: Principal) -> list[dict[str, Any]]:
    history = execution_reads.read_history(execution_id, caller.owner)
    if history is None:
        raise _not_found(execution_id)
    return [event_view(event) for event in history]


def _invalid(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(f"{field}: {message}", [{"field": field, "message": message}])


def metadata_filters(params: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The metadata filters among a listing's query parameters (``metadata.<key>=<value>``
    or ``metadata[<key>]=<value>``); 422 naming the filter when one is not valid."""
    try:
        return labels.parse_filters(params)
    except labels.MetadataError as exc:
        raise _invalid(exc.field, exc.message) from exc


def list_executions(
    caller: Principal,
    status: Status | None = None,
    graph_id: uuid.UUID | None = None,
    limit: int = 50,
    cursor: str | None = None,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The caller's executions, newest first, keyset-paginated: ``next_cursor`` fetches
    the following page. Each filter given must hold; ``metadata``: each key has the
    value."""
    after = None
    if cursor is not None:
        try:
            after = execution_reads.decode_cursor(cursor)
        except ValueError as exc:
            raise InvalidRequest("cursor: not a cursor this service handed out") from exc
    match = Match(
        caller.owner,
        statuses=[status.value] if status is not None else None,
        graph_id=graph_id,
        metadata=metadata or {},
    )
    page, following = execution_reads.read_page(match, limit, after)
    return {
        "items": [execution_view(row, total_only=True) for row in page],
        "next_cursor": following,
    }


MAX_BULK_CANCEL = 1000
"""At most this many executions are cancelled per bulk cancel; ``more`` tells the caller
to call again for the rest."""


def cancel_matching(
    caller: Principal,
    *,
    status: Status | None = None,
    graph_id: uuid.UUID | None = None,
    metadata: dict[str, str] | None = None,
    created_before: datetime | None = None,
    created_after: datetime | None = None,
    everything: bool = False,
    limit: int = MAX_BULK_CANCEL,
) -> dict[str, Any]:
    """Cancel the caller's unfinished executions that match every filter given, oldest
    first, at most ``limit`` (up to :data:`MAX_BULK_CANCEL`) of them: each one as
    :func:`cancel_execution` does (a compare-and-set with its history row; a running
    one's worker stops its crew). No filter at all is refused unless ``everything``.

    Answers ``cancelled`` (how many this call cancelled), their ``ids``, and ``more``:
    whether more matching executions were left for another call."""
    filtered = (
        status is not None
        or graph_id is not None
        or bool(metadata)
        or created_before is not None
        or created_after is not None
    )
    if not filtered and not everything:
        raise _invalid(
            "body",
            "name at least one filter (status, graph_id, metadata, created_before, "
            "created_after), or all: true to cancel every unfinished execution of yours",
        )
    if status is not None and status not in ACTIVE:
        raise _invalid("status", "only a queued, running or retrying execution can be cancelled")
    if not 1 <= limit <= MAX_BULK_CANCEL:
        raise _invalid("limit", f"from 1 to {MAX_BULK_CANCEL}")
    statuses = [status] if status is not None else sorted(ACTIVE)
    match = Match(
        caller.owner,
        statuses=[s.value for s in statuses],
        graph_id=graph_id,
        metadata=metadata or {},
        created_before=created_before,
        created_after=created_after,
    )
    found = execution_reads.matching_ids(match, limit + 1)
    cancelled = execution_changes.cancel_many(found[:limit], statuses)
    return {
        "cancelled": len(cancelled),
        "ids": [str(ident) for ident in cancelled],
        "more": len(found) > limit,
    }


def cancel_execution(execution_id: uuid.UUID, caller: Principal) -> dict[str, Any]:
    """Cancel a queued, retrying or running execution; idempotent on a cancelled one."""
    _owned_row(execution_id, caller)  # an execution's owner never changes
    moved, execution = execution_changes.cancel(execution_id)
    if execution is None:
        raise _not_found(execution_id)
    if not moved and execution.status != Status.CANCELLED:
        raise ExecutionFinished(
            f"Execution {execution_id} already finished as {execution.status}",
            {"status": execution.status},
        )
    if moved:
        logs.bind(graph_id=execution.graph_id, attempt=execution.attempt or None)
        log.info("execution %s cancelled", execution_id)
    if moved and execution.webhooks:
        webhooks.announce_end(execution_id)
    return execution_view(execution)


def change_priority(
    execution_id: uuid.UUID, priority: Priority, caller: Principal
) -> dict[str, Any]:
    """Raise the priority of a still-queued execution.

    Its message is already in the broker at the old priority and cannot be taken
    back, so a second message is published at the new one, for the same attempt:
    whichever reaches a worker first starts the attempt, the other finds that attempt
    started and is dropped, even when it arrives after the execution failed and is
    waiting for its retry (the retry's own message starts it, when it is due). That
    is why a priority can only be raised, never lowered.
    """

    def decide(execution: Execution) -> str | None:
        if execution.owner != caller.owner:
            raise _not_found(execution_id)
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
        if priority == current:
            return None
        publish(
            str(execution.id),
            priority,
            execution.timeout_seconds,
            after_attempt=execution.attempt,
        )
        return priority.value

    execution = execution_changes.change_priority(execution_id, decide)
    if execution is None:
        raise _not_found(execution_id)
    return execution_view(execution)
