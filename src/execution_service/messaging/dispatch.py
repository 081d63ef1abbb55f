"""Handing executions to the broker: the one place that publishes run messages."""

from __future__ import annotations

from execution_service.config import get_settings
from execution_service.messaging.celery_app import RUN_EXECUTION, get_celery
from execution_service.priorities import BROKER_PRIORITY, Priority

# Celery's own hard time limit is a backstop behind the worker's deadline watch:
# only a worker process wedged beyond its deadline and grace period meets it.
BACKSTOP_SECONDS = 60.0


def publish(
    execution_id: str,
    priority: Priority | str,
    timeout_seconds: float | None = None,
    countdown: float | None = None,
) -> None:
    settings = get_settings()
    budget = timeout_seconds or settings.default_timeout_seconds
    get_celery().send_task(
        RUN_EXECUTION,
        args=[execution_id],
        # what the worker logs of the message, given rather than computed by saferepr
        argsrepr=f"['{execution_id}']",
        kwargsrepr="{}",
        queue=settings.queue_name,
        priority=BROKER_PRIORITY[Priority(priority)],
        countdown=countdown,
        time_limit=budget + settings.stop_grace_seconds + BACKSTOP_SECONDS,
    )
