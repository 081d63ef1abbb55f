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
from datetime import UTC, datetime

from execution_service.config import get_settings
from execution_service.messaging.dispatch import publish
from execution_service.store import reaping, worker_presence
from execution_service.store.engine import unavailable_within

log = logging.getLogger(__name__)


def reap_once() -> int:
    """One round; returns how many executions it moved."""
    settings = get_settings()
    now = datetime.now(UTC)
    # a running execution's own watcher ends it at the deadline: one well past it has
    # no watcher (its worker died or is wedged)
    grace = settings.stop_grace_seconds + settings.heartbeat_interval
    moved = reaping.time_out_overdue(now, running_grace_seconds=grace)
    if unavailable_within(settings.heartbeat_timeout):
        # silence is counted only while the database can be reached: a watcher cut off
        # from it could not write its heartbeat (worker/outcomes.py states the rule)
        return moved
    for lost in reaping.lost_executions(now, settings.heartbeat_timeout):
        if not lost.may_retry:
            moved += reaping.fail_lost(lost)
        elif reaping.retry_lost(lost):
            publish(
                str(lost.execution_id),
                lost.priority,
                lost.timeout_seconds,
                after_attempt=lost.attempt,
            )
            moved += 1
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
                worker_presence.beat(self.hostname, self.concurrency)
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
            worker_presence.leave(self.hostname)
        except Exception:
            log.exception("could not record that %s left", self.hostname)
