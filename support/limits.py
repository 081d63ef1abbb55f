"""A graph's limit on executions queued or running at once, and the refusals past it."""

from __future__ import annotations

from collections import Counter
from typing import Any

from hamcrest import assert_that, equal_to, greater_than

from .client import ApiClient
from .crowd import Timings, crowd
from .graphs import define
from .matchers import is_error
from .world import World


def limited_graph(w: World, limit: int) -> None:
    define(w, tasks=1, name="limited", settings={"max_active_executions": limit})


def queue_another(w: World) -> None:
    w.snapshot()
    w.response = w.api.queue(w.the_graph()["id"])
    if w.response.status_code == 202:
        w.execution = w.response.json()


def queue_at_once(w: World, clients: int) -> None:
    """``clients`` users queue one execution of the graph each, all at the same moment."""
    graph_id = w.the_graph()["id"]
    answers: list[tuple[int, Any]] = []

    def user(api: ApiClient, timings: Timings) -> None:
        response = api.queue(graph_id)
        with timings.lock:
            answers.append((response.status_code, response.json()))

    timings = crowd(w.api, [user] * clients)
    assert_that(timings.failures, equal_to([]))
    w.before["answers"] = answers


def accepted_and_refused(w: World, accepted: int, refused: int, code: str) -> None:
    answers = w.before["answers"]
    outcomes = Counter(
        "accepted" if status == 202 else f"{status} {body['error']['code']}"
        for status, body in answers
    )
    assert_that(dict(outcomes), equal_to({"accepted": accepted, f"429 {code}": refused}))


def graph_active(w: World, count: int) -> None:
    graph_id = w.the_graph()["id"]
    active = [
        e
        for status in ("queued", "running")
        for e in w.api.list(status=status, graph_id=graph_id, limit=500)["items"]
    ]
    assert_that(len(active), equal_to(count))


def says_when_to_retry(w: World) -> None:
    assert w.response is not None
    assert_that(w.response, is_error(429, "QUEUE_LIMIT_REACHED"))
    assert_that(int(w.response.headers["Retry-After"]), greater_than(0))


def allows_exactly(w: World, methods: str) -> None:
    """The last answer's ``Allow`` names exactly these methods (any order)."""
    assert w.response is not None
    allowed = {m.strip() for m in (w.response.headers["Allow"] or "").split(",") if m.strip()}
    assert_that(allowed, equal_to({m.strip() for m in methods.split(",")}))
