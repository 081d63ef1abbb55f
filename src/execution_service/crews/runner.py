"""The runner interface between the worker and whatever runs a crew."""

from __future__ import annotations

import importlib
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

from execution_service.graph import GraphSpec


class StopRequested(Exception):
    """Raised inside a crew's callbacks when the execution must stop now."""


@dataclass(frozen=True)
class RunContext:
    """Which execution (and attempt) the code running in this thread works for."""

    execution_id: uuid.UUID
    attempt: int
    spec: GraphSpec


current_run: ContextVar[RunContext | None] = ContextVar("current_run", default=None)


@dataclass
class TaskResult:
    name: str
    agent: str | None
    raw: str


@dataclass
class RunResult:
    raw: str
    tasks: list[TaskResult] = field(default_factory=list)


class RunHooks(Protocol):
    """What a runner may tell the service, and ask it, while a crew runs."""

    def progress(
        self,
        percent: float,
        current_task: str | None,
        message: str | None,
        task_output: TaskResult | None = None,
    ) -> None: ...

    def should_stop(self) -> bool: ...


class Runner(Protocol):
    def run(self, spec: GraphSpec, inputs: dict[str, Any], hooks: RunHooks) -> RunResult: ...


_runners: dict[tuple[str, str], Runner] = {}


def get_runner() -> Runner:
    """This process's runner, built once (importing crewai takes seconds)."""
    from execution_service.config import get_settings

    settings = get_settings()
    key = (settings.runner, settings.crewai_module)
    if key not in _runners:
        _runners[key] = load_runner(settings.runner, crewai_module=settings.crewai_module)
    return _runners[key]


def load_runner(dotted: str, **options: Any) -> Runner:
    """Build the runner named by ``package.module:ClassName``."""
    module_name, _, attr = dotted.partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    runner: Runner = factory(**options)
    return runner
