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
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from execution_service.crews.interface import current_run
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
                if fail and step == fail.at_step:
                    raise build_failure(fail)
                _work(plan.step_seconds)
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
