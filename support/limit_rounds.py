"""Rounds of many clients racing for a graph's limit, one graph after another.

A race for a graph's limit is won or lost in milliseconds: one round of clients queueing
at once may happen not to overlap where it matters. Each round here gives a graph of its
own (a fresh limit to race for) to a crowd of clients queueing at once, so that several
independent races run in one scenario; then every graph is checked on its own.

When the scenario runs an API of several processes (``support/stacks/api_processes.py``)
each round's clients are spread evenly over its processes, so the processes really race.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hamcrest import assert_that, equal_to

from .client import ApiClient
from .crowd import Timings, crowd
from .graphs import define
from .world import World

PREFIX = "limited-"


def limited_graphs(w: World, count: int, limit: int) -> None:
    """``count`` graphs, each allowing ``limit`` executions queued or running at once."""
    for number in range(1, count + 1):
        define(w, tasks=1, name=f"{PREFIX}{number}", settings={"max_active_executions": limit})


def _limited(w: World) -> dict[str, dict[str, Any]]:
    found = {name: g for name, g in w.graphs.items() if name.startswith(PREFIX)}
    assert found, "no limited graphs in this scenario yet"
    return found


def _race(w: World, graph_id: str, clients: int) -> list[tuple[int, Any]]:
    """``clients`` users queue one execution of the graph each, all at the same moment."""
    answers: list[tuple[int, Any]] = []

    def user(api: ApiClient, timings: Timings) -> None:
        response = api.queue(graph_id)
        with timings.lock:
            answers.append((response.status_code, response.json()))

    spread = w.api_processes.spread_clients(clients) if w.api_processes else None
    timings = crowd(w.api, [user] * clients, clients=spread)
    assert_that(timings.failures, equal_to([]), f"the clients queueing for graph {graph_id}")
    return answers


def queue_at_once_in_turn(w: World, clients: int) -> None:
    """For each limited graph in turn: ``clients`` users queue one execution of it each,
    all at the same moment. Each graph's answers are kept for the checks."""
    w.before["answers by graph"] = {
        name: _race(w, graph["id"], clients) for name, graph in _limited(w).items()
    }


def each_accepted_and_refused(w: World, accepted: int, refused: int, code: str) -> None:
    """For every graph: ``accepted`` answers 202, ``refused`` answers 429 with ``code``."""
    outcomes = {
        name: dict(
            Counter(
                "accepted" if status == 202 else f"{status} {body['error']['code']}"
                for status, body in answers
            )
        )
        for name, answers in w.before["answers by graph"].items()
    }
    wanted = {"accepted": accepted, f"429 {code}": refused}
    assert_that(outcomes, equal_to(dict.fromkeys(outcomes, wanted)))


def each_active(w: World, count: int) -> None:
    """Every graph lists exactly ``count`` executions queued or running."""
    active = {
        name: sum(
            len(w.api.list(status=status, graph_id=graph["id"], limit=500)["items"])
            for status in ("queued", "running")
        )
        for name, graph in _limited(w).items()
    }
    assert_that(active, equal_to(dict.fromkeys(active, count)))
