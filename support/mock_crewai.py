"""The crewai stand-in the suite runs crews with, and the vocabulary of its scripts.

The service's crewai adapter is pointed at the scripted crewai module
(``EXEC_CREWAI_MODULE``), so the adapter code under test is the production one;
only the library under it is scripted. Scripts travel inside the graph
definition (``script``), so they work in any worker process. Format: README.
"""

from __future__ import annotations

from typing import Any

MODULE = "execution_service.crews.scripted.library"


def task_script(
    steps: int = 2,
    step_seconds: float = 0.01,
    output: str | None = None,
    fail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    plan: dict[str, Any] = {"steps": steps, "step_seconds": step_seconds}
    if output is not None:
        plan["output"] = output
    if fail is not None:
        plan["fail"] = fail
    return plan


def failure(
    error: str, at_step: int = 1, on_attempts: list[int] | None = None, **extra: Any
) -> dict[str, Any]:
    spec: dict[str, Any] = {"error": error, "at_step": at_step, **extra}
    if on_attempts is not None:
        spec["on_attempts"] = on_attempts
    return spec


def crew_script(
    tasks: list[dict[str, Any]], default: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"tasks": tasks, "default": default or task_script()}
