"""Priorities: the order waiting executions start in, and raising one's priority."""

from __future__ import annotations

from typing import Any

from hamcrest import assert_that, equal_to, has_entries, has_item, has_length

from .builders.graph_definitions import graph_definition
from .busy_workers import drain
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


def queue_waiting_with(w: World, priorities: list[str]) -> None:
    """Queue one waiting execution per priority, in that order; the last is the focus."""
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


def start_order_is(w: World, order: str) -> None:
    """``order``: "they were queued", or priorities such as "critical, high, normal, low"."""
    if order == "they were queued":
        assert_that(w.before["start_order"], equal_to([e["id"] for e in w.executions]))
        return
    by_id = {e["id"]: e["priority"] for e in w.executions}
    assert_that([by_id[i] for i in w.before["start_order"]], equal_to(order.split(", ")))


def change_priority(w: World, priority: str) -> None:
    """Ask for a new priority for the focus; the answer is kept, refusal or not."""
    w.response = w.api.raw(
        "PATCH", f"/api/v1/executions/{w.focus()['id']}", json={"priority": priority}
    )


def raise_priority(w: World, priority: str) -> None:
    change_priority(w, priority)
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


def shown_everywhere_with(w: World, priority: str) -> None:
    """The answer to the change, the execution, the list of queued executions and the
    queue statistics all show the focus still waiting, with ``priority``."""
    ident = w.focus()["id"]
    assert w.response is not None
    assert_that(w.response.status_code, equal_to(200), w.response.text)
    assert_that(w.response.json(), has_entries(id=ident, status="queued", priority=priority))
    assert_that(w.api.execution(ident), has_entries(status="queued", priority=priority))
    queued = w.api.list(status="queued", limit=500)["items"]
    assert_that(queued, has_item(has_entries(id=ident, priority=priority)))
    by_priority = {p: sum(1 for e in queued if e["priority"] == p) for p in PRIORITIES}
    assert_that(w.api.stats()["queued_by_priority"], equal_to(by_priority))


def accepted_with_priority(w: World, priority: str) -> None:
    assert_that(w.focus(), has_entries(status="queued", priority=priority))
