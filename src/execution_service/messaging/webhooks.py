"""Webhook deliveries as Celery tasks, off the crews' path.

:func:`announce` makes the deliveries of an ended execution (once: see
``store/webhook_deliveries.py``) and publishes one ``deliver_webhook`` message each, on
the webhook queue (``EXEC_WEBHOOK_QUEUE_NAME``). It runs after the commit that ended
the execution: in the worker right after the outcome is written, in the API after a
cancel, and in every worker's reaper for whatever ended otherwise (a timeout, a lost
worker) or was missed.

One message is one try (:func:`try_delivery`): the URL is checked against the operator's
policy again, on the addresses its host resolves to now, and the connection goes to the
address that was checked (no second lookup: a name rebound to a private address after
the check is never reached). The try waits ``EXEC_WEBHOOK_TIMEOUT_SECONDS`` at most for
each step (connect, send, the answer's status line), so a receiver that never answers
holds one pool slot that long, never the crews' path. No answer, 408, 429 or a 5xx: the
delivery is due again after a backoff (its next message published with that countdown)
until ``EXEC_WEBHOOK_RETRY_SECONDS`` after its first try; any other answer ends it.
At least once: a try may reach a receiver whose answer is lost, and is then made again
with the same ``webhook-id``.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from execution_service.config import get_settings
from execution_service.messaging.celery_app import get_celery
from execution_service.store import webhook_deliveries as deliveries
from execution_service.webhook_policy import host_of, refusal, retry_delay, retryable, sign

DELIVER_WEBHOOK = "execution_service.deliver_webhook"
# a pending delivery this much past due has lost its message (see announce_ended)
LOST_AFTER_SECONDS = 60.0

log = logging.getLogger(__name__)


def publish_delivery(delivery_id: uuid.UUID | str, countdown: float | None = None) -> None:
    """Queue one try of the delivery, ``countdown`` seconds from now."""
    get_celery().send_task(
        DELIVER_WEBHOOK,
        args=[str(delivery_id)],
        queue=get_settings().webhook_queue_name,
        countdown=countdown,
    )


def announce(execution_id: uuid.UUID | str) -> int:
    """Make and queue the deliveries of the ended execution's final event, if not made
    yet; how many were queued."""
    made = deliveries.announce(uuid.UUID(str(execution_id)))
    for delivery_id in made:
        publish_delivery(delivery_id)
    return len(made)


def announce_ended() -> int:
    """The reaper's round: announce every ended execution not announced yet, and send
    again the tries whose message is lost (a pending delivery overdue by far more than
    a try takes: its worker died holding the message, which the broker would give back
    only after its visibility timeout)."""
    sent = sum(announce(execution_id) for execution_id in deliveries.unannounced())
    now = datetime.now(UTC)
    grace = max(LOST_AFTER_SECONDS, 3 * get_settings().webhook_timeout_seconds)
    for delivery_id in deliveries.overdue(now - timedelta(seconds=grace), now):
        publish_delivery(delivery_id)
        sent += 1
    return sent


def announce_task(execution_id: uuid.UUID, attempt: int, index: int, output: dict[str, Any]) -> int:
    """Make and queue the ``task.completed`` deliveries of one task's output."""
    made = deliveries.announce_task(execution_id, attempt, index, output)
    for delivery_id in made:
        publish_delivery(delivery_id)
    return len(made)


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the address that was checked, not to a fresh lookup of the host."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _addresses(host: str, port: int) -> list[str]:
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def _post(url: str, address: str, headers: dict[str, str], body: bytes, timeout: float) -> int:
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    kind = _PinnedHTTPS if https else _PinnedHTTP
    connection = kind(host_of(url), port, address, timeout)
    try:
        connection.request("POST", parts.path or "/", body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status
    finally:
        connection.close()


def try_delivery(delivery_id: uuid.UUID) -> float | None:
    """One try of the delivery; the countdown of the next one, or None when there is
    none (delivered, given up, or not pending)."""
    job = deliveries.job(delivery_id)
    if job is None or job.status != deliveries.PENDING:
        return None
    settings = get_settings()
    started = datetime.now(UTC)
    round_started = job.round_started_at or started
    body = json.dumps(job.payload, separators=(",", ":"), sort_keys=True).encode()
    status_code: int | None = None
    error: str | None = None
    final = False
    clock = time.perf_counter()
    try:
        parts = urlsplit(job.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = _addresses(host_of(job.url), port)
        refused = refusal(
            job.url,
            allow_private=settings.webhook_allow_private,
            allowed_hosts=settings.webhook_allowed_hosts,
            addresses=addresses,
        )
        if refused is not None:
            error, final = refused, True
        else:
            timestamp = int(time.time())
            headers = {
                "content-type": "application/json",
                "user-agent": "crew-execution-webhooks",
                "webhook-id": job.message_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": sign(job.secret, job.message_id, timestamp, body),
            }
            status_code = _post(
                job.url, addresses[0], headers, body, settings.webhook_timeout_seconds
            )
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    took = round((time.perf_counter() - clock) * 1000, 1)
    attempt = {
        "at": started.isoformat(),
        "status_code": status_code,
        "error": error,
        "duration_ms": took,
    }
    if status_code is not None and 200 <= status_code < 300:
        deliveries.record_try(
            delivery_id,
            attempt,
            status=deliveries.DELIVERED,
            next_attempt_at=None,
            round_started_at=round_started,
        )
        return None
    delay = retry_delay(
        job.tries + 1, settings.webhook_retry_base_delay, settings.webhook_retry_max_delay
    )
    due = started + timedelta(seconds=delay)
    give_up = final or not retryable(status_code)
    give_up = give_up or due > round_started + timedelta(seconds=settings.webhook_retry_seconds)
    deliveries.record_try(
        delivery_id,
        attempt,
        status=deliveries.FAILED if give_up else deliveries.PENDING,
        next_attempt_at=None if give_up else due,
        round_started_at=round_started,
    )
    if give_up:
        log.info("webhook delivery %s given up: %s", delivery_id, error or status_code)
        return None
    return delay


def deliver(delivery_id: str) -> None:
    """The ``deliver_webhook`` task's body (registered by ``worker/tasks.py``): one try;
    the next one, if any, is its own message with a countdown."""
    again = try_delivery(uuid.UUID(delivery_id))
    if again is not None:
        publish_delivery(delivery_id, countdown=again)
