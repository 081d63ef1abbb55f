"""The scripts of the scripted crew: the stand-in most features run their graphs with.

Both test stacks run the service with the scripted crew library
(``execution_service.crews.scripted``, chosen by the settings in
``support/stack_settings.py``), so the crewai adapter code under test is the production
one; only the library under it is scripted. A script travels inside the graph definition
(``script``), so it works in any worker process. Format: README.
"""

from __future__ import annotations

from typing import Any


def task_script(
    steps: int = 2,
    step_seconds: float = 0.01,
    output: str | None = None,
    fail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One task: ``steps`` steps of ``step_seconds`` each, an output, maybe a failure."""
    plan: dict[str, Any] = {"steps": steps, "step_seconds": step_seconds}
    if output is not None:
        plan["output"] = output
    if fail is not None:
        plan["fail"] = fail
    return plan


def failure(
    error: str, at_step: int = 1, on_attempts: list[int] | None = None, **extra: Any
) -> dict[str, Any]:
    """A failure of the kind ``error`` (one of the scripted crew's ``FAILURE_KINDS``) at
    step ``at_step``, on every attempt or only on ``on_attempts``."""
    spec: dict[str, Any] = {"error": error, "at_step": at_step, **extra}
    if on_attempts is not None:
        spec["on_attempts"] = on_attempts
    return spec


def crew_script(
    tasks: list[dict[str, Any]], default: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The whole crew's script: one plan per task, and the plan of any task beyond them."""
    return {"tasks": tasks, "default": default or task_script()}
