"""Celery tasks. Thin: the work is in ``attempt`` (one attempt of one execution)."""

from __future__ import annotations

import logging
from typing import Any

from celery.exceptions import Retry
from celery.signals import worker_process_init, worker_ready, worker_shutdown

from execution_service.errors.codes import ErrorCode
from execution_service.messaging.celery_app import AFTER_ATTEMPT, RUN_EXECUTION, get_celery
from execution_service.store.worker_presence import (
    forget_parent_connections,
    use_worker_connections,
)
from execution_service.worker.attempt import give_up, run_execution
from execution_service.worker.reaper import Reaper

app = get_celery()
log = logging.getLogger(__name__)

use_worker_connections()


# max_retries=None: the graph's retry policy decides, not Celery's default of 3
@app.task(
    name=RUN_EXECUTION, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None
)
def run_execution_task(self: Any, execution_id: str, after_attempt: int | None = None) -> None:
    """Run the attempt the message names (``after_attempt``: see messaging/dispatch.py;
    absent from a message queued before messages named it)."""
    retry = run_execution(
        execution_id, worker=self.request.hostname or "worker", after_attempt=after_attempt
    )
    if retry is None:
        return
    # the next attempt goes back through the broker, so it survives this worker; its
    # message names the attempt that failed, and no worker starts it before the countdown
    try:
        raise self.retry(countdown=retry.delay, kwargs={AFTER_ATTEMPT: retry.after_attempt})
    except Retry:
        raise
    except Exception:
        log.exception("could not schedule the retry of execution %s", execution_id)
        give_up(execution_id, ErrorCode.BROKER_UNAVAILABLE, "The retry could not be queued.")


@worker_process_init.connect
def _after_fork(**_: Any) -> None:
    forget_parent_connections()


_reaper: Reaper | None = None


@worker_ready.connect
def _start_reaper(sender: Any = None, **_: Any) -> None:
    global _reaper
    if _reaper is None:
        hostname = getattr(sender, "hostname", None) or "worker"
        concurrency = int(
            getattr(getattr(sender, "pool", None), "limit", 0) or app.conf.worker_concurrency or 1
        )
        _reaper = Reaper(hostname, concurrency)
        _reaper.start()


@worker_shutdown.connect
def _stop_reaper(**_: Any) -> None:
    if _reaper is not None:
        _reaper.stop()
