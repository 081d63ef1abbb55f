"""A catalogue of bad requests, by the names the validation feature uses.

Each entry sends its request and returns the response; ``support/validation.py`` sends
them by name and checks the refusal.
"""

from __future__ import annotations

import copy
import http.client
import json
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


# larger than the service's max_body_bytes (1 MiB unless a stack says otherwise)
OVER_BODY_LIMIT = 1024 * 1024 + 1


def _too_large_graph(w: World) -> Response:
    """A graph whose goal alone is past the body limit, announced by its Content-Length."""
    body = copy.deepcopy(graph_definition(tasks=2))
    body["agents"][0]["goal"] = "x" * OVER_BODY_LIMIT
    return w.api.raw("POST", "/api/v1/graphs", json=body)


def _chunked_queue_request(w: World) -> Response:
    """An execution request past the body limit, sent in chunks with no Content-Length,
    so the service learns its size only by reading it."""
    inputs = {"text": "x" * OVER_BODY_LIMIT}
    data = json.dumps({"inputs": inputs}).encode()
    path = f"/api/v1/graphs/{w.the_graph()['id']}/executions"
    conn = http.client.HTTPConnection(w.api.http.host, w.api.http.port, timeout=15)
    try:
        chunks = (data[i : i + 64 * 1024] for i in range(0, len(data), 64 * 1024))
        # no key needed: the body's size is checked before anything else
        headers = {"Content-Type": "application/json"}
        conn.request(
            "POST", w.api.http.prefix + path, body=chunks, headers=headers, encode_chunked=True
        )
        answer = conn.getresponse()
        return Response("POST", w.api.base_url + path, answer.status, answer.headers, answer.read())
    finally:
        conn.close()


def _graph_with_many(key: str, count: int) -> Callable[[dict[str, Any]], None]:
    """``count`` agents or tasks, each agent with its own role and each task for one."""

    def change(g: dict[str, Any]) -> None:
        if key == "agents":
            g["agents"] = [{**g["agents"][0], "role": f"agent {i}"} for i in range(count)]
        else:
            g["tasks"] = [{**g["tasks"][0], "name": f"t{i}", "context": []} for i in range(count)]
            g["script"]["tasks"] = []

    return change


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
    # limits (features/request_limits.feature)
    "a graph definition larger than the body limit": _too_large_graph,
    "an execution request larger than the body limit, sent in chunks": _chunked_queue_request,
    "a graph with 51 agents": _graph(_graph_with_many("agents", 51)),
    "a graph with 201 tasks": _graph(_graph_with_many("tasks", 201)),
    "a graph whose agent's goal is 10001 characters long": _graph(
        lambda g: g["agents"][0].update(goal="x" * 10_001)
    ),
    "a graph whose task's context names 201 tasks": _graph(
        lambda g: g["tasks"][1].update(context=["task 1"] * 201)
    ),
    "a graph whose scripted output is 100001 characters long": _graph(
        lambda g: g["script"]["default"].update(output="x" * 100_001)
    ),
    "a listing of 501 executions per page": _get(lambda: "/api/v1/executions?limit=501"),
    "a graph whose scripted step time is a boolean": _graph(
        lambda g: g["script"]["default"].update(step_seconds=False)
    ),
    "a graph whose timeout is a text": _graph(
        lambda g: g.update(settings={"timeout_seconds": "60"})
    ),
    "a graph whose retry count is a boolean": _graph(
        lambda g: g.update(settings={"retry": {"max_attempts": True}})
    ),
    "a graph whose timeout is 5e-324 seconds": _graph(
        lambda g: g.update(settings={"timeout_seconds": 5e-324})
    ),
    "a graph whose name holds a NUL character": _graph(lambda g: g.update(name="a\x00b")),
    "an execution whose timeout is a boolean": _queue({"timeout_seconds": True}),
    "an execution whose queue timeout is a text": _queue({"queue_timeout_seconds": "5"}),
    "an execution whose timeout is 5e-324 seconds": _queue({"timeout_seconds": 5e-324}),
    "an execution whose inputs hold a NUL character": _queue({"inputs": {"topic": "a\x00b"}}),
    "a PUT to the graph": lambda w: w.api.raw("PUT", f"/api/v1/graphs/{w.the_graph()['id']}"),
}


def request_named(name: str) -> Send:
    """The bad request called ``name`` in :data:`CATALOGUE`."""
    try:
        return CATALOGUE[name]
    except KeyError as exc:
        raise AssertionError(
            f"no bad request named {name!r} in support/builders/bad_requests.py"
        ) from exc
