"""Webhooks: the owner's signing secret, an execution's deliveries, re-sending one, and
the operator's outbound policy for the webhooks a request or a graph names."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from execution_service.config import get_settings
from execution_service.graph import WebhookSpec
from execution_service.messaging import webhooks as messages
from execution_service.provider_policy import Refusal
from execution_service.service.access import Principal
from execution_service.service.refusals import ExecutionNotFound, InvalidRequest, NotFound
from execution_service.store import webhook_deliveries as deliveries
from execution_service.webhook_policy import refusal

log = logging.getLogger(__name__)


def webhook_refusals(hooks: list[WebhookSpec] | None, at: str = "webhooks") -> list[Refusal]:
    """Each webhook URL the operator's policy refuses, by field (``webhooks.0.url``)."""
    settings = get_settings()
    found: list[Refusal] = []
    for index, hook in enumerate(hooks or []):
        why = refusal(
            hook.url,
            allow_private=settings.webhook_allow_private,
            allowed_hosts=settings.webhook_allowed_hosts,
        )
        if why is not None:
            found.append(Refusal(f"{at}.{index}.url", why))
    return found


def refuse_webhooks(hooks: list[WebhookSpec]) -> None:
    """422 naming each webhook URL the operator's policy refuses; nothing is queued."""
    refused = webhook_refusals(hooks)
    if refused:
        raise InvalidRequest(
            "; ".join(f"{r.field}: {r.message}" for r in refused),
            [{"field": r.field, "message": r.message} for r in refused],
        )


def webhook_secret(caller: Principal) -> dict[str, Any]:
    """The caller's signing secret (made on first use)."""
    return {"secret": deliveries.secret_of(caller.owner), "scheme": "standard-webhooks v1"}


def list_deliveries(execution_id: uuid.UUID, caller: Principal) -> dict[str, Any]:
    """The execution's deliveries, oldest first, each with its tries."""
    found = deliveries.deliveries_of(execution_id, caller.owner)
    if found is None:
        raise ExecutionNotFound(f"No execution with id {execution_id}")
    return {"items": found}


def resend(execution_id: uuid.UUID, delivery_id: uuid.UUID, caller: Principal) -> dict[str, Any]:
    """Deliver again (a new round of tries, the same ``webhook-id``)."""
    found = deliveries.resend(execution_id, delivery_id, caller.owner)
    if found is None:
        raise NotFound(
            f"No webhook delivery {delivery_id} of execution {execution_id}",
            {"delivery_id": str(delivery_id)},
        )
    messages.publish_delivery(delivery_id)
    return found


def announce_end(execution_id: uuid.UUID) -> None:
    """After a cancel's commit: queue its webhooks' deliveries (the reapers' round
    catches what this misses)."""
    try:
        messages.announce(execution_id)
    except Exception:
        log.exception("could not queue the webhooks of %s", execution_id)
