"""A running crew's callbacks and crewai's events, turned into progress and stop checks
for the execution that caused them.

A library is wired once per process (``crews.crewai.loading``): a before-model-call
hook and event-bus handlers, process-wide. They act only for the execution running
in the calling context (:data:`active_run`, a ``ContextVar``; crewai copies the
context into the threads it runs hooks and event handlers in) and only for that
crew's own tasks (an event names its task; :func:`_mine` looks it up).

* The crew's ``step_callback`` / ``task_callback`` (every library has these) call
  :meth:`CrewRun.on_step` / :meth:`CrewRun.on_task`.
* ``events.crewai_event_bus``: task started and model call started/completed become
  progress (``step_callback`` does not fire for agents without tools in crewai 1.15).
* ``hooks.register_before_llm_call_hook`` / ``hooks.HookAborted``: a stop request is
  honoured before every model call and between tasks with crewai's own abort, which
  its agents do not retry.
"""

from __future__ import annotations

import contextvars
import threading
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from execution_service.crews.interface import RunHooks, StopRequested, TaskResult
from execution_service.graph import GraphSpec


@dataclass
class CrewRun:
    """What one attempt of one execution knows while its crew runs."""

    spec: GraphSpec
    hooks: RunHooks
    abort: type[BaseException] = StopRequested  # crewai: HookAborted
    task_index: dict[str, int] = field(default_factory=dict)  # crewai task id -> index
    done: int = 0
    steps: int = 0  # steps or model calls within the task in progress
    percent: float = 0.0
    outputs: list[TaskResult] = field(default_factory=list)
    stopping: bool = False
    closed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def total(self) -> int:
        return len(self.spec.tasks)

    def label(self) -> str | None:
        return self.spec.task_label(self.done) if self.done < self.total else None

    def stop_if_asked(self, where: str) -> None:
        """Abort if the execution must stop (or is over: a call left behind by a stop)."""
        if not (self.closed or self.stopping) and self.hooks.should_stop():
            self.stopping = True
        if self.closed or self.stopping:
            raise self.abort(f"execution stopped on request ({where})")

    def _report(
        self, percent: float, task: str | None, message: str, output: TaskResult | None = None
    ) -> None:
        self.percent = max(self.percent, percent)
        self.hooks.progress(self.percent, task, message, output)

    def _within(self, index: int, message: str) -> None:
        """Progress inside task ``index``: approaches, never reaches, the task's end."""
        self.steps += 1
        within = 1.0 - 0.5**self.steps
        self._report(
            100.0 * (index + 0.9 * within) / self.total, self.spec.task_label(index), message
        )

    # crewai callbacks (called in the crew's thread)

    def on_step(self, _step: Any) -> None:
        self.stop_if_asked("after an agent step")
        with self.lock:
            if self.done < self.total:
                self._within(self.done, f"step {self.steps + 1} of {self.label()}")

    def on_task(self, output: Any) -> None:
        with self.lock:
            index = self.done
            name = self.spec.task_label(index)
            result = TaskResult(
                name=name, agent=_agent_role(getattr(output, "agent", None)), raw=str(output.raw)
            )
            self.outputs.append(result)
            self.done += 1
            self.steps = 0
            percent = 100.0 * self.done / self.total
            self._report(percent, self.label() or name, f"finished {name}", result)
        if self.done < self.total:
            self.stop_if_asked("between tasks")

    # crewai events (called in the event bus's threads, in a copy of the crew's context)

    def on_task_started(self, task_id: str | None) -> None:
        index = self.task_index.get(str(task_id))
        with self.lock:
            if self.closed or index is None or index < self.done:
                return
            self.steps = 0
            name = self.spec.task_label(index)
            self._report(100.0 * index / self.total, name, f"started {name}")

    def on_model_call(self, task_id: str | None, phase: str) -> None:
        index = self.task_index.get(str(task_id))
        with self.lock:
            if self.closed or index is None or index < self.done:
                return
            if phase == "started":
                self._within(index, f"{self.spec.task_label(index)}: asking the model")
            else:
                name = self.spec.task_label(index)
                self._report(self.percent, name, f"{name}: the model answered")


active_run: contextvars.ContextVar[CrewRun | None] = contextvars.ContextVar(
    "crew_execution_run", default=None
)
"""The crew run the calling context works for (set by the runner around the crew)."""


def install_stop_hook(module: ModuleType) -> type[BaseException] | None:
    """Ask for a stop check before every model call; return the library's abort, if any."""
    hooks = getattr(module, "hooks", None)
    if hooks is None or not hasattr(hooks, "register_before_llm_call_hook"):
        return None
    hooks.register_before_llm_call_hook(_before_model_call)
    abort: type[BaseException] = hooks.HookAborted
    return abort


def listen_to_events(module: ModuleType) -> bool:
    """Turn the library's task and model-call events into progress; False: it has no bus."""
    events: Any = getattr(module, "events", None)
    bus = getattr(events, "crewai_event_bus", None)
    if bus is None:
        return False
    bus.on(events.TaskStartedEvent)(_on_task_started)
    bus.on(events.LLMCallStartedEvent)(_on_model_call_started)
    bus.on(events.LLMCallCompletedEvent)(_on_model_call_completed)
    return True


def _mine(task_id: Any) -> CrewRun | None:
    run = active_run.get()
    if run is None or run.closed or str(task_id) not in run.task_index:
        return None
    return run


def _before_model_call(_context: Any) -> None:
    # every model call made in this execution's context, including the work a
    # hierarchical crew's manager hands out as tasks of its own
    run = active_run.get()
    if run is not None:
        run.stop_if_asked("before a model call")


def _on_task_started(_source: Any, event: Any) -> None:
    run = _mine(getattr(event, "task_id", None))
    if run is not None:
        run.on_task_started(event.task_id)


def _on_model_call_started(_source: Any, event: Any) -> None:
    run = _mine(getattr(event, "task_id", None))
    if run is not None:
        run.on_model_call(event.task_id, "started")


def _on_model_call_completed(_source: Any, event: Any) -> None:
    run = _mine(getattr(event, "task_id", None))
    if run is not None:
        run.on_model_call(event.task_id, "completed")


def _agent_role(agent: Any) -> str | None:
    if agent is None:
        return None
    return str(getattr(agent, "role", agent))
