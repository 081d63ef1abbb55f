"""Following an execution's event stream (server-sent events) and waiting for its end,
as a web client does: ``GET .../stream`` read line by line, reconnecting with
``Last-Event-ID``; ``GET /executions/{id}?wait=``.

What is checked is what a client sees: the events' ids grow and none comes twice, the
status events are exactly the history (``GET .../events``), every task has its start and
its output, the stream ends after the final status, a quiet stream gets keep-alive
comments, and reading in two pieces (cut off in the middle of a run, then resumed from
the last id) gives exactly what one reading from the start gives.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from hamcrest import (
    assert_that,
    contains_string,
    equal_to,
    greater_than_or_equal_to,
    has_entries,
    has_item,
    less_than_or_equal_to,
)

from .graphs import define, failing_graph
from .owners import other_owner
from .world import World

# the crew followed across a reconnect: 3 tasks of 4 steps of 150 ms, its last task
# failing (transiently) on the first attempt, retried after 0.3 s
RETRIED = {"tasks": 3, "steps": 4, "step_seconds": 0.15}
# a wait answers within this of the execution's finished_at (median of three; the
# watcher looks every 50 ms): the figure
WAIT_LATENCY_MEDIAN = 0.100
# and none of the three later than this, on a loaded 2-core machine
WAIT_LATENCY_EACH = 0.300


@dataclass
class Reading:
    """One connection's events (id, name, data), comments, and whether the server
    ended the stream (rather than the client leaving)."""

    events: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    ended: bool = False
    status: int = 0


def read_stream(
    w: World,
    execution_id: str,
    last_id: str | None = None,
    until_event: str | None = None,
    until_comment: bool = False,
    client: Any = None,
    timeout: float = 30.0,
) -> Reading:
    """Read the stream until the server ends it, or until the first event named
    ``until_event`` (or comment) has arrived (the client then hangs up)."""
    api = client or w.api
    headers = {"Authorization": f"Bearer {api.key}", "Accept": "text/event-stream"}
    if last_id is not None:
        headers["Last-Event-ID"] = last_id
    reading = Reading()
    url = f"{api.base_url}/api/v1/executions/{execution_id}/stream"
    pending: dict[str, str] = {}
    with httpx.stream("GET", url, headers=headers, timeout=timeout) as response:
        reading.status = response.status_code
        if response.status_code != 200:
            response.read()
            return reading
        for line in response.iter_lines():
            if line.startswith(":"):
                reading.comments.append(line)
                if until_comment:
                    return reading
            elif line == "":
                if pending:
                    event = (pending["id"], pending["event"], json.loads(pending["data"]))
                    reading.events.append(event)
                    pending = {}
                    if event[1] == until_event:
                        return reading
            else:
                name, _, value = line.partition(": ")
                pending[name] = value
        reading.ended = True
    return reading


def _key(event_id: str) -> tuple[int, int]:
    history, _, step = event_id.partition(".")
    return int(history), int(step or 0)


def _statuses(events: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    return [
        name.removeprefix("execution.") for _, name, _ in events if name.startswith("execution.")
    ]


# -- following one run ----------------------------------------------------------------


def follow_to_end(w: World) -> None:
    w.before["reading"] = read_stream(w, w.focus()["id"])


def every_event_once_in_order(w: World) -> None:
    reading: Reading = w.before["reading"]
    ids = [_key(event_id) for event_id, _, _ in reading.events]
    assert_that(ids, equal_to(sorted(set(ids))), "event ids grow, none twice")
    history = [row["status"] for row in w.api.events(w.focus()["id"])]
    assert_that(_statuses(reading.events), equal_to(history), "the status events are the history")
    names = [t["name"] for t in w.the_graph()["definition"]["tasks"]]
    for kind in ("task.started", "task.completed"):
        seen = [data["task"] for _, name, data in reading.events if name == kind]
        assert_that(sorted(set(seen)), equal_to(sorted(names)), f"a {kind} for every task")
    outputs = [data for _, name, data in reading.events if name == "task.completed"]
    assert_that(outputs[-1], has_entries(raw=contains_string("")), "a task's output")
    assert_that([n for _, n, _ in reading.events], has_item("progress"))


def ended_after_final(w: World, status: str) -> None:
    reading: Reading = w.before["reading"]
    assert_that(reading.ended, equal_to(True), "the server ended the stream")
    _, name, data = reading.events[-1]
    assert_that(name, equal_to(f"execution.{status}"), "the last event is the final status")
    if status == "completed":
        assert_that(data["result"], has_entries(raw=contains_string("")))


# -- a reconnect in the middle of a run --------------------------------------------------


def retried_crew(w: World) -> None:
    failing_graph(
        w,
        "service_unavailable",
        attempts=2,
        on_attempts=[1],
        tasks=RETRIED["tasks"],
        failing_task=RETRIED["tasks"],
        at_step=RETRIED["steps"],
        steps=RETRIED["steps"],
        step_seconds=RETRIED["step_seconds"],
        base=0.3,
        jitter=0.0,
    )


def follow_with_reconnect(w: World) -> None:
    """Read until the first task's output, hang up, reconnect from the last id seen."""
    execution_id = w.focus()["id"]
    first = read_stream(w, execution_id, until_event="task.completed")
    assert_that(first.ended, equal_to(False), "cut off in the middle of the run")
    w.before["first"] = first
    w.before["second"] = read_stream(w, execution_id, last_id=first.events[-1][0])


def pieces_are_the_whole(w: World) -> None:
    first: Reading = w.before["first"]
    second: Reading = w.before["second"]
    joined = first.events + second.events
    whole = read_stream(w, w.focus()["id"])
    assert_that(joined, equal_to(whole.events), "the two pieces are the stream from the start")
    ids = [_key(event_id) for event_id, _, _ in joined]
    assert_that(ids, equal_to(sorted(set(ids))), "ids grow, none twice")
    history = [row["status"] for row in w.api.events(w.focus()["id"])]
    assert_that(_statuses(joined), equal_to(history), "the status events are the history")
    retrying = [data for _, name, data in joined if name == "execution.retrying"]
    assert_that(retrying[0]["details"], has_entries(delay_seconds=greater_than_or_equal_to(0.3)))
    assert_that(second.ended, equal_to(True))
    print(f"{len(first.events)} events before the reconnect, {len(second.events)} after")


# -- keep-alives, owners -------------------------------------------------------------------


def quiet_stream_keeps_alive(w: World, seconds: float) -> None:
    started = time.monotonic()
    reading = read_stream(w, w.focus()["id"], until_comment=True, timeout=seconds)
    took = time.monotonic() - started
    assert_that(reading.comments, equal_to([": keep-alive"]), "a keep-alive comment")
    assert_that(took, less_than_or_equal_to(seconds))


def other_owner_follows(w: World, owner: str) -> None:
    reading = read_stream(w, w.focus()["id"], client=other_owner(w, owner))
    w.before["other_status"] = reading.status
    w.before["other_wait"] = other_owner(w, owner).raw(
        "GET", f"/api/v1/executions/{w.focus()['id']}", params={"wait": "1"}
    )


def other_owner_refused(w: World) -> None:
    assert_that(w.before["other_status"], equal_to(404), "the stream")
    answer = w.before["other_wait"]
    assert_that(answer.status_code, equal_to(404), "the wait")
    assert_that(answer.json()["error"]["code"], equal_to("EXECUTION_NOT_FOUND"))


# -- the blocking wait ---------------------------------------------------------------------


def _wait(w: World, execution_id: str, seconds: float) -> tuple[Any, float]:
    response = w.api.raw(
        "GET",
        f"/api/v1/executions/{execution_id}",
        params={"wait": str(seconds)},
        timeout=seconds + 15,
    )
    return response, time.time()


def wait_on_several(w: World, count: int) -> None:
    """Queue ``count`` executions one after another and wait on each."""
    lags = []
    for _ in range(count):
        execution = w.api.queue(w.the_graph()["id"]).json()
        response, arrived = _wait(w, execution["id"], 20)
        assert_that(response.status_code, equal_to(200), response.text)
        body = response.json()
        assert_that(body["status"], equal_to("completed"))
        lags.append(arrived - datetime.fromisoformat(body["finished_at"]).timestamp())
    w.before["lags"] = lags


def waits_answered_soon(w: World) -> None:
    lags = w.before["lags"]
    print("wait answered after finished_at (ms): " + ", ".join(f"{1000 * x:.1f}" for x in lags))
    assert_that(statistics.median(lags), less_than_or_equal_to(WAIT_LATENCY_MEDIAN))
    assert_that(max(lags), less_than_or_equal_to(WAIT_LATENCY_EACH))


def wait_runs_out(w: World, seconds: float) -> None:
    started = time.monotonic()
    response, _ = _wait(w, w.focus()["id"], seconds)
    w.before["took"] = time.monotonic() - started
    w.response = response


def answered_current_state(w: World, seconds: float) -> None:
    assert_that(w.response.status_code, equal_to(200), w.response.text)
    assert_that(w.response.json()["status"], equal_to("running"))
    took = w.before["took"]
    assert_that(took, greater_than_or_equal_to(seconds))
    assert_that(took, less_than_or_equal_to(seconds + 1.0))


def wait_too_long(w: World, seconds: int) -> None:
    w.response = w.api.raw(
        "GET", f"/api/v1/executions/{w.focus()['id']}", params={"wait": str(seconds)}
    )


def refused_naming_wait(w: World) -> None:
    assert_that(w.response.status_code, equal_to(422))
    assert_that(w.response.text, contains_string("wait"))


def long_crew(w: World, seconds: float) -> None:
    define(w, tasks=1, steps=1, step_ms=seconds * 1000)
