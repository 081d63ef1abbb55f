"""This process's crew runner: :func:`get_runner`.

There is one runner, the crewai adapter (``crews.crewai.runner.CrewAIRunner``); only
the library under it differs per graph: real crewai or the scripted stand-in, picked
by the graph's ``runner`` and, for a graph that names none, by the setting
``default_runner`` (``EXEC_DEFAULT_RUNNER``, default ``crewai``). What a runner and the
worker exchange is ``crews.interface``.
"""

from __future__ import annotations

from functools import cache

from execution_service.crews.crewai.runner import CrewAIRunner
from execution_service.crews.interface import Runner


@cache
def get_runner() -> Runner:
    """This process's runner, built once; each crew library it loads is imported once
    per process too (``import crewai`` takes seconds)."""
    return CrewAIRunner()
