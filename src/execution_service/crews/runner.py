"""This process's crew runner: :func:`get_runner`.

There is one runner, the crewai adapter (``crews.crewai.runner.CrewAIRunner``); only
the library under it differs per graph: real crewai or the scripted stand-in, picked
by the graph's ``runner`` and, for a graph that names none, by the setting
``default_runner`` (``EXEC_DEFAULT_RUNNER``, default ``crewai``).

The interface names are re-exported here so the worker finds the runner and what
it exchanges with it in one import; their home is ``crews.interface`` (the adapter
imports them from there, so this module and the adapter do not import each other).
"""

from __future__ import annotations

from functools import cache

from execution_service.crews.crewai.runner import CrewAIRunner
from execution_service.crews.interface import (
    RunContext,
    RunHooks,
    Runner,
    RunResult,
    StopRequested,
    TaskResult,
    current_run,
)

__all__ = [
    "RunContext",
    "RunHooks",
    "RunResult",
    "Runner",
    "StopRequested",
    "TaskResult",
    "current_run",
    "get_runner",
]


@cache
def get_runner() -> Runner:
    """This process's runner, built once; each crew library it loads is imported once
    per process too (``import crewai`` takes seconds)."""
    return CrewAIRunner()
