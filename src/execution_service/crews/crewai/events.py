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
  its agents do not retry; so is a used-up budget (:meth:`CrewRun.before_model_call`).
* Usage: each ``LLMCallCompletedEvent`` (its ``usage``, task, agent and model) is one
  model call counted in the run's :class:`~execution_service.usage.Ledger`, for every
  call made in the execution's context (a hierarchical manager's too, under the task
  it names). crewai hands events to its handlers in a thread pool, so a call's event
  may be handled after the next call's hook: the hook first waits (briefly) until every
  call it let through has been counted, so the budget check sees them all. The model is
  named as the graph names it (the LLM objects the runner built, :attr:`CrewRun.models`),
  else as the library reports it. ``crew.token_usage`` is not used: it counts each call
  twice.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from execution_service.crews.interface import RunHooks, StopRequested, TaskResult
from execution_service.graph import GraphSpec
from execution_service.usage import Ledger, PriceTable, Spent, call_tokens

log = logging.getLogger(__name__)

SETTLE_SECONDS = 2.0
"""How long a model call's hook waits for the calls before it to be counted."""


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
    # usage and budget (see the module's docstring)
    ledger: Ledger = field(default_factory=Ledger)
    budget: dict[str, Any] | None = None
    prices: PriceTable = field(default_factory=PriceTable)
    models: dict[int, str] = field(default_factory=dict)  # id(LLM object) -> graph's name
    exceeded: Spent | None = None  # the budget limit that stopped the crew
    calls_let_through: int = 0
    calls_counted: int = 0
    counted: threading.Condition = field(default_factory=threading.Condition)

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

    def before_model_call(self) -> None:
        """Before every model call of the execution: stop if asked, and stop if the budget
        is used up (counting every call let through so far)."""
        self.stop_if_asked("before a model call")
        if self.budget:
            self.settle(SETTLE_SECONDS)
            if self.exceeded is None:
                self.exceeded = self.ledger.spent(self.budget, self.prices)
            if self.exceeded is not None:
                raise self.abort(f"budget used up ({self.exceeded.field})")
        with self.counted:
            self.calls_let_through += 1

    def settle(self, timeout: float) -> None:
        """Wait until every call let through has been counted (at most ``timeout``)."""
        with self.counted:
            if not self.counted.wait_for(
                lambda: self.calls_counted >= self.calls_let_through, timeout
            ):
                log.warning(
                    "%d model call(s) not counted after %.1f s; going on without them",
                    self.calls_let_through - self.calls_counted,
                    timeout,
                )
                self.calls_counted = self.calls_let_through

    def count_call(self, source: Any, event: Any) -> None:
        """One model call completed: count what the library reports of it."""
        index = self.task_index.get(str(getattr(event, "task_id", None)))
        if index is not None:
            task = self.spec.task_label(index)
        else:  # a call for no task of the crew's own (a hierarchical manager's)
            task = getattr(event, "task_name", None) or "(crew)"
        agent = getattr(event, "agent_role", None) or "(none)"
        model = self.models.get(id(source)) or getattr(event, "model", None) or "(unknown)"
        self.ledger.add_call(
            call_tokens(getattr(event, "usage", None)), str(task), str(agent), str(model)
        )
        self.hooks.usage_changed(self.ledger)
        with self.counted:
            self.calls_counted += 1
            self.counted.notify_all()

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
    failed = getattr(events, "LLMCallFailedEvent", None)
    if failed is not None:
        bus.on(failed)(_on_model_call_failed)
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
        run.before_model_call()


def _on_task_started(_source: Any, event: Any) -> None:
    run = _mine(getattr(event, "task_id", None))
    if run is not None:
        run.on_task_started(event.task_id)


def _on_model_call_started(_source: Any, event: Any) -> None:
    run = _mine(getattr(event, "task_id", None))
    if run is not None:
        run.on_model_call(event.task_id, "started")


def _on_model_call_completed(source: Any, event: Any) -> None:
    run = active_run.get()
    if run is None or run.closed:
        return
    run.count_call(source, event)  # every call of the execution, its own tasks' or not
    if str(getattr(event, "task_id", None)) in run.task_index:
        run.on_model_call(event.task_id, "completed")


def _on_model_call_failed(_source: Any, _event: Any) -> None:
    run = active_run.get()
    if run is not None and not run.closed:
        with run.counted:  # no usage to count; the call is settled
            run.calls_counted += 1
            run.counted.notify_all()


def _agent_role(agent: Any) -> str | None:
    if agent is None:
        return None
    return str(getattr(agent, "role", agent))
