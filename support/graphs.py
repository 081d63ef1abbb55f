"""Builders for graph definitions, in the words the features use."""

from __future__ import annotations

from typing import Any

from .mock_crewai import crew_script, task_script


def graph_definition(
    tasks: int = 2,
    steps: int = 2,
    step_seconds: float = 0.01,
    name: str = "graph",
    task_plans: list[dict[str, Any]] | None = None,
    description: str = "Work on {topic}",
    settings: dict[str, Any] | None = None,
    provider: str | None = None,
) -> dict[str, Any]:
    """A crew of one agent per task, each task handing its output to the next."""
    plans = task_plans or [task_script(steps, step_seconds) for _ in range(tasks)]
    count = len(plans)
    agents = [
        {
            "role": f"agent {i + 1}",
            "goal": f"Do part {i + 1} of the work",
            "backstory": "A dependable specialist.",
            **({"llm": {"model": "openai/gpt-4o-mini", "base_url": provider}} if provider else {}),
        }
        for i in range(count)
    ]
    task_defs = []
    for i in range(count):
        task: dict[str, Any] = {
            "name": f"task {i + 1}",
            "description": f"{description} (part {i + 1})",
            "expected_output": f"The result of part {i + 1}",
            "agent": f"agent {i + 1}",
        }
        if i:
            task["context"] = [f"task {i}"]
        task_defs.append(task)
    definition: dict[str, Any] = {
        "name": name,
        "agents": agents,
        "tasks": task_defs,
        "script": crew_script(plans, default=task_script(steps, step_seconds)),
    }
    if settings:
        definition["settings"] = settings
    return definition
