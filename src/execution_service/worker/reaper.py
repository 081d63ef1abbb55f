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
  ``WORKER_LOST``;
* sends again the messages of waiting executions whose messages were lost (a Redis
  restarted without persistence or flushed, an API process that died between
  committing a batch and publishing it, a broker that refused a message), by the rule
  of ``redispatch_rule.py``: only when a message cannot be waiting in the broker, so a
  long backlog is never sent twice. Each lost execution is sent once however many
  reapers run (a compare-and-set on its ``dispatched_at``).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from execution_service import redispatch_rule as rule
from execution_service.config import get_settings
from execution_service.messaging import webhooks
from execution_service.messaging.dispatch import broker_backlog, publish
from execution_service.store import queue_counts, queueing, reaping, usage_records, worker_presence
from execution_service.store import redispatch as waiting
from execution_service.store.engine import DatabaseUnavailable, unavailable_within

log = logging.getLogger(__name__)


def reap_once() -> int:
    """One round; returns how many executions it moved."""
    settings = get_settings()
    now = datetime.now(UTC)
    # a running execution's own watcher ends it at the deadline: one well past it has
    # no watcher (its worker died or is wedged)
    grace = settings.stop_grace_seconds + settings.heartbeat_interval
    moved = reaping.time_out_overdue(now, running_grace_seconds=grace)
    # silence is counted only while the database can be reached: a watcher cut off
    # from it could not write its heartbeat (worker/outcomes.py states the rule)
    if not unavailable_within(settings.heartbeat_timeout):
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
    return moved + redispatch_once(now)


def redispatch_once(now: datetime) -> int:
    """Send again the messages judged lost (``redispatch_rule.py``), most urgent and
    oldest first; returns how many were sent. Nothing is read beyond two index lookups
    unless an execution has waited longer than the bound or is owed a message."""
    bound = get_settings().redispatch_after_seconds
    owed, oldest = waiting.owed_or_oldest()
    if not owed and (oldest is None or oldest > now - timedelta(seconds=bound)):
        return 0
    try:
        backlog = broker_backlog()
    except Exception as exc:  # the broker is down: nothing can be sent now
        log.warning("cannot reach the broker to look for lost messages: %r", exc)
        return 0
    slack = timedelta(seconds=rule.ORDER_SLACK_SECONDS)
    marks = waiting.passed_marks(now - timedelta(seconds=rule.LOOKBACK_SECONDS), now - slack)
    lost_before = rule.cutoffs(now, bound, marks, broker_empty=backlog == 0)
    due = rule.due(waiting.waiting_before(lost_before, rule.BATCH), now, bound, lost_before)
    claimed = waiting.claim(due, now)
    for sent, one in enumerate(claimed):
        try:
            publish(
                str(one.execution_id),
                one.priority,
                one.timeout_seconds,
                after_attempt=one.attempt,
            )
        except Exception as exc:
            unsent = claimed[sent:]
            log.warning("the broker refused %d message(s) sent again: %r", len(unsent), exc)
            waiting.mark_owed((u.execution_id, now) for u in unsent)
            return sent
    if claimed:
        log.info(
            "sent again %d message(s) judged lost (%d waiting in the broker)",
            len(claimed),
            backlog,
        )
    return len(claimed)


KEY_SWEEP_SECONDS = 300.0  # how often a reaper gives back expired idempotency keys' rows


def forget_expired_keys() -> int:
    """Delete idempotency keys past their keeping time (they no longer count: expiry is
    checked when a key is used; this only keeps the table from growing)."""
    keep = timedelta(seconds=get_settings().idempotency_keep_seconds)
    return queueing.forget_idempotency_keys(datetime.now(UTC) - keep, limit=10_000)


USAGE_SWEEP_SECONDS = 30.0  # how often a reaper deletes old usage records


def forget_old_usage_records() -> int:
    """Delete usage records past their keeping time (the queue statistics read the last
    minute of them; this keeps the table to a few minutes of writes)."""
    keep = timedelta(seconds=usage_records.KEEP_SECONDS)
    return usage_records.forget_usage_records(datetime.now(UTC) - keep)


COUNTS_FOLD_SECONDS = 60.0  # how often a reaper merges the kept counts of gone sessions


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
        next_key_sweep = time.monotonic()
        next_usage_sweep = time.monotonic()
        next_counts_fold = time.monotonic()
        while True:
            try:
                worker_presence.beat(self.hostname, self.concurrency)
                moved = reap_once()
                if moved:
                    log.info("reaper moved %d execution(s)", moved)
                if time.monotonic() >= next_key_sweep:
                    next_key_sweep = time.monotonic() + KEY_SWEEP_SECONDS
                    forget_expired_keys()
                if time.monotonic() >= next_usage_sweep:
                    next_usage_sweep = time.monotonic() + USAGE_SWEEP_SECONDS
                    forget_old_usage_records()
                if time.monotonic() >= next_counts_fold:
                    next_counts_fold = time.monotonic() + COUNTS_FOLD_SECONDS
                    queue_counts.fold_counts()
                # the webhooks of executions that ended elsewhere (a timeout, a lost
                # worker) or whose announcement was missed: one partial-index lookup
                webhooks.announce_ended()
            except DatabaseUnavailable as exc:  # an outage: one line a round, no traceback
                log.warning("reaper round skipped: the database cannot be reached (%s)", exc)
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
