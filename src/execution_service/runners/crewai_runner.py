"""Runs a graph as a crewai crew (the real library, or anything shaped like it).

The adapter only uses the public crewai API: ``LLM``, ``Agent``, ``Task``,
``Crew``, ``Process``, ``kickoff`` and the step/task callbacks. Which module
provides them is a setting (``EXEC_CREWAI_MODULE``), so the same adapter runs
the real library in production and the scripted stand-in in demos and tests.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Any

from ..errors import CrewFailure, CrewOutputInvalid
from ..graph_spec import GraphSpec
from .base import RunHooks, RunResult, StopRequested, TaskResult


class _Progress:
    """Turns crewai's callbacks into monotonic progress for one execution."""

    def __init__(self, spec: GraphSpec, hooks: RunHooks) -> None:
        self.spec = spec
        self.hooks = hooks
        self.done = 0
        self.steps = 0
        self.outputs: list[TaskResult] = []

    @property
    def total(self) -> int:
        return len(self.spec.tasks)

    def label(self) -> str | None:
        return self.spec.task_label(self.done) if self.done < self.total else None

    def on_step(self, _step: Any) -> None:
        if self.hooks.should_stop():
            raise StopRequested()
        self.steps += 1
        within = 1.0 - 0.5**self.steps  # approaches, never reaches, the task's end
        percent = 100.0 * (self.done + 0.9 * within) / self.total
        self.hooks.progress(percent, self.label(), f"step {self.steps} of {self.label()}")

    def on_task(self, output: Any) -> None:
        name = self.spec.task_label(self.done)
        result = TaskResult(
            name=name, agent=_agent_role(getattr(output, "agent", None)), raw=str(output.raw)
        )
        self.outputs.append(result)
        self.done += 1
        self.steps = 0
        percent = 100.0 * self.done / self.total
        message = f"finished {name}"
        self.hooks.progress(percent, self.label() or name, message, task_output=result)
        if self.done < self.total and self.hooks.should_stop():
            raise StopRequested()


def _agent_role(agent: Any) -> str | None:
    if agent is None:
        return None
    return str(getattr(agent, "role", agent))


class CrewAIRunner:
    def __init__(self, crewai_module: str = "crewai") -> None:
        self.crewai: ModuleType = importlib.import_module(crewai_module)

    def _llm(self, spec: Any) -> Any:
        if spec is None:
            return None
        options: dict[str, Any] = {"model": spec.model, "max_retries": 0}
        if spec.base_url:
            options["base_url"] = spec.base_url
        if spec.api_key_env:
            options["api_key"] = os.environ.get(spec.api_key_env, "")
        if spec.temperature is not None:
            options["temperature"] = spec.temperature
        if spec.timeout_seconds is not None:
            options["timeout"] = spec.timeout_seconds
        return self.crewai.LLM(**options)

    def build(self, spec: GraphSpec, progress: _Progress) -> Any:
        cw = self.crewai
        agents = {
            a.role: cw.Agent(
                role=a.role,
                goal=a.goal,
                backstory=a.backstory,
                llm=self._llm(a.llm),
                allow_delegation=False,
                max_retry_limit=0,
                verbose=False,
            )
            for a in spec.agents
        }
        tasks: dict[str, Any] = {}
        ordered = []
        for index, t in enumerate(spec.tasks):
            task = cw.Task(
                description=t.description,
                expected_output=t.expected_output,
                agent=agents[t.agent],
                context=[tasks[name] for name in t.context] or None,
                name=spec.task_label(index),
            )
            tasks[spec.task_label(index)] = task
            ordered.append(task)
        return cw.Crew(
            agents=list(agents.values()),
            tasks=ordered,
            process=getattr(cw.Process, spec.process),
            step_callback=progress.on_step,
            task_callback=progress.on_task,
            verbose=False,
        )

    def run(self, spec: GraphSpec, inputs: dict[str, Any], hooks: RunHooks) -> RunResult:
        progress = _Progress(spec, hooks)
        crew = self.build(spec, progress)
        try:
            output = crew.kickoff(inputs=inputs)
        except StopRequested:
            raise
        except Exception as exc:
            if isinstance(exc.__cause__, StopRequested) or isinstance(
                exc.__context__, StopRequested
            ):
                raise StopRequested() from exc
            raise CrewFailure(progress.label(), exc) from exc
        raw = getattr(output, "raw", None)
        if not isinstance(raw, str):
            raise CrewOutputInvalid(f"the crew returned {type(output).__name__}, not text")
        return RunResult(raw=raw, tasks=progress.outputs)
