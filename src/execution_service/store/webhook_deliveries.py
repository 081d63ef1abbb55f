"""Webhook deliveries: made when an execution's event is announced, tried, listed,
re-sent; and the owners' signing secrets.

An execution with webhooks (``executions.webhooks``) has its final event announced
once (:func:`announce`): a compare-and-set on ``webhooks_announced_at`` marks it, and in
the same transaction a delivery row is made for each webhook asking for that event.
Whoever ends an execution (the worker, a cancel, the reaper's timeouts) may announce it
right after its own commit; each worker's reaper also looks for ended executions not yet
announced (:func:`unannounced`, one partial-index lookup that executions without webhooks
never enter) and announces them. The compare-and-set makes either way safe to race.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from execution_service.status import TERMINAL
from execution_service.store.engine import read_scope, session_scope
from execution_service.store.models import (
    UNANNOUNCED_SQL,
    Execution,
    Owner,
    WebhookDelivery,
    utcnow,
)
from execution_service.webhook_policy import TERMINAL_EVENTS, new_secret

_ENDED = tuple(status.value for status in TERMINAL)

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"


@dataclass(frozen=True)
class Job:
    """What one try of a delivery needs."""

    id: uuid.UUID
    message_id: str
    url: str
    payload: dict[str, Any]
    secret: str
    status: str
    tries: int
    round_started_at: datetime | None


def secret_of(owner: str) -> str:
    """The owner's signing secret, made (and kept) on first use."""
    with session_scope() as session:
        found = session.get(Owner, owner, with_for_update=True)
        if found is None:
            found = Owner(name=owner)
            session.add(found)
        if found.webhook_secret is None:
            found.webhook_secret = new_secret()
        return found.webhook_secret


def unannounced(limit: int = 100) -> list[uuid.UUID]:
    """Ended executions with webhooks whose final event is not announced yet."""
    with read_scope() as session:
        rows = session.execute(
            select(Execution.id)
            .where(text(UNANNOUNCED_SQL), Execution.finished_at.is_not(None))
            .where(Execution.status.in_(_ENDED))
            .order_by(Execution.finished_at)
            .limit(limit)
        )
        return [row.id for row in rows]


def overdue(before: datetime, now: datetime, limit: int = 100) -> list[uuid.UUID]:
    """Pending deliveries due before ``before`` whose message must be lost (its worker
    died holding it): each is claimed (its due time moved to ``now``, a compare-and-set,
    so two reapers claim it once) and returned, to be sent again."""
    with session_scope() as session:
        found = session.execute(
            select(WebhookDelivery.id, WebhookDelivery.next_attempt_at)
            .where(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at < before)
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
        ).all()
        claimed: list[uuid.UUID] = []
        for ident, due in found:
            moved = session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id == ident,
                    WebhookDelivery.status == PENDING,
                    WebhookDelivery.next_attempt_at == due,
                )
                .values(next_attempt_at=now)
            )
            if moved.rowcount:  # type: ignore[attr-defined]
                claimed.append(ident)
        return claimed


def _payload(event: str, row: Execution, now: datetime) -> dict[str, Any]:
    error = None
    if row.error_code is not None:
        error = {"code": row.error_code, "message": row.error_message}
    return {
        "type": event,
        "timestamp": now.isoformat(),
        "data": {
            "execution_id": str(row.id),
            "graph_id": str(row.graph_id),
            "status": row.status,
            "metadata": row.user_metadata or {},
            "attempt": row.attempt,
            "result": row.result,
            "error": error,
            "created_at": row.created_at.isoformat(),
            "finished_at": row.finished_at.isoformat() if row.finished_at else None,
        },
    }


def _add(
    session: Session, row: Execution, event: str, payload: dict[str, Any], key: str
) -> list[uuid.UUID]:
    made: list[uuid.UUID] = []
    now = utcnow()
    for index, hook in enumerate(row.webhooks or []):
        if event not in hook.get("events", ()):
            continue
        delivery = WebhookDelivery(
            id=uuid.uuid4(),
            execution_id=row.id,
            owner=row.owner,
            # the same for every try of it: receivers drop duplicates by it
            message_id=f"msg_{uuid.uuid5(row.id, f'{key}/{index}').hex}",
            event=event,
            url=hook["url"],
            payload=payload,
            status=PENDING,
            attempts=[],
            next_attempt_at=now,
            created_at=now,
        )
        session.add(delivery)
        made.append(delivery.id)
    return made


def announce(execution_id: uuid.UUID) -> list[uuid.UUID]:
    """Make the deliveries of the execution's final event, once (see the module's
    documentation); the ids of those made (none if it was announced already, has not
    ended, or has no webhook asking for the event)."""
    now = utcnow()
    with session_scope() as session:
        claimed = session.execute(
            update(Execution)
            .where(
                Execution.id == execution_id,
                Execution.webhooks.is_not(None),
                Execution.webhooks_announced_at.is_(None),
                Execution.status.in_(_ENDED),
            )
            .values(webhooks_announced_at=now)
            .returning(Execution.id)
        ).first()
        if claimed is None:
            return []
        row = session.get(Execution, execution_id)
        assert row is not None
        event = TERMINAL_EVENTS[row.status]
        return _add(session, row, event, _payload(event, row, now), event)


def announce_task(
    execution_id: uuid.UUID, attempt: int, index: int, output: dict[str, Any]
) -> list[uuid.UUID]:
    """Make the ``task.completed`` deliveries of one task's output (the ``index``-th
    task completed in attempt ``attempt``); made once, whoever asks twice."""
    now = utcnow()
    key = f"task.completed/{attempt}/{index}"
    with session_scope() as session:
        row = session.get(Execution, execution_id)
        if row is None or not any(
            "task.completed" in hook.get("events", ()) for hook in row.webhooks or []
        ):
            return []
        first = f"msg_{uuid.uuid5(row.id, f'{key}/0').hex}"
        taken = session.execute(
            select(WebhookDelivery.id)
            .where(WebhookDelivery.execution_id == execution_id)
            .where(WebhookDelivery.event == "task.completed")
            .where(WebhookDelivery.message_id == first)
        ).first()
        if taken is not None:
            return []
        payload = {
            "type": "task.completed",
            "timestamp": now.isoformat(),
            "data": {
                "execution_id": str(row.id),
                "graph_id": str(row.graph_id),
                "attempt": attempt,
                "task_index": index,
                **output,
            },
        }
        return _add(session, row, "task.completed", payload, key)


def job(delivery_id: uuid.UUID) -> Job | None:
    """The delivery's next try, with its owner's secret; None if it is gone."""
    with read_scope() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return None
        owner_name = delivery.owner
        owner = session.get(Owner, owner_name)
        secret = owner.webhook_secret if owner is not None else None
        values = (
            delivery.id,
            delivery.message_id,
            delivery.url,
            delivery.payload,
            delivery.status,
            len(delivery.attempts or []),
            delivery.round_started_at,
        )
    if secret is None:
        secret = secret_of(owner_name)
    ident, message_id, url, payload, status, tries, started = values
    return Job(ident, message_id, url, payload, secret, status, tries, started)


def record_try(
    delivery_id: uuid.UUID,
    attempt: dict[str, Any],
    *,
    status: str,
    next_attempt_at: datetime | None,
    round_started_at: datetime,
) -> None:
    """Record one try (``attempt``: when, the answer's status code or the error, how long)
    and what follows it: delivered, failed, or pending until ``next_attempt_at``."""
    with session_scope() as session:
        delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
        if delivery is None:
            return
        delivery.attempts = [*(delivery.attempts or []), attempt]
        delivery.status = status
        delivery.next_attempt_at = next_attempt_at
        delivery.round_started_at = delivery.round_started_at or round_started_at
        if status == DELIVERED:
            delivery.delivered_at = utcnow()


def _view(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "webhook_id": delivery.message_id,
        "event": delivery.event,
        "url": delivery.url,
        "status": delivery.status,
        "attempts": list(delivery.attempts or []),
        "next_attempt_at": delivery.next_attempt_at,
        "created_at": delivery.created_at,
        "delivered_at": delivery.delivered_at,
    }


def deliveries_of(execution_id: uuid.UUID, owner: str) -> list[dict[str, Any]] | None:
    """The execution's deliveries, oldest first; None if it is not the owner's."""
    with read_scope() as session:
        found = session.execute(
            select(Execution.owner).where(Execution.id == execution_id)
        ).scalar_one_or_none()
        if found != owner:
            return None
        rows = session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.execution_id == execution_id)
            .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
        )
        return [_view(row) for row in rows]


def resend(execution_id: uuid.UUID, delivery_id: uuid.UUID, owner: str) -> dict[str, Any] | None:
    """Make the delivery due again now (a new round of tries, the same ``webhook-id``);
    None if there is no such delivery of the owner's execution."""
    with session_scope() as session:
        delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
        if delivery is None or delivery.execution_id != execution_id or delivery.owner != owner:
            return None
        delivery.status = PENDING
        delivery.next_attempt_at = utcnow()
        delivery.round_started_at = None
        session.flush()
        return _view(delivery)
