"""Defining, deleting and looking up graphs."""

from __future__ import annotations

import uuid

from hamcrest import assert_that, contains_string

from .graphs import graph_definition
from .matchers import is_error
from .mock_crewai import task_script
from .world import World


def define(
    w: World, tasks: int = 2, steps: int = 2, step_ms: float = 10, name: str = "graph"
) -> None:
    w.graph = w.api.create_graph(
        graph_definition(tasks=tasks, steps=steps, step_seconds=step_ms / 1000, name=name)
    )
    w.graphs[name] = w.graph


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


def refused_not_found(w: World, code: str) -> None:
    assert_that(w.response, is_error(404, code))


def refusal_names_graph(w: World) -> None:
    assert w.response is not None and w.missing_id
    assert_that(w.response.json()["error"]["message"], contains_string(w.missing_id))
