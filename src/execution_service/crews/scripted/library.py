"""A scripted stand-in for the part of the crewai API the adapter uses.

It has the same names and call shapes as crewai (``LLM``, ``Agent``, ``Task``,
``Crew``, ``Process``, ``Crew.kickoff``, ``step_callback``, ``task_callback``),
but instead of calling a model it follows the graph's ``script``: how many
steps each task takes, how long a step lasts, what it outputs, which failure
it raises on which attempt, and whether it records each start (a file in
``script.starts_folder()``, holding the names of the tasks it ran, one a line, for
tests that must see a crew run). A crew that starts mid-way (the first tasks' outputs
re-used, ``execution_service/resume.py``) follows each task's own script: a task's
place in the graph is found by its name. Used by
``execution-service demo`` and by the acceptance suite; a graph selects it with
``"runner": "scripted"``, and a worker with ``EXEC_DEFAULT_RUNNER=scripted`` runs
it for graphs that name none.

Each step is one model call, shaped like crewai's so that the adapter's own wiring
(``crews.crewai.events``) serves both libraries: before it, the hooks registered with
``hooks.register_before_llm_call_hook`` run (they may abort with ``hooks.HookAborted``);
after it, an ``events.LLMCallCompletedEvent`` with the script's ``tokens`` as its
``usage`` goes to the handlers registered on ``events.crewai_event_bus`` (called at once,
in the crew's thread). A call that fails (the script's ``fail``) emits nothing.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from execution_service.crews.interface import StopRequested, current_run
from execution_service.crews.scripted.failures import build_failure
from execution_service.crews.scripted.script import CrewScript, starts_folder


class Process(StrEnum):
    sequential = "sequential"
    hierarchical = "hierarchical"


class LLM:
    def __init__(self, model: str | None = None, **options: Any) -> None:
        self.model = model
        self.options = options


class Agent:
    def __init__(self, role: str, goal: str, backstory: str, llm: Any = None, **options: Any):
        self.role = role
        self.goal = goal
        self.backstory = backstory
        self.llm = llm
        self.options = options


class Task:
    def __init__(
        self,
        description: str,
        expected_output: str,
        agent: Agent | None = None,
        context: list[Task] | None = None,
        name: str | None = None,
        **options: Any,
    ) -> None:
        self.description = description
        self.expected_output = expected_output
        self.agent = agent
        self.context = context or []
        self.name = name
        self.output: TaskOutput | None = None


@dataclass
class TaskOutput:
    description: str
    raw: str
    agent: str
    name: str | None = None
    expected_output: str | None = None


@dataclass
class CrewOutput:
    raw: str
    tasks_output: list[TaskOutput] = field(default_factory=list)


@dataclass
class AgentAction:
    """What crewai hands its step callback after each agent step."""

    thought: str
    tool: str
    tool_input: str
    text: str
    result: str = ""


class MalformedOutput:
    """An object a broken crew returns instead of text."""


def _interpolate(text: str, inputs: dict[str, Any]) -> str:
    try:
        return text.format(**inputs)
    except (KeyError, IndexError, ValueError):
        return text


def _record_start(execution_id: Any, attempt: int) -> None:
    """Leave ``<execution id>.<attempt>`` in the starts folder (``record_starts``)."""
    folder = starts_folder()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{execution_id}.{attempt}").touch()


def _record_task(execution_id: Any, attempt: int, name: str | None) -> None:
    """Add the task's name to the start's record (``record_starts``)."""
    with (starts_folder() / f"{execution_id}.{attempt}").open("a", encoding="utf-8") as record:
        record.write(f"{name}\n")


def _work(seconds: float) -> None:
    """Busy for ``seconds`` without looking at stop requests (a crew step never does)."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(left, 0.05))


class Crew:
    def __init__(
        self,
        agents: list[Agent],
        tasks: list[Task],
        process: Process = Process.sequential,
        step_callback: Callable[[Any], Any] | None = None,
        task_callback: Callable[[Any], Any] | None = None,
        **options: Any,
    ) -> None:
        self.agents = agents
        self.tasks = tasks
        self.process = process
        self.step_callback = step_callback
        self.task_callback = task_callback

    def kickoff(self, inputs: dict[str, Any] | None = None) -> Any:
        run = current_run.get()
        script = (run.spec.script if run else None) or CrewScript()
        attempt = run.attempt if run else 1
        if run is not None and script.record_starts:
            _record_start(run.execution_id, attempt)
        inputs = inputs or {}
        outputs: list[TaskOutput] = []
        # each task's place in the graph (the crew may start mid-way): its script's index
        places = {run.spec.task_label(i): i for i in range(len(run.spec.tasks))} if run else {}
        for position, task in enumerate(self.tasks):
            index = places.get(task.name or "", position)
            plan = script.for_task(index)
            if run is not None and script.record_starts:
                _record_task(run.execution_id, attempt, task.name)
            fail = plan.fail
            if fail and fail.on_attempts is not None and attempt not in fail.on_attempts:
                fail = None
            role = task.agent.role if task.agent else "agent"
            description = _interpolate(task.description, inputs)
            for step in range(1, plan.steps + 1):
                hooks.before_call(task)
                if fail and step == fail.at_step:
                    raise build_failure(fail)
                _work(plan.step_seconds)
                events.call_completed(task, role, plan.tokens)
                if self.step_callback:
                    self.step_callback(
                        AgentAction(
                            thought=f"step {step}",
                            tool="",
                            tool_input="",
                            text=f"{role} works on: {description}",
                        )
                    )
            if plan.output == "<malformed>":
                return MalformedOutput()
            raw = plan.output if plan.output is not None else f"{role}: {description} - done"
            out = TaskOutput(
                description=description,
                raw=_interpolate(raw, inputs),
                agent=role,
                name=task.name,
                expected_output=task.expected_output,
            )
            task.output = out
            outputs.append(out)
            if self.task_callback:
                self.task_callback(out)
        return CrewOutput(raw=outputs[-1].raw if outputs else "", tasks_output=outputs)


class Tool:
    """What ``tools.tool`` makes of a function: crewai's ``Tool`` has the same names."""

    def __init__(self, name: str, func: Callable[..., Any]) -> None:
        self.name = name
        self.description = (func.__doc__ or "").strip()
        self.func = func

    def run(self, **kwargs: Any) -> Any:
        return self.func(**kwargs)


class tools:  # named like the crewai.tools module it mirrors
    """``crewai.tools``: only the ``tool`` decorator (the scripted crew never calls tools)."""

    @staticmethod
    def tool(name: str) -> Callable[[Callable[..., Any]], Tool]:
        return lambda func: Tool(name, func)


class hooks:  # named like the crewai.hooks module it mirrors
    """``crewai.hooks``: the before-model-call hooks, and the abort they may raise."""

    class HookAborted(StopRequested):
        """Raised by a hook to abort the crew (crewai: ``hooks.HookAborted``)."""

    _before: list[Callable[[Any], Any]] = []

    @staticmethod
    def register_before_llm_call_hook(hook: Callable[[Any], Any]) -> None:
        hooks._before.append(hook)

    @staticmethod
    def before_call(task: Task) -> None:
        context = LLMCallHookContext(task=task, agent=task.agent)
        for hook in hooks._before:
            hook(context)


@dataclass
class LLMCallHookContext:
    """What a before-model-call hook is given (crewai's has more)."""

    task: Any = None
    agent: Any = None


@dataclass
class LLMCallCompletedEvent:
    """crewai's event after a model call: its usage, task, agent and model."""

    task_id: str | None
    task_name: str | None
    agent_role: str | None
    model: str | None
    usage: dict[str, int] | None
    response: Any = None


class LLMCallFailedEvent:
    """crewai's event after a failed model call (the scripted crew emits none)."""


class TaskStartedEvent:
    """crewai's event when a task starts (the scripted crew emits none)."""


class LLMCallStartedEvent:
    """crewai's event when a model call starts (the scripted crew emits none)."""


class _Bus:
    """``crewai_event_bus``: handlers by event type, called at once in the emitting thread."""

    def __init__(self) -> None:
        self.handlers: dict[type, list[Callable[[Any, Any], Any]]] = {}

    def on(self, kind: type) -> Callable[[Callable[[Any, Any], Any]], Callable[[Any, Any], Any]]:
        def register(handler: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
            self.handlers.setdefault(kind, []).append(handler)
            return handler

        return register

    def emit(self, source: Any, event: Any) -> None:
        for handler in self.handlers.get(type(event), ()):
            handler(source, event)


class events:  # named like the crewai.events module it mirrors
    """``crewai.events``: the bus and the event types the adapter listens to."""

    crewai_event_bus = _Bus()
    TaskStartedEvent = TaskStartedEvent
    LLMCallStartedEvent = LLMCallStartedEvent
    LLMCallCompletedEvent = LLMCallCompletedEvent
    LLMCallFailedEvent = LLMCallFailedEvent

    @staticmethod
    def call_completed(task: Task, role: str, tokens: Any) -> None:
        llm = task.agent.llm if task.agent else None
        usage = None
        if tokens is not None:
            usage = {
                "prompt_tokens": tokens.prompt,
                "completion_tokens": tokens.completion,
                "total_tokens": tokens.prompt + tokens.completion,
            }
        events.crewai_event_bus.emit(
            llm,
            LLMCallCompletedEvent(
                task_id=None,
                task_name=task.name,
                agent_role=role,
                model=getattr(llm, "model", None) or "scripted",
                usage=usage,
            ),
        )


class llms:  # named like the crewai.llms package it mirrors
    """``crewai.llms.retry``: the switch of the rate-limit retry loop (the scripted crew
    has none; the adapter sets it all the same)."""

    class retry:
        _active_llm_rate_limit_retry: contextvars.ContextVar[bool] = contextvars.ContextVar(
            "scripted_rate_limit_retry", default=False
        )
