"""One attempt of one execution, start to end: the database row, not the message, decides.

The story: start the attempt (the execution must be waiting to run that attempt, the one
the message names, else the message is dropped); ask the model provider's circuit
breaker; run the crew under watch (:mod:`~execution_service.worker.supervise`); record
how it ended (completed, retrying after a backoff, failed, or only stopped when somebody
else ended it) and tell the breaker what it saw.

Returns the next attempt (:class:`NextAttempt`: how long to wait, and the attempt count
its message names) when the attempt failed in a way worth retrying, or was handed back
because its worker is stopping (``worker/shutdown.py``: the attempt is released, not
counted, and due at once); the Celery task then re-queues itself through the broker.

How the attempt ended is written even if the database is away for a while
(``worker/outcomes.py``); a worker that has to give up leaves the execution to the
reapers, which retry or fail it once the database is back.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from execution_service import logs
from execution_service.breaker import get_breaker, provider_of
from execution_service.errors.classify import classify
from execution_service.errors.codes import PROVIDER_OUTAGE_CODES, ErrorCode, ErrorInfo, error_info
from execution_service.errors.exceptions import CircuitOpen
from execution_service.messaging import webhooks
from execution_service.resume import ResumePlan, plan_resume
from execution_service.retry import backoff_delay
from execution_service.status import Status
from execution_service.store.attempts import (
    Attempt,
    RetryOwed,
    UsageWrite,
    hand_back,
    note_start,
    record_completion,
    record_failure,
    start_attempt,
)
from execution_service.store.engine import DatabaseUnavailable
from execution_service.store.failures import end_with_error
from execution_service.worker.outcomes import OutcomeLost, let_go, written
from execution_service.worker.progress import recorded_output
from execution_service.worker.supervise import supervise

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NextAttempt:
    """A retry to queue: startable in ``delay`` seconds, its message naming
    ``after_attempt`` (the attempt that just failed)."""

    delay: float
    after_attempt: int


def run_execution(
    execution_id: str, worker: str, after_attempt: int | None = None
) -> NextAttempt | None:
    """Run the attempt after attempt ``after_attempt`` (what the message names; None:
    whichever is due); return the retry to queue, or None if there is none."""
    attempt = start_attempt(uuid.UUID(execution_id), worker, after_attempt)
    if attempt is None:
        log.info(
            "execution %s is not waiting to run the attempt after attempt %s; message dropped",
            execution_id,
            after_attempt,
        )
        return None
    if isinstance(attempt, RetryOwed):
        # the retry's own message may be lost (its worker died before sending it): this
        # one is sent again in its place, startable only when the retry is due
        log.info(
            "execution %s waits for its retry; its message is sent again, due in %.2f s",
            execution_id,
            attempt.due_in,
        )
        return NextAttempt(attempt.due_in, attempt.after_attempt)
    logs.bind(attempt=attempt.number, graph_id=attempt.graph_id)
    breaker = get_breaker()
    circuit = provider_of(attempt.spec)
    decision = breaker.acquire(circuit)
    if not decision.allowed:
        return _failed(attempt, classify(CircuitOpen(circuit, decision.retry_in)))
    plan = _resume_plan(attempt)
    outcome = supervise(attempt, plan)
    if outcome.stopped is not None:
        breaker.release(circuit, decision.trial)
        log.info("execution %s stopped (%s)", execution_id, outcome.stopped)
        return None
    if outcome.handed_back:
        breaker.release(circuit, decision.trial)
        return _handed_back(attempt, worker)
    if outcome.error is not None:
        info = classify(outcome.error)
        log.info("execution %s attempt %d failed: %s", execution_id, attempt.number, info.code)
        if info.code in PROVIDER_OUTAGE_CODES:
            breaker.failure(circuit, decision.trial)
        else:
            breaker.release(circuit, decision.trial)
        return _failed(attempt, info, outcome.usage)
    assert outcome.result is not None
    if not decision.clean:  # a clean success changes nothing: no round trip for it
        breaker.success(circuit, decision.trial)
    tasks = [recorded_output(task) for task in outcome.result.tasks]
    raw = outcome.result.raw
    try:
        if not written(
            lambda: record_completion(attempt, raw, tasks, outcome.usage, outcome.steps),
            f"the result of {execution_id}",
        ):
            let_go(attempt)  # cancelled or timed out just as it completed
    except OutcomeLost:
        pass  # logged; a reaper takes it over once the database is back
    _announce(attempt, tasks, plan.start_index)
    return None


def _resume_plan(attempt: Attempt) -> ResumePlan:
    """What the attempt re-uses of the outputs stored before it started; its history
    row says so (only when there was something to decide: a plain start costs nothing)."""
    if attempt.stored_outputs is None:
        return ResumePlan()
    plan = plan_resume(attempt.spec, attempt.stored_outputs, attempt.rerun_from_task)
    if plan.note is not None and plan.details is not None:
        note, details = plan.note, plan.details
        try:
            note_start(attempt, note, details)
        except DatabaseUnavailable as exc:  # only a note: the crew does not wait for it
            log.warning(
                "execution %s: could not note its resumed start (%s)", attempt.execution_id, exc
            )
    return plan


def _announce(attempt: Attempt, tasks: list[dict[str, Any]] | None = None, first: int = 0) -> None:
    """After the outcome's commit: queue the webhook deliveries of the execution's end
    (and of its task outputs from ``first`` on not announced yet: the ones before were
    re-used, not completed by this attempt). Nothing at all without webhooks; a failure
    here is left to the reapers' round (``messaging/webhooks.py``)."""
    if not attempt.webhooks:
        return
    try:
        if tasks and any("task.completed" in h.get("events", ()) for h in attempt.webhooks):
            for index, output in enumerate(tasks[first:], start=first):
                webhooks.announce_task(attempt.execution_id, attempt.number, index, output)
        webhooks.announce(attempt.execution_id)
    except Exception:
        log.exception("could not queue the webhooks of %s", attempt.execution_id)


def _handed_back(attempt: Attempt, worker: str) -> NextAttempt | None:
    """Release the attempt of a crew stopped because its worker is stopping; the message
    that starts it again (the same attempt, at once) is the caller's to send."""
    try:
        released = written(
            lambda: hand_back(attempt, worker), f"the hand-back of {attempt.execution_id}"
        )
    except OutcomeLost:
        return None  # logged; a reaper takes it over once the database is back
    if not released:
        let_go(attempt)  # somebody else ended it first (a cancel, the deadline)
        return None
    log.info("execution %s handed back to the queue", attempt.execution_id)
    return NextAttempt(0.0, attempt.number - 1)


def _failed(
    attempt: Attempt, info: ErrorInfo, usage: UsageWrite | None = None
) -> NextAttempt | None:
    """Record a failed attempt: retrying (returns the retry) or failed (returns None).

    A retry waits the graph's backoff, but never past the deadline: the next message
    then reports the timeout."""
    retry_in = None
    if info.retryable and attempt.number < attempt.max_attempts:
        retry_in = backoff_delay(
            attempt.spec.settings.retry, attempt.number, info.retry_after_seconds
        )
        if attempt.deadline is not None:
            left = (attempt.deadline - datetime.now(UTC)).total_seconds()
            retry_in = max(0.0, min(retry_in, left))
    try:
        moved = written(
            lambda: record_failure(attempt, info, retry_in, usage),
            f"the failure of {attempt.execution_id}",
        )
    except OutcomeLost:
        return None  # logged; a reaper takes it over once the database is back
    if not moved:
        let_go(attempt)  # somebody else ended it first (a cancel, the deadline)
        return None
    if retry_in is None:
        _announce(attempt)
        return None
    return NextAttempt(retry_in, attempt.number)


def give_up(execution_id: str, code: ErrorCode, message: str) -> None:
    """Mark an execution failed when its retry could not even be scheduled."""
    info = ErrorInfo(code, error_info(ErrorCode.INTERNAL_ERROR).category, True, message)
    end_with_error(uuid.UUID(execution_id), Status.FAILED, info, frozenset({Status.RETRYING}))
