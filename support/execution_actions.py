"""Queueing executions, watching them, and checking what they became."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hamcrest import (
    all_of,
    assert_that,
    contains_string,
    empty,
    equal_to,
    greater_than,
    has_entries,
    has_item,
    has_length,
    is_,
    is_in,
    less_than,
    less_than_or_equal_to,
)

from .graphs import graph_definition
from .matchers import has_status, is_error, is_finished, never_decreases
from .polling import eventually
from .world import World

TOPICS = ["octopuses", "glaciers", "lighthouses", "volcanoes", "beehives"]


def _queue(w: World, graph_id: str, **body: Any) -> dict[str, Any]:
    execution = w.api.queue_ok(graph_id, **body)
    w.executions.append(execution)
    return execution


def queue(w: World, topic: str | None = None) -> None:
    graph_id = w.missing_id or w.the_graph()["id"]
    body = {"inputs": {"topic": topic}} if topic else {}
    w.response = w.api.queue(graph_id, **body)
    if w.response.status_code == 202:
        w.execution = w.response.json()
        w.executions.append(w.execution)


def queue_many_topics(w: World, count: int) -> None:
    for topic in TOPICS[:count]:
        _queue(w, w.the_graph()["id"], inputs={"topic": topic})


def accepted_as_queued(w: World) -> None:
    assert w.response is not None
    assert_that(w.response.status_code, equal_to(202))
    assert_that(
        w.response.headers.get("Location"), equal_to(f"/api/v1/executions/{w.focus()['id']}")
    )
    assert_that(w.focus(), has_status("queued"))


def refresh(w: World) -> dict[str, Any]:
    w.execution = w.api.execution(w.focus()["id"])
    return w.execution


def completes_within(w: World, seconds: float) -> None:
    ident = w.focus()["id"]
    finished = w.await_execution(
        ident,
        is_finished(),
        timeout=seconds,
        what=f"execution {ident} finishing",
    )
    w.execution = finished
    assert_that(finished, has_status("completed"))


def all_complete_within(w: World, seconds: float) -> None:
    for index, execution in enumerate(w.executions):
        ident = execution["id"]
        w.executions[index] = w.await_execution(
            ident,
            is_finished(),
            timeout=seconds,
            what=f"execution {ident} finishing",
        )
        assert_that(w.executions[index], has_status("completed"))


def running_within(w: World, seconds: float) -> None:
    ident = w.focus()["id"]
    w.execution = w.await_execution(
        ident,
        has_status("running"),
        timeout=seconds,
        what=f"execution {ident} starting",
    )


def result_is_last_task_output(w: World) -> None:
    execution = w.focus()
    outputs = execution["outputs"]
    assert_that(outputs, has_length(len(w.the_graph()["definition"]["tasks"])))
    assert_that(execution["result"]["raw"], equal_to(outputs[-1]["raw"]))


def every_task_output_kept(w: World) -> None:
    tasks = [t["name"] for t in w.the_graph()["definition"]["tasks"]]
    outputs = w.focus()["outputs"]
    assert_that([o["task"] for o in outputs], equal_to(tasks))
    for output in outputs:
        assert_that(output["raw"], all_of(is_(str), greater_than("")))


def watch_until_finished(w: World, seconds: float = 20) -> None:
    ident = w.focus()["id"]

    def sample() -> dict[str, Any]:
        execution = w.api.execution(ident)
        w.samples.append(execution)
        return execution

    w.execution = eventually(sample, is_finished(), timeout=seconds, interval=0.01)


def progress_never_went_down(w: World) -> None:
    assert_that([s["progress"]["percent"] for s in w.samples], never_decreases())


def progress_seen_between(w: World) -> None:
    running = [s["progress"]["percent"] for s in w.samples if s["status"] == "running"]
    assert_that(running, has_item(all_of(greater_than(0), less_than(100))))


def progress_ended_at_100(w: World) -> None:
    assert_that(w.focus(), has_status("completed"))
    assert_that(w.focus()["progress"]["percent"], equal_to(100))


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def history_is(w: World, statuses: list[str]) -> None:
    events = w.api.events(w.focus()["id"])
    assert_that([e["status"] for e in events], equal_to(statuses))


def history_in_order(w: World) -> None:
    stamps = [_parse(e["at"]) for e in w.api.events(w.focus()["id"])]
    assert_that(stamps, equal_to(sorted(stamps)))


def started_and_finished_in_window(w: World) -> None:
    execution = w.focus()
    created = _parse(execution["created_at"])
    started = _parse(execution["started_at"])
    finished = _parse(execution["finished_at"])
    now = datetime.now(UTC)
    assert_that(created, less_than_or_equal_to(started))
    assert_that(started, less_than_or_equal_to(finished))
    assert_that(finished, less_than_or_equal_to(now))


def result_mentions(w: World, text: str) -> None:
    assert_that(w.focus()["result"]["raw"], contains_string(text))


def each_result_mentions_its_topic(w: World) -> None:
    for execution in w.executions:
        assert_that(execution["result"]["raw"], contains_string(execution["inputs"]["topic"]))


def each_has_own_history(w: World) -> None:
    for execution in w.executions:
        events = w.api.events(execution["id"])
        assert_that([e["status"] for e in events], equal_to(["queued", "running", "completed"]))


def completed_execution(w: World) -> None:
    queue(w)
    completes_within(w, 10)
    w.before = {"execution": w.focus(), "events": w.api.events(w.focus()["id"])}


def redeliver(w: World) -> None:
    w.stack.redeliver(w.focus()["id"])


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


def stays_completed(w: World) -> None:
    before = w.before["execution"]
    drain(w)
    after = refresh(w)
    assert_that(
        after,
        has_entries(
            status="completed",
            result=before["result"],
            attempt=before["attempt"],
            started_at=before["started_at"],
        ),
    )


def single_run_in_history(w: World) -> None:
    assert_that(w.api.events(w.focus()["id"]), equal_to(w.before["events"]))


# -- busy workers, waiting executions, cancellation --------------------------------------


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


def queue_waiting(w: World, count: int = 1) -> None:
    if w.graph is None:
        w.graph = w.api.create_graph(graph_definition(tasks=1, name="waiting"))
    for _ in range(count):
        w.execution = _queue(w, w.the_graph()["id"])


def cancel(w: World) -> None:
    w.response = w.api.cancel(w.focus()["id"])


def cancelled_at_once(w: World) -> None:
    assert w.response is not None
    assert_that(w.response.status_code, equal_to(200))
    assert_that(w.response.json(), has_status("cancelled"))
    assert_that(refresh(w), has_status("cancelled"))


def free_workers(w: World) -> None:
    for blocker in w.blockers:
        w.api.cancel(blocker["id"])


def never_started_after_workers_free(w: World) -> None:
    free_workers(w)
    drain(w)
    execution = refresh(w)
    assert_that(execution, has_entries(status="cancelled", started_at=None, attempt=0))
    history = [e["status"] for e in w.api.events(execution["id"])]
    assert_that(history, equal_to(["queued", "cancelled"]))


def nothing_written(w: World) -> None:
    assert_that(w.stack.database.counts(), equal_to(w.before["rows"]))


def stats_unchanged(w: World) -> None:
    after = w.api.stats()
    before = w.before["stats"]
    for key in ("queued", "running", "by_status", "queued_by_priority"):
        assert_that(after[key], equal_to(before[key]))


def no_execution_created(w: World) -> None:
    assert_that(w.api.list()["items"], is_(empty()))
    nothing_written(w)


def refused(w: World, status: int, code: str) -> None:
    assert_that(w.response, is_error(status, code))


def progress_names_task(w: World) -> None:
    names = [t["name"] for t in w.the_graph()["definition"]["tasks"]]
    ident = w.focus()["id"]

    def progress() -> dict[str, Any]:
        return w.api.execution(ident)["progress"]

    seen = eventually(
        progress, has_entries(current_task=is_in(names)), timeout=5, what="progress naming a task"
    )
    assert_that(seen["percent"], all_of(greater_than(0), less_than(100)))
