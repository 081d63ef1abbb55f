"""A catalogue of bad requests, by the names the validation feature uses.

Each entry sends its request and returns the response; ``support/validation.py`` sends
them by name and checks the refusal.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

from harness.http_client import Response

from ..world import World
from .graph_definitions import graph_definition

Send = Callable[[World], Response]


def _graph(change: Callable[[dict[str, Any]], None]) -> Send:
    def send(w: World) -> Response:
        body = copy.deepcopy(graph_definition(tasks=2))
        change(body)
        return w.api.raw("POST", "/api/v1/graphs", json=body)

    return send


def _queue(body: Any = None, raw: bytes | None = None, graph_id: str | None = None) -> Send:
    def send(w: World) -> Response:
        target = graph_id or w.the_graph()["id"]
        path = f"/api/v1/graphs/{target}/executions"
        if raw is not None:
            return w.api.raw("POST", path, data=raw, headers={"Content-Type": "application/json"})
        return w.api.raw("POST", path, json=body)

    return send


def _get(path: Callable[[], str], method: str = "GET") -> Send:
    return lambda w: w.api.raw(method, path())


def _unknown() -> str:
    return str(uuid.uuid4())


CATALOGUE: dict[str, Send] = {
    "a graph without a name": _graph(lambda g: g.pop("name")),
    "a graph without agents": _graph(lambda g: g.update(agents=[])),
    "a graph without tasks": _graph(lambda g: g.pop("tasks")),
    "a graph whose agent has no goal": _graph(lambda g: g["agents"][0].pop("goal")),
    "a graph whose task names an unknown agent": _graph(
        lambda g: g["tasks"][0].update(agent="nobody")
    ),
    "a graph with two agents of the same role": _graph(
        lambda g: g["agents"][1].update(role=g["agents"][0]["role"])
    ),
    "a graph whose tasks are not a list": _graph(lambda g: g.update(tasks="write a poem")),
    "a graph with an unknown process": _graph(lambda g: g.update(process="round-robin")),
    "a graph with a negative timeout": _graph(lambda g: g.update(settings={"timeout_seconds": -5})),
    "a graph with an unknown field": _graph(lambda g: g.update(colour="blue")),
    "a graph whose model key is not a key variable": _graph(
        lambda g: g["agents"][0].update(
            llm={"model": "openai/gpt-4o-mini", "api_key_env": "EXEC_DATABASE_URL"}
        )
    ),
    "an execution with an unknown priority": _queue({"priority": "urgent-ish"}),
    "an execution with a negative timeout": _queue({"timeout_seconds": -1}),
    "an execution with a timeout above the maximum": _queue({"timeout_seconds": 10**9}),
    "an execution whose inputs are not an object": _queue({"inputs": ["a", "b"]}),
    "an execution with oversized inputs": _queue({"inputs": {"text": "x" * 70_000}}),
    "an execution with an unknown field": _queue({"colour": "blue"}),
    "an execution request that is not JSON": _queue(raw=b'{"inputs": {"topic": '),
    "an execution of a malformed graph id": _queue({}, graph_id="not-a-uuid"),
    "a lookup of an unknown execution": _get(lambda: f"/api/v1/executions/{_unknown()}"),
    "a lookup of a malformed execution id": _get(lambda: "/api/v1/executions/12345"),
    "a history request for an unknown execution": _get(
        lambda: f"/api/v1/executions/{_unknown()}/events"
    ),
    "a cancellation of an unknown execution": _get(
        lambda: f"/api/v1/executions/{_unknown()}/cancel", method="POST"
    ),
    "a listing with a limit of 0": _get(lambda: "/api/v1/executions?limit=0"),
    "a listing with an unknown status": _get(lambda: "/api/v1/executions?status=sleeping"),
    "a listing with a forged cursor": _get(lambda: "/api/v1/executions?cursor=bm90LWEtY3Vyc29y"),
}


def request_named(name: str) -> Send:
    """The bad request called ``name`` in :data:`CATALOGUE`."""
    try:
        return CATALOGUE[name]
    except KeyError as exc:
        raise AssertionError(
            f"no bad request named {name!r} in support/builders/bad_requests.py"
        ) from exc
