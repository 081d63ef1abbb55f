"""Celery tasks. Thin: the work is in ``attempt`` (one attempt of one execution).

Also the worker's signals: the reaper starts with the worker and stops with it, and a
worker told to stop lets its crews finish within a grace period or hands them back
(``worker/shutdown.py``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import uuid
from types import FrameType
from typing import Any

from celery.exceptions import Retry
from celery.signals import (
    setup_logging,
    task_postrun,
    task_prerun,
    worker_process_init,
    worker_ready,
    worker_shutdown,
    worker_shutting_down,
)

from execution_service import logs
from execution_service.config import get_settings
from execution_service.errors.codes import ErrorCode
from execution_service.messaging import webhooks
from execution_service.messaging.celery_app import AFTER_ATTEMPT, RUN_EXECUTION, get_celery
from execution_service.store.engine import DatabaseUnavailable
from execution_service.store.execution_reads import read_execution
from execution_service.store.worker_presence import (
    forget_parent_connections,
    use_worker_connections,
)
from execution_service.worker.attempt import give_up, run_execution
from execution_service.worker.reaper import Reaper
from execution_service.worker.shutdown import shutdown

app = get_celery()
log = logging.getLogger(__name__)

use_worker_connections()


@setup_logging.connect
def _logging(loglevel: Any = None, **_: Any) -> None:
    """A Celery worker logs as every process of the service does (``logs.py``): Celery
    leaves its own set-up out when this signal has a receiver."""
    settings = get_settings()
    logs.configure(loglevel or settings.log_level, settings.log_format)


# max_retries=None: the graph's retry policy decides, not Celery's default of 3
@app.task(
    name=RUN_EXECUTION, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None
)
def run_execution_task(
    self: Any, execution_id: str, after_attempt: int | None = None
) -> dict[str, Any] | None:
    """Run the attempt the message names (``after_attempt``: see messaging/dispatch.py;
    absent from a message queued before messages named it).

    The task succeeds once the message is handled, whatever the execution's outcome
    (a failed crew is not a failed task: raising would log a traceback per failed crew
    and mix it up with a worker that could not handle its message, which Flower shows
    as FAILURE). With task events on (``EXEC_TASK_EVENTS``) it returns the execution's
    outcome, which Flower shows as the task's result; without, nobody sees a result,
    and it reads nothing for one."""
    worker = self.request.hostname or "worker"
    try:
        with logs.about(execution_id=execution_id, worker=worker):
            retry = run_execution(execution_id, worker=worker, after_attempt=after_attempt)
    except DatabaseUnavailable as exc:
        # nothing started (or, if it did, the reaper recovers it): the same message is
        # sent again, to be tried once the database is back
        wait = min(get_settings().outcome_write_max_wait, 1.0)
        log.warning(
            "execution %s: the database is unreachable (%s); its message is tried again in %.1f s",
            execution_id,
            exc,
            wait,
        )
        again = {} if after_attempt is None else {AFTER_ATTEMPT: after_attempt}
        raise self.retry(countdown=wait, kwargs=again) from exc
    if retry is None:
        return _outcome(execution_id) if self.app.conf.worker_send_task_events else None
    # the next attempt goes back through the broker, so it survives this worker; its
    # message names the attempt that failed, and no worker starts it before the countdown
    try:
        raise self.retry(countdown=retry.delay, kwargs={AFTER_ATTEMPT: retry.after_attempt})
    except Retry:
        raise
    except Exception:
        log.exception("could not schedule the retry of execution %s", execution_id)
        give_up(execution_id, ErrorCode.BROKER_UNAVAILABLE, "The retry could not be queued.")
    return None


def _outcome(execution_id: str) -> dict[str, Any]:
    """What the execution is now, for Flower: its status and error code."""
    try:
        row = read_execution(uuid.UUID(execution_id))
    except DatabaseUnavailable:
        row = None
    if row is None:
        return {"execution_id": execution_id, "status": None, "error_code": None}
    return {"execution_id": execution_id, "status": row.status, "error_code": row.error_code}


@app.task(name=webhooks.DELIVER_WEBHOOK, acks_late=True, ignore_result=True)
def deliver_webhook_task(delivery_id: str) -> None:
    """One try of a webhook delivery (``messaging/webhooks.py``)."""
    webhooks.deliver(delivery_id)


_pool_process = False  # this process is a prefork pool process
_default_sigterm: Any = None  # what SIGTERM did in it before (billiard's clean exit)


@worker_process_init.connect
def _after_fork(**_: Any) -> None:
    global _pool_process
    forget_parent_connections()
    shutdown.reset()
    _pool_process = True


def _pool_process_told_to_stop(signum: int, frame: FrameType | None) -> None:
    """SIGTERM in a pool process: a busy one starts the grace period and goes on; an idle
    one ends at once, as it did before (billiard's handler)."""
    if shutdown.busy:
        shutdown.begin(get_settings().worker_shutdown_grace_seconds)
        return
    previous = _default_sigterm
    if callable(previous):
        previous(signum, frame)
        return
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _hear_sigterm_in_pool_process() -> None:
    """Billiard sets its own SIGTERM handler after ``worker_process_init``: ours goes in
    at the first task (tasks run in the pool process's main thread), once."""
    global _default_sigterm
    if not _pool_process or _default_sigterm is not None:
        return
    if threading.current_thread() is not threading.main_thread():
        return
    _default_sigterm = signal.getsignal(signal.SIGTERM) or signal.SIG_DFL
    signal.signal(signal.SIGTERM, _pool_process_told_to_stop)


# (by name: the sender is the task object, which the decorator's proxy is not)
@task_prerun.connect
def _task_started(sender: Any = None, **_: Any) -> None:
    if getattr(sender, "name", None) == RUN_EXECUTION:
        _hear_sigterm_in_pool_process()
        shutdown.task_started()


@task_postrun.connect
def _task_ended(sender: Any = None, **_: Any) -> None:
    if getattr(sender, "name", None) == RUN_EXECUTION:
        shutdown.task_ended()


@worker_shutting_down.connect
def _worker_told_to_stop(**_: Any) -> None:
    """The main process is told to stop (SIGTERM, SIGINT, SIGQUIT): crews running in this
    process (threads or solo pool) get the grace period, and so do those of its prefork
    pool processes, which are told with a SIGTERM of their own."""
    grace = get_settings().worker_shutdown_grace_seconds
    shutdown.begin(grace)
    pool = getattr(_consumer, "pool", None)
    processes = (getattr(pool, "info", None) or {}).get("processes", [])
    for pid in processes:
        if pid and pid != os.getpid():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
    log.info("worker stopping: running crews get %.1f s to finish, then are handed back", grace)


_reaper: Reaper | None = None
_consumer: Any = None  # the worker's consumer (its pool), for the stop above


@worker_ready.connect
def _start_reaper(sender: Any = None, **_: Any) -> None:
    global _reaper, _consumer
    _consumer = sender
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
