"""Handing executions to the broker: the one place that publishes run messages.

Every message names the attempt it may start: ``after_attempt``, the execution's attempt
count when the message was published (0 for the first attempt, n for the retry after
attempt n). A worker starts an attempt only for the message that names the execution's
current count (a compare-and-set in ``store/attempts.py``), so a message left behind in
the queue (the first one of an execution whose priority was raised, which could not be
taken back) never starts a later attempt before its time. That is also why the reaper
may send a message again when it judges the first one lost (``redispatch_rule.py``): a
duplicate starts nothing.
"""

from __future__ import annotations

from execution_service.config import get_settings
from execution_service.messaging.celery_app import AFTER_ATTEMPT, RUN_EXECUTION, get_celery
from execution_service.priorities import BROKER_PRIORITY, Priority

# Celery's own hard time limit is a backstop behind the worker's deadline watch:
# only a worker process wedged beyond its deadline and grace period meets it.
BACKSTOP_SECONDS = 60.0


def publish(
    execution_id: str,
    priority: Priority | str,
    timeout_seconds: float | None = None,
    countdown: float | None = None,
    *,
    after_attempt: int,
) -> None:
    """Queue the message that starts the attempt after attempt ``after_attempt`` (0: the
    first) of the execution, at ``priority``, startable ``countdown`` seconds from now."""
    settings = get_settings()
    budget = timeout_seconds or settings.default_timeout_seconds
    get_celery().send_task(
        RUN_EXECUTION,
        args=[execution_id],
        kwargs={AFTER_ATTEMPT: after_attempt},
        # what the worker logs of the message, given rather than computed by saferepr
        argsrepr=f"['{execution_id}']",
        kwargsrepr=f"{{'{AFTER_ATTEMPT}': {after_attempt}}}",
        queue=settings.queue_name,
        priority=BROKER_PRIORITY[Priority(priority)],
        countdown=countdown,
        time_limit=budget + settings.stop_grace_seconds + BACKSTOP_SECONDS,
    )


def broker_backlog() -> int:
    """How many run messages wait in the broker's queue (not those a worker holds).

    On the way it declares the queue again: kombu's Redis transport keeps the queue's
    routing in a key of its own (``_kombu.binding.<queue>``), and a publisher declares
    a queue once per connection, so after a Redis restart without persistence (or a
    flush) every publish would go nowhere, silently, until somebody declares it again.
    Cheap: on Redis a ``SADD`` and one ``LLEN`` per priority step, whatever the backlog.
    """
    app = get_celery()
    queue = app.amqp.queues[get_settings().queue_name]
    with app.pool.acquire(block=True) as connection:
        bound = queue(connection.default_channel)
        bound.declare()
        declared = bound.queue_declare()
    return int(declared.message_count) if declared else 0
