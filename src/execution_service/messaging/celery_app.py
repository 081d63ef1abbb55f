"""The Celery application: broker settings fit for long-running crews.

What each setting is for (checked against the Redis broker and prefork workers by the
services stack of the acceptance suite, which reads them back from the running workers):

* ``task_acks_late`` + ``task_reject_on_worker_lost``: a message is acknowledged only
  when its execution is over, so a worker that dies mid-crew gives the message back.
* ``worker_prefetch_multiplier=1``: a worker reserves one message per pool slot and no
  more; a long crew never sits on messages another worker could start.
* ``visibility_timeout`` (Redis): longer than the longest execution allowed, or Redis
  would hand a still-running execution's message to a second worker.
* JSON only, no result backend: results live in the database, not in Celery.
* ``worker_send_task_events`` / ``task_send_sent_event``: ``EXEC_TASK_EVENTS`` (off by
  default): one more message on the broker per task and state change, for Flower. The
  run task's state is the message's, not the execution's: SUCCESS once the message was
  handled, whatever the execution's outcome; its result (``{"execution_id", "status",
  "error_code"}``, in the ``task-succeeded`` event Flower shows) is the execution's.
* ``worker_concurrency`` / ``worker_pool``: from ``EXEC_WORKER_CONCURRENCY`` /
  ``EXEC_WORKER_POOL``, so a plain ``celery -A execution_service.worker.app worker``
  runs the same pool as ``execution-service worker``.

Celery sets up the worker's logging (``worker_hijack_root_logger`` left on): a worker
started with plain ``celery worker`` logs "ready", every task and every error. The
embedded stack, which runs a worker inside another program, switches that off itself.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu import Queue

from execution_service.config import Settings, get_settings
from execution_service.messaging import memory_transport, redis_transport
from execution_service.priorities import PRIORITY_STEPS

RUN_EXECUTION = "execution_service.run_execution"
# the run message's keyword argument naming the attempt it may start (see dispatch.py);
# a message without it (queued before messages carried it) starts whatever attempt is due
AFTER_ATTEMPT = "after_attempt"

memory_transport.register()


def make_celery(settings: Settings) -> Celery:
    app = Celery("execution_service", broker=settings.broker_url)
    if settings.broker_url.startswith(("redis://", "rediss://")):
        # kombu's Redis transport, reusing its Redis client (see redis_broker)
        app.conf.broker_transport = redis_transport.TRANSPORT
    transport_options: dict[str, Any] = {
        "priority_steps": PRIORITY_STEPS,
        "sep": ":",
        "queue_order_strategy": "priority",
        # longer than the longest execution allowed, so a running crew's message
        # is never handed to a second worker while the first still holds it
        "visibility_timeout": int(settings.max_timeout_seconds * 2),
    }
    if settings.broker_url.startswith(("memory", memory_transport.SCHEME)):
        transport_options = {"polling_interval": 0.01}
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_store_errors_even_if_ignored=False,
        task_default_queue=settings.queue_name,
        task_queues=[
            Queue(settings.queue_name, queue_arguments={"x-max-priority": 10}),
            # webhook deliveries (messaging/webhooks.py): never ahead of a crew's message
            Queue(settings.webhook_queue_name),
        ],
        task_default_priority=6,
        broker_transport_options=transport_options,
        broker_connection_retry_on_startup=True,
        worker_concurrency=settings.worker_concurrency,
        worker_pool=settings.worker_pool,
        # task events for Flower and `celery events` (EXEC_TASK_EVENTS, off by default)
        worker_send_task_events=settings.task_events,
        task_send_sent_event=settings.task_events,
        enable_utc=True,
    )
    app.conf.imports = ("execution_service.worker.tasks",)
    return app


_app: Celery | None = None


def get_celery() -> Celery:
    global _app
    if _app is None:
        _app = make_celery(get_settings())
        # signatures built inside tasks (e.g. by ``Task.retry``) resolve the
        # default app: it must be this one, or they go to Celery's default broker
        _app.set_default()
    return _app


def reset_celery() -> None:
    global _app
    _app = None
