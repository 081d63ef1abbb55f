"""Stopping executions: cancelling them, their deadlines, and how fast their crews stop."""

from __future__ import annotations

import statistics
import time
from typing import Any

from hamcrest import (
    all_of,
    assert_that,
    contains_string,
    equal_to,
    greater_than,
    has_entries,
    is_in,
    is_not,
    less_than,
    less_than_or_equal_to,
    none,
)

from .builders.graph_definitions import graph_definition
from .busy_workers import occupy_workers, queue_waiting
from .executions import finishes_within, refresh
from .graphs import define, failing_graph
from .matchers import FINISHED, has_status, is_error, is_finished
from .measure import record, summary
from .polling import consistently, eventually
from .timestamps import seconds_between
from .world import World


def long_graph(w: World, steps: int, step_ms: int, **settings: Any) -> dict[str, Any]:
    """A crew of one task of ``steps`` steps of ``step_ms`` each; ``settings`` its graph's."""
    return define(w, tasks=1, steps=steps, step_ms=step_ms, name="long", settings=settings or None)


def running_execution(w: World) -> None:
    """Queue an execution of the graph and wait until it runs and has made progress."""
    w.execution = w.api.queue_ok(w.the_graph()["id"])
    w.executions.append(w.execution)
    ident = w.execution["id"]
    w.execution = w.await_execution(
        ident,
        has_entries(status="running", progress=has_entries(percent=greater_than(0))),
        timeout=10,
        what="the execution running and making progress",
    )


def _let_go(w: World, ident: str, seconds: float) -> tuple[dict[str, Any], float]:
    """The execution once its worker has let go of the crew (``stopped_at``), and the
    seconds from its end to that moment."""
    stopped = w.await_execution(
        ident,
        has_entries(stopped_at=is_not(none())),
        timeout=seconds + 5,
        what="the worker letting go of the crew",
    )
    return stopped, seconds_between(stopped["stopped_at"], stopped["finished_at"])


def crew_stops_within(w: World, seconds: float) -> float:
    w.execution, latency = _let_go(w, w.focus()["id"], seconds)
    assert_that(latency, less_than(seconds))
    return latency


def progress_kept(w: World) -> None:
    execution = refresh(w)
    assert_that(execution["progress"]["percent"], greater_than(0))
    assert_that(execution["progress"]["current_task"], is_not(none()))


def occupy_with_stubborn_crews(w: World, timeout: float | None = None) -> None:
    """Fill every worker slot with a crew whose single step lasts a minute."""
    stubborn = graph_definition(tasks=1, steps=1, step_seconds=60, name="stubborn")
    occupy_workers(w, stubborn, **({"timeout_seconds": timeout} if timeout else {}))


def cancel(w: World) -> None:
    w.response = w.api.cancel(w.focus()["id"])


def cancelled_at_once(w: World) -> None:
    assert w.response is not None
    assert_that(w.response.status_code, equal_to(200))
    assert_that(w.response.json(), has_status("cancelled"))
    assert_that(refresh(w), has_status("cancelled"))


def cancel_a_blocker(w: World) -> None:
    w.response = w.api.cancel(w.blockers[0]["id"])
    assert_that(w.response.status_code, equal_to(200))


def blocker_stops_within(w: World, seconds: float) -> None:
    stopped, latency = _let_go(w, w.blockers[0]["id"], seconds)
    record("hard stop latency", w.stack.name, {"seconds": latency})
    assert_that(latency, less_than(seconds))
    w.before["freed_at"] = stopped["stopped_at"]


def waiting_starts_within(w: World, seconds: float) -> None:
    ident = w.focus()["id"]
    started = w.await_execution(
        ident,
        has_entries(started_at=is_not(none())),
        timeout=seconds + 5,
        what="the waiting execution starting",
    )
    freed = w.before.get("freed_at") or max(
        w.api.execution(b["id"])["stopped_at"] or "" for b in w.blockers
    )
    gap = seconds_between(started["started_at"], freed)
    record("slot reuse after a hard stop", w.stack.name, {"seconds": gap})
    assert_that(gap, less_than(seconds))


def cancel_twice(w: World) -> None:
    ident = w.focus()["id"]
    w.before["answers"] = [w.api.cancel(ident), w.api.cancel(ident)]


def both_answers_cancelled(w: World) -> None:
    for response in w.before["answers"]:
        assert_that(response.status_code, equal_to(200))
        assert_that(response.json(), has_status("cancelled"))
    statuses = [e["status"] for e in w.api.events(w.focus()["id"])]
    assert_that(statuses.count("cancelled"), equal_to(1))


def ended_execution(w: World, how: str) -> None:
    if how == "completed":
        define(w, tasks=1)
        w.execution = w.api.queue_ok(w.the_graph()["id"])
    elif how == "failed":
        failing_graph(w, "auth_failed")
        w.execution = w.api.queue_ok(w.the_graph()["id"])
    elif how == "timed out":
        long_graph(w, 100, 100)
        w.execution = w.api.queue_ok(w.the_graph()["id"], timeout_seconds=0.3)
    else:
        raise AssertionError(f"no way to end an execution called {how!r}")
    ident = w.execution["id"]
    finished = all_of(is_finished(), has_entries(stopped_at=is_not(none())))
    w.execution = w.await_execution(
        ident,
        finished,
        timeout=10,
        what="the execution finished and its worker gone",
    )
    w.before["execution"] = w.execution
    w.before["events"] = w.api.events(ident)


def refused_unchanged(w: World, status: str) -> None:
    assert_that(w.response, is_error(409, "EXECUTION_FINISHED"))
    assert_that(w.response.json()["error"]["message"], contains_string(status))
    after = refresh(w)
    assert_that(after, equal_to(w.before["execution"]))
    assert_that(w.api.events(after["id"]), equal_to(w.before["events"]))


def _seen_running(w: World, ident: str) -> None:
    eventually(
        lambda: w.api.execution(ident)["status"],
        is_in(["running", *FINISHED]),
        timeout=10,
        interval=0.002,
    )


def race_cancel_with_completion(w: World, count: int) -> None:
    """Cancel each execution a moment after it is seen running, its crew lasting 30 ms.

    The moment is a staircase: it grows after each cancel that won and shrinks after each
    completion that won, so cancel and completion keep arriving together on any stack.
    """
    graph = w.api.create_graph(graph_definition(tasks=1, steps=1, step_seconds=0.03, name="racing"))
    delay = 0.03
    w.before["race"] = []
    w.before["race_delays"] = []
    for _ in range(count):
        ident = w.api.queue_ok(graph["id"])["id"]
        _seen_running(w, ident)
        time.sleep(delay)  # allowed: the race's chosen moment, not a wait for a condition
        answer = w.api.cancel(ident).status_code
        w.before["race"].append((ident, answer))
        w.before["race_delays"].append(delay)
        delay = delay * 1.4 if answer == 200 else delay / 1.4


def one_terminal_state_each(w: World) -> None:
    outcomes = {"cancelled": 0, "completed": 0}
    for ident, answer in w.before["race"]:
        final = w.await_execution(ident, is_finished(), timeout=10)
        events = w.api.events(ident)
        terminal = [e for e in events if e["status"] in FINISHED]
        assert_that(len(terminal), equal_to(1))
        assert_that(final["status"], equal_to(terminal[0]["status"]))
        expected = "cancelled" if answer == 200 else "completed"
        assert_that(answer, is_in([200, 409]))
        assert_that(final["status"], equal_to(expected))
        outcomes[final["status"]] += 1
    record(
        "cancel racing completion",
        w.stack.name,
        {**outcomes, "cancel_delay_median": statistics.median(w.before["race_delays"])},
    )
    # a race that one side always wins proved nothing: both must have happened
    assert_that(outcomes["cancelled"], greater_than(0))
    assert_that(outcomes["completed"], greater_than(0))


def measure_stop_latency(w: World, count: int) -> None:
    long_graph(w, 200, 100)
    latencies = []
    for _ in range(count):
        running_execution(w)
        cancel(w)
        latencies.append(crew_stops_within(w, 5))
    w.before["figures"] = summary(latencies)
    record("cancel to crew stopped (s)", w.stack.name, w.before["figures"])


def p95_under(w: World, limit: float) -> None:
    assert_that(w.before["figures"]["p95"], less_than_or_equal_to(limit))


# -- timeouts ------------------------------------------------------------------------------


def queue_with_timeout(w: World, seconds: float) -> None:
    w.execution = w.api.queue_ok(w.the_graph()["id"], timeout_seconds=seconds)
    w.executions.append(w.execution)


def times_out_within(w: World, seconds: float, code: str = "EXECUTION_TIMEOUT") -> None:
    execution = finishes_within(w, "timed_out", seconds)
    assert_that(execution["error"], has_entries(code=code, category="timeout"))


def ended_near_deadline(w: World, seconds: float) -> float:
    execution = w.focus()
    lateness = seconds_between(execution["finished_at"], execution["deadline_at"])
    assert_that(lateness, greater_than(-0.05))
    assert_that(lateness, less_than(seconds))
    return lateness


def deadline_is_start_plus(w: World, seconds: float) -> None:
    execution = w.focus()
    budget = seconds_between(execution["deadline_at"], execution["started_at"])
    assert_that(abs(budget - seconds), less_than(0.01))


def graph_default_timeout(w: World, seconds: float) -> None:
    long_graph(w, 100, 100, timeout_seconds=seconds)


def stays_timed_out(w: World, seconds: float) -> None:
    ident = w.focus()["id"]
    before = w.focus()
    consistently(
        lambda: w.api.execution(ident),
        has_entries(status="timed_out", attempt=before["attempt"]),
        duration=seconds,
    )
    statuses = [e["status"] for e in w.api.events(ident)]
    assert_that(statuses[-1], equal_to("timed_out"))
    assert_that(statuses.count("timed_out"), equal_to(1))


def attempts_fewer_than(w: World, count: int) -> None:
    assert_that(w.focus()["attempt"], less_than(count))


def queue_with_queue_deadline(w: World, seconds: float) -> None:
    queue_waiting(w, queue_timeout_seconds=seconds)


def blockers_time_out_and_next_starts(w: World, seconds: float) -> None:
    for blocker in w.blockers:
        final = w.await_execution(blocker["id"], is_finished(), timeout=10)
        assert_that(final, has_status("timed_out"))
    waiting_starts_within(w, seconds)


def measure_timeout_accuracy(w: World, count: int, timeout: float) -> None:
    long_graph(w, 100, 100)
    lateness = []
    ids = [w.api.queue_ok(w.the_graph()["id"], timeout_seconds=timeout)["id"] for _ in range(count)]
    for ident in ids:
        w.execution = w.await_execution(ident, is_finished(), timeout=20)
        assert_that(w.execution, has_status("timed_out"))
        lateness.append(seconds_between(w.execution["finished_at"], w.execution["deadline_at"]))
    w.before["figures"] = summary(lateness)
    record("deadline to timed_out (s)", w.stack.name, w.before["figures"])
