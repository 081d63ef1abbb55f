"""The runner interface: what the worker and the code running a crew exchange.

Which execution a crew thread works for (``RunContext``, ``current_run``), what a
runner may tell the service and ask it while the crew runs (``RunHooks``), what it
hands back (``RunResult``, ``TaskResult``), how a stop surfaces (``StopRequested``),
and the shape of a runner (``Runner``). The crewai adapter (``crews.crewai``) and the
scripted stand-in (``crews.scripted``) import these; the worker gets its runner from
``crews.crewai.runner.get_runner``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

from execution_service.graph import GraphSpec
from execution_service.usage import Ledger


class StopRequested(Exception):
    """Raised inside a crew's callbacks when the execution must stop now."""


@dataclass(frozen=True)
class RunContext:
    """Which execution (and attempt) the code running in this thread works for."""

    execution_id: uuid.UUID
    attempt: int
    spec: GraphSpec
    # the usage of the execution's earlier attempts (a ``usage.Usage`` document) and its
    # budget (``usage.Budget.limits``): the budget counts every attempt together
    usage_before: dict[str, Any] | None = None
    budget: dict[str, Any] | None = None


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

    def usage_changed(self, ledger: Ledger) -> None:
        """A model call was counted in ``ledger`` (written with the next progress)."""


class Runner(Protocol):
    def run(
        self,
        spec: GraphSpec,
        inputs: dict[str, Any],
        hooks: RunHooks,
        reused: Sequence[TaskResult] = (),
    ) -> RunResult:
        """Run the crew; ``reused``: the outputs of its first tasks, kept from before
        (``execution_service/resume.py``): those tasks are not run again, the crew
        starts at the next one, and the result's ``tasks`` include them."""
        ...
