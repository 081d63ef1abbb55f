"""The reaper: nothing is left stuck when nobody is watching an execution.

Every worker process that takes messages runs one (a thread); several at once
are safe because every move is a compare-and-set. Each round it:

* times out executions waiting between attempts whose deadline has passed, and
  queued ones past their queue deadline (so they are reported even while every
  worker is busy);
* times out running executions well past their deadline (their worker died or
  is wedged: its own watcher would have ended them at the deadline);
* recovers running executions whose worker stopped sending heartbeats: another
  attempt is queued if the policy allows one, else the execution fails with
  ``WORKER_LOST``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta

from sqlalchemy import select

from execution_service.config import get_settings
from execution_service.errors.codes import ErrorCode, error_info
from execution_service.messaging.dispatch import publish
from execution_service.status import Status
from execution_service.store import workers as presence
from execution_service.store.engine import read_scope, session_scope
from execution_service.store.failures import error_columns, error_history
from execution_service.store.models import Execution, utcnow
from execution_service.store.transitions import transition
from execution_service.worker.execute import end_with

log = logging.getLogger(__name__)


def _ids(query: object) -> list[tuple[uuid.UUID, int]]:
    with read_scope() as session:
        return [(row.id, row.attempt) for row in session.execute(query)]  # type: ignore[call-overload]


def reap_once() -> int:
    """One round; returns how many executions it moved."""
    settings = get_settings()
    now = utcnow()
    moved = 0
    overdue = (
        (Status.QUEUED, Execution.queue_deadline_at <= now, ErrorCode.QUEUE_TIMEOUT),
        (Status.RETRYING, Execution.deadline_at <= now, ErrorCode.EXECUTION_TIMEOUT),
        (
            Status.RUNNING,
            Execution.deadline_at
            <= now - timedelta(seconds=settings.stop_grace_seconds + settings.heartbeat_interval),
            ErrorCode.EXECUTION_TIMEOUT,
        ),
    )
    for status, condition, code in overdue:
        query = select(Execution.id, Execution.attempt).where(
            Execution.status == status.value, condition
        )
        for ident, attempt in _ids(query):
            info = error_info(code)
            moved += end_with(
                ident, Status.TIMED_OUT, info, frozenset({status}), attempt or None, by="reaper"
            )
    silent = now - timedelta(seconds=settings.heartbeat_timeout)
    lost = select(
        Execution.id,
        Execution.attempt,
        Execution.max_attempts,
        Execution.priority,
        Execution.timeout_seconds,
    ).where(Execution.status == Status.RUNNING.value, Execution.heartbeat_at < silent)
    with read_scope() as session:
        rows = list(session.execute(lost))
    for row in rows:
        info = error_info(ErrorCode.WORKER_LOST)
        if row.attempt < row.max_attempts:
            with session_scope() as session:
                again = transition(
                    session,
                    row.id,
                    Status.RETRYING,
                    expected=frozenset({Status.RUNNING}),
                    values=error_columns(info, row.attempt),
                    message=f"{info.message} Queued again.",
                    details=error_history(info, delay_seconds=0.0, by="reaper"),
                )
            if again is not None:
                publish(str(row.id), row.priority, row.timeout_seconds)
                moved += 1
        else:
            moved += end_with(
                row.id, Status.FAILED, info, frozenset({Status.RUNNING}), row.attempt, by="reaper"
            )
    return moved


class Reaper:
    """Every ``reaper_interval`` seconds, in a daemon thread: records that this worker
    is online, then runs :func:`reap_once`."""

    def __init__(self, hostname: str, concurrency: int) -> None:
        self.hostname = hostname
        self.concurrency = concurrency
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="reaper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        interval = get_settings().reaper_interval
        while True:
            try:
                presence.beat(self.hostname, self.concurrency)
                moved = reap_once()
                if moved:
                    log.info("reaper moved %d execution(s)", moved)
            except Exception:
                log.exception("reaper round failed")
            if self._stop.wait(interval):
                break

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        try:
            presence.leave(self.hostname)
        except Exception:
            log.exception("could not record that %s left", self.hostname)
