"""Graph definitions: scripted crews for most features, real crewai crews for ``@crewai``.

A scripted crew (:func:`graph_definition`) runs one agent per task, each task handing its
output to the next, following the script built with :mod:`support.builders.scripted`.
A failing one (:func:`failing_graph_definition`) says which task fails, how and on which
attempts, and how it is retried.

A real crew (:func:`one_agent_crew`, :func:`research_crew`) names ``"runner": "crewai"``,
so it runs on the real library whatever the stack's default; its agents call the fake
model provider (``support/faults/fake_llm.py``) at ``base_url`` and read their key from
the worker's environment (``api_key_env``).
"""

from __future__ import annotations

from typing import Any

from ..faults.fake_llm import KEY_ENV, MODEL
from .scripted import crew_script, failure, task_script

# the provider the scripted crews name: its host is the circuit breaker's name for it
PROVIDER = "https://provider.example/v1"


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


def retry_settings(
    attempts: int, base: float = 0.05, max_delay: float = 5.0, jitter: float = 0.5
) -> dict[str, Any]:
    """A graph's ``settings`` for up to ``attempts`` attempts with this backoff."""
    return {
        "retry": {
            "max_attempts": attempts,
            "base_delay_seconds": base,
            "max_delay_seconds": max_delay,
            "jitter": jitter,
        }
    }


def failing_graph_definition(
    failure_kind: str,
    attempts: int = 1,
    on_attempts: list[int] | None = None,
    tasks: int = 1,
    failing_task: int = 1,
    at_step: int = 1,
    steps: int = 2,
    step_seconds: float = 0.01,
    base: float = 0.05,
    max_delay: float = 5.0,
    jitter: float = 0.5,
    **details: Any,
) -> dict[str, Any]:
    """A crew on :data:`PROVIDER` whose task ``failing_task`` fails with ``failure_kind``
    at step ``at_step`` (on every attempt, or only on ``on_attempts``), tried up to
    ``attempts`` times; ``details`` go to the failure (a message, a Retry-After...)."""
    plans = []
    for index in range(1, tasks + 1):
        fail = (
            failure(failure_kind, at_step=at_step, on_attempts=on_attempts, **details)
            if index == failing_task
            else None
        )
        plans.append(task_script(steps, step_seconds, fail=fail))
    return graph_definition(
        task_plans=plans,
        name=f"fails with {failure_kind}",
        settings=retry_settings(attempts, base, max_delay, jitter),
        provider=PROVIDER,
    )


# -- real crewai crews ----------------------------------------------------------------------

RESEARCH = "Collect facts about {topic}"
WRITE = "Write a short article about {topic}"
TASK_MARKERS = {"research": "Collect facts about", "writing": "Write a short article about"}


def llm(base_url: str, key_env: str = KEY_ENV) -> dict[str, Any]:
    """An agent's model: the fake provider's model at ``base_url``, its key in ``key_env``."""
    return {"model": f"openai/{MODEL}", "base_url": base_url, "api_key_env": key_env}


def one_agent_crew(base_url: str) -> dict[str, Any]:
    """The smallest real crew (the warm-up runs it)."""
    return {
        "name": "one agent, one task",
        "runner": "crewai",
        "agents": [
            {
                "role": "assistant",
                "goal": "Answer briefly",
                "backstory": "Brief.",
                "llm": llm(base_url),
            }
        ],
        "tasks": [
            {"description": "Say hello", "expected_output": "A greeting", "agent": "assistant"}
        ],
        "settings": {"retry": {"max_attempts": 1}},
    }


def research_crew(base_url: str) -> dict[str, Any]:
    """A researcher and a writer: the writer's task gets the research as its context."""
    return {
        "name": "research and write",
        "runner": "crewai",
        "agents": [
            {
                "role": "researcher",
                "goal": "Find reliable facts about {topic}",
                "backstory": "A meticulous researcher who checks every source.",
                "llm": llm(base_url),
            },
            {
                "role": "writer",
                "goal": "Write a clear short article about {topic}",
                "backstory": "A science writer who explains things simply.",
                "llm": llm(base_url),
            },
        ],
        "tasks": [
            {
                "name": "research",
                "description": f"{RESEARCH} and list the three most surprising ones.",
                "expected_output": "Three facts, one per line",
                "agent": "researcher",
            },
            {
                "name": "write",
                "description": f"{WRITE}, using the research.",
                "expected_output": "An article of one paragraph",
                "agent": "writer",
                "context": ["research"],
            },
        ],
        "settings": {"retry": {"max_attempts": 1, "base_delay_seconds": 0.05, "jitter": 0.0}},
    }
