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

from .busy_workers import drain
from .matchers import has_status, is_finished, never_decreases
from .polling import eventually
from .timestamps import at
from .world import World

TOPICS = ["octopuses", "glaciers", "lighthouses", "volcanoes", "beehives"]


def queue(w: World, topic: str | None = None) -> None:
    """Queue an execution of the graph (or of the id that was never defined); keep the
    response, refusal or not."""
    graph_id = w.missing_id or w.the_graph()["id"]
    body = {"inputs": {"topic": topic}} if topic else {}
    w.response = w.api.queue(graph_id, **body)
    if w.response.status_code == 202:
        w.execution = w.response.json()
        w.executions.append(w.execution)


def queue_many_topics(w: World, count: int) -> None:
    for topic in TOPICS[:count]:
        w.executions.append(w.api.queue_ok(w.the_graph()["id"], inputs={"topic": topic}))


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


def finishes_within(w: World, status: str, seconds: float) -> dict[str, Any]:
    """The execution finishes within ``seconds``, and in ``status``."""
    ident = w.focus()["id"]
    w.execution = w.await_execution(
        ident,
        is_finished(),
        timeout=seconds,
        what=f"execution {ident} finishing",
    )
    assert_that(w.execution, has_status(status))
    return w.execution


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


def run_to_end(w: World, graph_id: str, timeout: float = 15, **body: Any) -> dict[str, Any]:
    """Queue an execution of the graph and wait until it finishes: it becomes the focus."""
    execution = w.api.queue_ok(graph_id, **body)
    w.executions.append(execution)
    w.execution = w.await_execution(
        execution["id"],
        is_finished(),
        timeout=timeout,
        what="execution finishing",
    )
    return w.execution


def failed_one_after_another(
    w: World, graph_id: str, count: int, timeout: float = 15, **body: Any
) -> None:
    """``count`` executions of the graph, each queued once the one before has failed."""
    for _ in range(count):
        assert_that(run_to_end(w, graph_id, timeout, **body), has_status("failed"))


def have_ended(w: World, count: int, status: str) -> None:
    """``count`` executions of the graph, queued together, have all ended in ``status``."""
    start = len(w.executions)
    for _ in range(count):
        w.executions.append(w.api.queue_ok(w.the_graph()["id"]))
    for index, execution in enumerate(w.executions[start:], start):
        w.executions[index] = w.await_execution(execution["id"], has_status(status), timeout=20)


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


def progress_names_task(w: World) -> None:
    names = [t["name"] for t in w.the_graph()["definition"]["tasks"]]
    ident = w.focus()["id"]

    def progress() -> dict[str, Any]:
        return w.api.execution(ident)["progress"]

    seen = eventually(
        progress, has_entries(current_task=is_in(names)), timeout=5, what="progress naming a task"
    )
    assert_that(seen["percent"], all_of(greater_than(0), less_than(100)))


def history_is(w: World, statuses: list[str]) -> None:
    events = w.api.events(w.focus()["id"])
    assert_that([e["status"] for e in events], equal_to(statuses))


def history_in_order(w: World) -> None:
    stamps = [at(e["at"]) for e in w.api.events(w.focus()["id"])]
    assert_that(stamps, equal_to(sorted(stamps)))


def started_and_finished_in_window(w: World) -> None:
    execution = w.focus()
    created = at(execution["created_at"])
    started = at(execution["started_at"])
    finished = at(execution["finished_at"])
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


# -- a message delivered twice --------------------------------------------------------------


def completed_execution(w: World) -> None:
    queue(w)
    finishes_within(w, "completed", 10)
    w.before = {"execution": w.focus(), "events": w.api.events(w.focus()["id"])}


def redeliver(w: World) -> None:
    w.stack.redeliver(w.focus()["id"])


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


# -- what a refused request left --------------------------------------------------------------


def nothing_written(w: World) -> None:
    assert_that(w.stack.database.counts(), equal_to(w.before["rows"]))


def no_execution_created(w: World) -> None:
    assert_that(w.api.list()["items"], is_(empty()))
    nothing_written(w)
