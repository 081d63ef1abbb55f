"""Priorities, the order executions start in, and the queue statistics."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from hamcrest import (
    assert_that,
    equal_to,
    greater_than,
    has_entries,
    has_length,
    is_not,
    less_than,
    none,
)

from .client import ApiClient
from .execution_actions import drain
from .graphs import graph_definition
from .load import Timings, crowd
from .matchers import has_status, is_error
from .polling import eventually
from .world import World

PRIORITIES = ("low", "normal", "high", "critical")


def _waiting_graph(w: World) -> dict[str, Any]:
    """Waiting executions run long crews, so that each keeps the slot it gets."""
    if "waiting" not in w.graphs:
        w.graphs["waiting"] = w.api.create_graph(
            graph_definition(tasks=1, steps=600, step_seconds=0.1, name="waiting")
        )
    return w.graphs["waiting"]


def queue_waiting(w: World, priorities: list[str]) -> None:
    graph = _waiting_graph(w)
    for priority in priorities:
        w.execution = w.api.queue_ok(graph["id"], priority=priority)
        w.executions.append(w.execution)


def _started(w: World) -> list[dict[str, Any]]:
    return [
        e for e in (w.api.execution(x["id"]) for x in w.executions) if e["started_at"] is not None
    ]


def _running_slot_holder(w: World) -> str:
    """A running execution to cancel: first the blockers, then waiting ones that started."""
    for blocker in w.blockers:
        if w.api.execution(blocker["id"])["status"] == "running":
            return str(blocker["id"])
    for execution in _started(w):
        if execution["status"] == "running":
            return str(execution["id"])
    raise AssertionError("no running execution left to free a slot")


def free_one_worker(w: World) -> dict[str, Any]:
    """Cancel one running execution and return the waiting one that takes its slot."""
    before = {e["id"] for e in _started(w)}
    w.api.cancel(_running_slot_holder(w))

    def newly_started() -> list[dict[str, Any]]:
        return [e for e in _started(w) if e["id"] not in before]

    started = eventually(
        newly_started, has_length(1), timeout=15, what="one waiting execution starting"
    )
    w.before.setdefault("start_order", []).append(started[0]["id"])
    return started[0]


def free_workers_one_at_a_time(w: World) -> None:
    while len(w.before.get("start_order", [])) < len(w.executions):
        free_one_worker(w)


def next_to_start_is_last_queued(w: World) -> None:
    assert_that(w.before["start_order"][0], equal_to(w.focus()["id"]))


def start_order_by_priority(w: World, order: list[str]) -> None:
    by_id = {e["id"]: e["priority"] for e in w.executions}
    assert_that([by_id[i] for i in w.before["start_order"]], equal_to(order))


def start_order_is_queue_order(w: World) -> None:
    assert_that(w.before["start_order"], equal_to([e["id"] for e in w.executions]))


def raise_priority(w: World, priority: str) -> None:
    w.response = w.api.raw(
        "PATCH", f"/api/v1/executions/{w.focus()['id']}", json={"priority": priority}
    )


def raised_ok(w: World) -> None:
    assert w.response is not None
    assert_that(w.response.status_code, equal_to(200))


def runs_only_once(w: World) -> None:
    raised = w.focus()["id"]
    w.api.cancel(raised)
    for execution in [*w.blockers, *w.executions]:
        w.api.cancel(execution["id"])
    drain(w)  # every message still in the queue, the raised one's old one too, is handled
    statuses = [e["status"] for e in w.api.events(raised)]
    assert_that(statuses, equal_to(["queued", "running", "cancelled"]))


def still_waiting_with(w: World, priority: str) -> None:
    assert_that(w.api.execution(w.focus()["id"]), has_entries(status="queued", priority=priority))


def accepted_with_priority(w: World, priority: str) -> None:
    assert_that(w.focus(), has_entries(status="queued", priority=priority))


# -- statistics ---------------------------------------------------------------------------


def stats_every_slot_running(w: World) -> None:
    assert_that(w.api.stats(), has_entries(running=w.stack.worker_slots))


def stats_queued_by_priority(w: World, counts: dict[str, int]) -> None:
    stats = w.api.stats()
    assert_that(stats["queued_by_priority"], equal_to(counts))
    assert_that(stats["queued"], equal_to(sum(counts.values())))


def stats_agree_with_listing(w: World) -> None:
    stats = w.api.stats()
    queued = w.api.list(status="queued", limit=500)["items"]
    running = w.api.list(status="running", limit=500)["items"]
    listed = {p: sum(1 for e in queued if e["priority"] == p) for p in PRIORITIES}
    assert_that(stats["queued_by_priority"], equal_to(listed))
    assert_that(stats["running"], equal_to(len(running)))


def stats_workers_online(w: World) -> None:
    workers = w.stack.running_workers()
    eventually(
        w.api.stats,
        has_entries(workers_online=len(workers), worker_slots=w.stack.worker_slots),
        timeout=10,
        what="the statistics counting the workers",
    )


def stats_finished_last_minute(w: World, completed: int, failed: int) -> None:
    assert_that(
        w.api.stats(), has_entries(completed_last_minute=completed, failed_last_minute=failed)
    )


def stats_oldest_wait_grows(w: World) -> None:
    first = w.api.stats()["oldest_queued_age_seconds"]
    assert_that(first, is_not(none()))
    eventually(
        lambda: w.api.stats()["oldest_queued_age_seconds"],
        greater_than(first + 0.2),
        timeout=5,
        what="the oldest wait growing",
    )
    queued_at = datetime.fromisoformat(w.focus()["created_at"])
    age = w.api.stats()["oldest_queued_age_seconds"]
    waited = (datetime.now(queued_at.tzinfo) - queued_at).total_seconds()
    assert_that(abs(age - waited), less_than(0.5))


# -- limits -------------------------------------------------------------------------------


def limited_graph(w: World, limit: int) -> None:
    w.graph = w.api.create_graph(
        graph_definition(tasks=1, name="limited", settings={"max_active_executions": limit})
    )


def queue_waiting_of_graph(w: World, count: int) -> None:
    for _ in range(count):
        w.execution = w.api.queue_ok(w.the_graph()["id"])
        w.executions.append(w.execution)


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

    timings = crowd(w.stack.base_url, [user] * clients)
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


def failed_executions(w: World, count: int) -> None:
    for _ in range(count):
        execution = w.api.queue_ok(w.the_graph()["id"])
        w.await_execution(execution["id"], has_status("failed"), timeout=10)


def says_when_to_retry(w: World) -> None:
    assert w.response is not None
    assert_that(w.response, is_error(429, "QUEUE_LIMIT_REACHED"))
    assert_that(int(w.response.headers["Retry-After"]), greater_than(0))
