"""The watch loop: runs an attempt's crew and stops it on a cancel or at the deadline.

The crew runs in a thread of its own (kept for the next attempt: see
``crew_threads``); the task's thread watches it. Every ``stop_check_interval`` the
watcher looks at the execution's row and its deadline: when the execution was
cancelled (by the API) or reaches its deadline (the watcher marks it ``timed_out``),
the crew is asked to stop at its next step (``hooks.should_stop()``); if it has not
stopped after ``stop_grace_seconds``, a stop exception (:class:`HardStop`) is
injected into its thread and the task lets go of it at once, so the worker slot is
free for the next execution. The watcher also keeps the execution's heartbeat fresh
and writes the crew's progress when it is due.

When the worker is told to stop (``worker/shutdown.py``) and its grace period is over,
a crew still running is stopped the same way, and the outcome says it is to be handed
back (``handed_back``): the caller releases the attempt.

While the database cannot be reached the crew keeps running: the watcher cannot see a
cancel then (it looks again once the database is back), its heartbeat and progress
writes are tried again at their next turn, and at the deadline the crew is stopped even
if the timeout could not be written (a reaper writes it once the database is back).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from execution_service.config import get_settings
from execution_service.crews.crewai.runner import get_runner
from execution_service.crews.interface import RunContext, RunResult, StopRequested, current_run
from execution_service.errors.codes import ErrorCode, error_info
from execution_service.resume import ResumePlan
from execution_service.status import Status
from execution_service.store.attempts import Attempt, Step, UsageWrite, heartbeat, read_status
from execution_service.store.engine import DatabaseUnavailable
from execution_service.store.failures import end_with_error
from execution_service.worker.crew_threads import crew_threads
from execution_service.worker.outcomes import let_go
from execution_service.worker.progress import ProgressWriter, reused_result
from execution_service.worker.shutdown import shutdown

log = logging.getLogger(__name__)


class HardStop(BaseException):
    """Injected into a crew thread that did not stop when asked."""


@dataclass
class Outcome:
    """How the crew's run ended: its result, the error it raised, or why it was stopped
    (``stopped``: ``"deadline"``, ``"requested"``, or the status somebody else moved
    the execution to)."""

    result: RunResult | None = None
    error: BaseException | None = None
    stopped: str | None = None
    handed_back: bool = False  # its worker is stopping: the attempt is to be released
    usage: UsageWrite | None = None  # its model calls' usage (None: it made none)
    # a completed crew's steps not written yet: its completion's write records them
    steps: list[Step] = field(default_factory=list)


def supervise(attempt: Attempt, plan: ResumePlan | None = None) -> Outcome:
    """Run the crew in its own thread; stop it on a cancel or at the deadline.

    The watcher wakes every ``stop_check_interval``, and at the deadline itself.
    When the crew was stopped (``outcome.stopped``) the worker's letting go is recorded
    here; when it ended by itself, the write that records how it ended records that too.
    ``plan``: the tasks it re-uses (``execution_service/resume.py``), not run again.
    """
    settings = get_settings()
    stop = threading.Event()
    reused = [reused_result(output) for output in (plan.reused if plan else [])]
    hooks = ProgressWriter(attempt, stop, settings.progress_write_interval, reused)
    outcome = Outcome()

    def crew() -> None:
        token = current_run.set(
            RunContext(
                attempt.execution_id, attempt.number, attempt.spec, attempt.usage, attempt.budget
            )
        )
        try:
            outcome.result = get_runner().run(attempt.spec, attempt.inputs, hooks, reused)
        except BaseException as exc:  # handed to the watcher, which decides
            outcome.error = exc
        finally:
            current_run.reset(token)

    running = crew_threads.start(crew)
    deadline = attempt.deadline.timestamp() if attempt.deadline else None
    hard_stop_at = 0.0
    next_beat = time.monotonic() + settings.heartbeat_interval
    handing_back = False
    unreachable = False  # the last look at the database failed
    while True:
        wait = settings.stop_check_interval
        if deadline is not None and outcome.stopped is None:
            wait = max(0.0, min(wait, deadline - time.time()))
        if running.wait(wait):
            break
        now = time.monotonic()
        if outcome.stopped is None and not handing_back:
            try:
                if deadline is not None and time.time() >= deadline:
                    outcome.stopped = "deadline"  # stopped even if the write below fails
                    end_with_error(
                        attempt.execution_id,
                        Status.TIMED_OUT,
                        error_info(ErrorCode.EXECUTION_TIMEOUT),
                        frozenset({Status.RUNNING}),
                        attempt.number,
                    )
                else:
                    status, number = read_status(attempt)
                    if status != Status.RUNNING or number != attempt.number:
                        outcome.stopped = str(status)
                if outcome.stopped is None:
                    hooks.flush_due()
                    hooks.announce_tasks()
                    if now >= next_beat:
                        next_beat = now + settings.heartbeat_interval
                        heartbeat(attempt)
                unreachable = False
            except DatabaseUnavailable as exc:
                if not unreachable:
                    log.warning(
                        "execution %s: the database is unreachable (%s); its crew goes on",
                        attempt.execution_id,
                        exc,
                    )
                unreachable = True
            if outcome.stopped is None and shutdown.hand_back_due():
                log.info(
                    "execution %s: the worker is stopping; its crew is stopped and handed back",
                    attempt.execution_id,
                )
                handing_back = True
            if outcome.stopped is not None or handing_back:
                stop.set()
                hard_stop_at = now + settings.stop_grace_seconds
        elif now >= hard_stop_at:
            log.warning(
                "execution %s did not stop within %.1f s; stopping its crew hard",
                attempt.execution_id,
                settings.stop_grace_seconds,
            )
            running.interrupt(HardStop)
            break
    finished = outcome.result is not None
    if handing_back and outcome.stopped is None and not finished:
        outcome.handed_back = True  # whatever it raised, it was stopped by the shutdown
        outcome.error = None
    elif outcome.stopped is None and isinstance(outcome.error, (StopRequested, HardStop)):
        outcome.stopped = "requested"
    if outcome.stopped is not None:
        hooks.discard()  # the execution has moved on: progress is no longer written
        let_go(attempt)
    elif outcome.handed_back:
        hooks.discard()  # the next start begins afresh; the hand-back records the let-go
    elif outcome.error is not None:
        hooks.flush()  # the progress and outputs it made are kept
    else:
        outcome.steps = hooks.take_steps()  # written with 100 % and the outputs
    outcome.usage = hooks.final_usage()
    return outcome
