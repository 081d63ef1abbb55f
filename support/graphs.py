"""Defining graphs (scripted crews, failing ones), deleting them and looking them up.

A graph defined here becomes the scenario's graph (``w.graph``): the one the ``When I
queue an execution of the graph`` steps queue.
"""

from __future__ import annotations

import uuid
from typing import Any

from hamcrest import assert_that, contains_string

from .builders.graph_definitions import failing_graph_definition, graph_definition
from .builders.scripted import task_script
from .world import World


def define(
    w: World,
    tasks: int = 2,
    steps: int = 2,
    step_ms: float = 10,
    name: str = "graph",
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A scripted crew of ``tasks`` tasks of ``steps`` steps taking ``step_ms`` each."""
    w.graph = w.api.create_graph(
        graph_definition(
            tasks=tasks, steps=steps, step_seconds=step_ms / 1000, name=name, settings=settings
        )
    )
    w.graphs[name] = w.graph
    return w.graph


def failing_graph(w: World, failure_kind: str, **options: Any) -> dict[str, Any]:
    """A crew that fails with ``failure_kind``; ``options``: see failing_graph_definition."""
    w.graph = w.api.create_graph(failing_graph_definition(failure_kind, **options))
    return w.graph


def define_topical(w: World) -> None:
    plans = [task_script(2, 0.01), task_script(2, 0.01, output="An article about {topic}")]
    w.graph = w.api.create_graph(
        graph_definition(task_plans=plans, description="Research {topic}", name="topical")
    )


def delete(w: World) -> None:
    """Delete the graph, then remember the rows and statistics as they are."""
    w.api.delete_graph(w.the_graph()["id"])
    w.snapshot()


def never_defined(w: World) -> None:
    w.missing_id = str(uuid.uuid4())
    w.snapshot()


def look_up_missing(w: World) -> None:
    assert w.missing_id
    w.response = w.api.get_graph(w.missing_id)


def refusal_names_graph(w: World) -> None:
    assert w.response is not None and w.missing_id
    assert_that(w.response.json()["error"]["message"], contains_string(w.missing_id))
