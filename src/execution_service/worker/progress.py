"""The runner's line back to the service for one attempt: its progress, throttled, and
whether it must stop.

A crew reports after every step, and each write is a transaction, so progress is
written at most every ``interval`` seconds (the first time ``interval`` after the
start), never going down (the store's write changes nothing when it carries less than
the row has). What is not written yet waits; the watcher writes it when it is due
(:meth:`ProgressWriter.flush_due`), a crew that fails has it written
(:meth:`ProgressWriter.flush`), and a crew that completes, or was stopped (its
execution has moved on), drops it (:meth:`ProgressWriter.discard`): the completion
writes 100 % and every output.

Each write also records the attempt's steps for the event stream
(``store/attempts.py`` :class:`Step`): every task that became current
(``task.started``) or finished (``task.completed``, with its output) since the last
write, and the progress written (``progress``); an attempt that re-uses the outputs of
its first tasks (``execution_service/resume.py``) starts with a ``task.reused`` for
each. So progress events are as throttled as progress writes, and task events are
never dropped. A crew that completes has its last
steps written by its completion's own write (:meth:`ProgressWriter.take_steps`).

The model calls' usage (``usage.Ledger``, told by the runner after each call) rides
with the same throttled writes: the execution's usage document (every attempt) and the
tokens used since the previous write (``store/usage_records.py``); a write with usage
and no progress pending writes the usage alone. :meth:`ProgressWriter.final_usage` is
what the attempt's end records.

A write the database cannot take (it is unreachable) is kept and tried again at its
next turn; it never reaches the crew as an error.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from execution_service.config import get_settings
from execution_service.crews.interface import TaskResult
from execution_service.messaging.webhooks import announce_task
from execution_service.store.attempts import (
    Attempt,
    Step,
    UsageWrite,
    write_progress,
    write_steps,
    write_usage,
)
from execution_service.store.engine import DatabaseUnavailable
from execution_service.usage import Ledger

log = logging.getLogger(__name__)


def recorded_output(task: TaskResult) -> dict[str, Any]:
    """How one task's output is recorded in the execution's ``outputs``."""
    return {"task": task.name, "agent": task.agent, "raw": task.raw}


def reused_result(output: dict[str, Any]) -> TaskResult:
    """A stored output (as :func:`recorded_output` records it), for a task re-used."""
    agent = output.get("agent")
    return TaskResult(
        str(output["task"]), None if agent is None else str(agent), str(output["raw"])
    )


@dataclass(frozen=True)
class _Pending:
    """Progress reported and not written yet."""

    percent: float
    current_task: str | None
    message: str | None
    at: datetime
    outputs: list[dict[str, Any]] | None


class ProgressWriter:
    """The hooks a runner gets for one attempt (see the module's docstring)."""

    def __init__(
        self,
        attempt: Attempt,
        stop: threading.Event,
        interval: float = 0.0,
        reused: list[TaskResult] | None = None,
    ) -> None:
        self.attempt = attempt
        self.stop = stop
        self.interval = interval
        # the outputs of the tasks re-used from before (resume.py) come first; they are
        # neither started nor announced again
        self.outputs: list[dict[str, Any]] = [recorded_output(task) for task in reused or []]
        self._lock = threading.Lock()  # guards pending, outputs and the next write time
        self._writing = threading.Lock()  # one write at a time, newest last
        self._pending: _Pending | None = None
        # task steps not written yet, in order; first, one ``task.reused`` per re-used
        # task (with its output), so the event stream says which tasks were not run again
        now = datetime.now(UTC)
        self._steps: list[Step] = [Step("task.reused", now, output) for output in self.outputs]
        self._started = {task.name for task in reused or []}  # tasks that became current
        self._next_write = time.monotonic() + interval
        # task outputs written (committed) and announced to webhooks asking for them
        self._tasks_hooked = any(
            "task.completed" in hook.get("events", ()) for hook in attempt.webhooks or []
        )
        self._ledger: Ledger | None = None  # the attempt's usage, once a call was counted
        self._usage_dirty = False
        self._tokens_recorded = 0  # the attempt's tokens in usage_records so far
        self._written = len(self.outputs)
        self._announced = len(self.outputs)

    def progress(
        self,
        percent: float,
        current_task: str | None,
        message: str | None,
        task_output: TaskResult | None = None,
    ) -> None:
        at = datetime.now(UTC)
        with self._lock:
            if task_output is not None:
                recorded = recorded_output(task_output)
                self.outputs.append(recorded)
                self._steps.append(Step("task.completed", at, dict(recorded)))
            if current_task is not None and current_task not in self._started:
                self._started.add(current_task)
                self._steps.append(Step("task.started", at, {"task": current_task}))
            if self._pending is not None:
                percent = max(percent, self._pending.percent)
            outputs = list(self.outputs) if self.outputs else None
            self._pending = _Pending(percent, current_task, message, at, outputs)
            due = time.monotonic() >= self._next_write
        if due:
            self.flush()

    def usage_changed(self, ledger: Ledger) -> None:
        """A model call was counted: the usage goes with the next write."""
        with self._lock:
            self._ledger = ledger
            self._usage_dirty = True
            due = time.monotonic() >= self._next_write
        if due:
            self.flush()

    def _usage(self) -> UsageWrite | None:
        """The usage to write (under ``_lock``), None when no call was counted."""
        if self._ledger is None:
            return None
        execution, attempt = self._ledger.documents(get_settings().model_prices)
        new_tokens = max(0, attempt["total_tokens"] - self._tokens_recorded)
        return UsageWrite(execution, attempt, new_tokens)

    def final_usage(self) -> UsageWrite | None:
        """The usage for the attempt's end (None: it made no model call), its tokens
        counted as recorded (the end's write records them)."""
        with self._lock:
            usage = self._usage()
            if usage is not None:
                self._tokens_recorded += usage.new_tokens
                self._usage_dirty = False
            return usage

    def flush_due(self) -> None:
        """Write what is pending if the interval has passed (the watcher calls this)."""
        if (
            self._pending is not None or self._usage_dirty
        ) and time.monotonic() >= self._next_write:
            self.flush()

    def flush(self) -> None:
        """Write what is pending now (kept for the next turn if the database is away)."""
        with self._writing:
            with self._lock:
                pending, self._pending = self._pending, None
                steps, self._steps = self._steps, []
                self._next_write = time.monotonic() + self.interval
                usage = self._usage() if self._usage_dirty else None
                self._usage_dirty = False
            if pending is None:
                if usage is not None:
                    self._write_usage(usage)
                self._write_steps(steps)
                return
            progress = {
                "percent": round(pending.percent, 2),
                "current_task": pending.current_task,
                "message": pending.message,
            }
            try:
                write_progress(
                    self.attempt,
                    pending.percent,
                    pending.current_task,
                    pending.message,
                    pending.at,
                    pending.outputs,
                    [*steps, Step("progress", pending.at, progress)],
                    usage,
                )
                self._written = max(self._written, len(pending.outputs or ()))
                self._recorded(usage)
            except DatabaseUnavailable:
                with self._lock:
                    self._steps[:0] = steps  # kept, before any newer ones
                    if self._pending is None:  # nothing newer came meanwhile
                        self._pending = pending
                    self._usage_dirty = self._usage_dirty or usage is not None

    def _write_usage(self, usage: UsageWrite) -> None:
        try:
            write_usage(self.attempt, usage, datetime.now(UTC))
            self._recorded(usage)
        except DatabaseUnavailable:
            with self._lock:
                self._usage_dirty = True

    def _recorded(self, usage: UsageWrite | None) -> None:
        if usage is not None:
            with self._lock:
                self._tokens_recorded += usage.new_tokens

    def take_steps(self) -> list[Step]:
        """The steps not written yet, for the completion to write with it (the crew
        completed: the completion writes 100 % and every output); the pending progress
        is dropped."""
        with self._writing, self._lock:
            self._pending = None
            steps, self._steps = self._steps, []
        return steps

    def _write_steps(self, steps: list[Step]) -> None:
        if not steps:
            return
        try:
            write_steps(self.attempt, steps)
        except DatabaseUnavailable:
            with self._lock:
                self._steps[:0] = steps

    def announce_tasks(self) -> None:
        """Queue the ``task.completed`` deliveries of the task outputs written since the
        last call (the watcher calls this, never the crew's thread); nothing to do, and
        nothing read, when no webhook asks for them."""
        if not self._tasks_hooked:
            return
        while self._announced < self._written:
            index = self._announced
            try:
                announce_task(
                    self.attempt.execution_id, self.attempt.number, index, self.outputs[index]
                )
            except Exception:
                log.exception("could not announce task %d of %s", index, self.attempt.execution_id)
            self._announced += 1

    def discard(self) -> None:
        """Drop what is pending (the execution has moved on)."""
        with self._lock:
            self._pending = None
            self._steps = []

    def should_stop(self) -> bool:
        return self.stop.is_set()
