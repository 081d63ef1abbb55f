"""Every worker slot busy, executions waiting behind them, and freeing the slots again."""

from __future__ import annotations

from typing import Any

from hamcrest import assert_that, equal_to, has_entries

from .builders.graph_definitions import graph_definition
from .matchers import has_status
from .polling import eventually
from .world import World


def occupy_workers(w: World, definition: dict[str, Any] | None = None, **body: Any) -> None:
    """Queue one long execution per worker slot and wait until all of them run
    (by default a crew of 600 steps of 100 ms, which stops within a step when asked)."""
    definition = definition or graph_definition(tasks=1, steps=600, step_seconds=0.1, name="long")
    graph = w.api.create_graph(definition)
    w.blockers = [w.api.queue_ok(graph["id"], **body) for _ in range(w.stack.worker_slots)]
    ids = [b["id"] for b in w.blockers]
    eventually(
        lambda: [w.api.execution(i)["status"] for i in ids],
        equal_to(["running"] * len(ids)),
        timeout=15,
        what="every worker slot busy",
    )


def queue_waiting(w: World, count: int = 1, **body: Any) -> None:
    """Queue ``count`` executions of the graph (a short one if there is none yet); the
    last one becomes the focus. ``body``: what else to queue them with."""
    if w.graph is None:
        w.graph = w.api.create_graph(graph_definition(tasks=1, name="waiting"))
    for _ in range(count):
        w.execution = w.api.queue_ok(w.the_graph()["id"], **body)
        w.executions.append(w.execution)


def free_workers(w: World) -> None:
    for blocker in w.blockers:
        w.api.cancel(blocker["id"])


def drain(w: World) -> None:
    """Queue a marker execution and wait for it: the messages queued before it are handled."""
    graph = w.api.create_graph(graph_definition(tasks=1, steps=1, step_seconds=0.05, name="marker"))
    marker = w.api.queue_ok(graph["id"])
    w.await_execution(
        marker["id"],
        has_status("completed"),
        timeout=20,
        what="a marker execution queued behind the others completing",
    )


def never_started_once_free(w: World, status: str) -> None:
    """Once the workers are free and the queue is drained, the waiting execution is still
    ``status`` and has never started: that was its whole history."""
    free_workers(w)
    drain(w)
    execution = w.api.execution(w.focus()["id"])
    w.execution = execution
    assert_that(execution, has_entries(status=status, started_at=None, attempt=0))
    history = [e["status"] for e in w.api.events(execution["id"])]
    assert_that(history, equal_to(["queued", status]))
