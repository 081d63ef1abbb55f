"""The @performance scenarios about time: accurate timestamps, and quick cancellation."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from hamcrest import (
    assert_that,
    described_as,
    empty,
    greater_than_or_equal_to,
    has_entries,
    is_not,
    none,
)

from harness.percentiles import percentile

from .busy_workers import occupy_workers
from .client import ApiClient
from .crowd import Tickets, Timings, crowd
from .matchers import has_status, is_finished
from .measure import summary
from .performance import no_failures, queue_concurrently, report, stepped_graph
from .thresholds import check
from .timestamps import at, seconds_between
from .world import World


def _ms(values: list[float]) -> dict[str, float]:
    return {k: round(v * 1000, 2) if k != "count" else v for k, v in summary(values).items()}


# -- timing accuracy -----------------------------------------------------------------------


def run_in_waves(w: World, count: int) -> None:
    """Run ``count`` executions, as many at a time as there are worker slots."""
    graph_id = w.the_graph()["id"]
    w.executions = []
    sent: dict[str, tuple[datetime, datetime]] = {}
    slots = w.stack.worker_slots
    for first in range(0, count, slots):
        wave = []
        for _ in range(min(slots, count - first)):
            before = datetime.now(UTC)
            execution = w.api.queue_ok(graph_id)
            sent[execution["id"]] = (before, datetime.now(UTC))
            wave.append(execution["id"])
        for ident in wave:
            w.executions.append(
                w.await_execution(
                    ident,
                    is_finished(),
                    timeout=20,
                    interval=0.01,
                    what=f"execution {ident} finishing",
                )
            )
    w.before["sent"] = sent
    durations = [seconds_between(e["finished_at"], e["started_at"]) for e in w.executions]
    waits = [seconds_between(e["started_at"], e["created_at"]) for e in w.executions]
    w.before["durations"], w.before["waits"] = durations, waits
    report(
        w,
        "execution timing accuracy",
        {
            "executions": count,
            **{f"duration_{k}_ms": v for k, v in _ms(durations).items() if k != "count"},
            **{f"queue_wait_{k}_ms": v for k, v in _ms(waits).items() if k != "count"},
        },
    )


def durations_between(w: World, low_ms: float, high_ms: float) -> None:
    for execution in w.executions:
        assert_that(execution, has_status("completed"))
    durations_ms = [1000 * seconds for seconds in w.before["durations"]]
    check(w, "the shortest reported duration", min(durations_ms), "at least", low_ms, "ms")
    check(w, "the longest reported duration", max(durations_ms), "at most", high_ms, "ms")


def durations_p95_within(w: World, ms: float) -> None:
    p95 = 1000 * percentile(w.before["durations"], 95)
    check(w, "the reported duration p95", p95, "at most", ms, "ms")


def waits_within(w: World, p95_ms: float) -> None:
    waits = w.before["waits"]
    assert_that(min(waits), greater_than_or_equal_to(0.0))
    check(w, "queued to started p95", 1000 * percentile(waits, 95), "at most", p95_ms, "ms")


def created_while_asked(w: World, slack_ms: float) -> None:
    """Each creation time falls between sending the request and reading the answer."""
    outside = []  # how far each creation time falls outside the request, in s (<= 0: inside)
    for execution in w.executions:
        before, after = w.before["sent"][execution["id"]]
        created = at(execution["created_at"])
        outside.append(max((before - created).total_seconds(), (created - after).total_seconds()))
    worst_ms = max(0.0, 1000 * max(outside))
    check(w, "a creation time outside its request, the worst", worst_ms, "at most", slack_ms, "ms")


def history_matches(w: World, tolerance_ms: float) -> None:
    """The history's running and completed times are the execution's start and finish."""
    gaps = []
    for execution in w.executions:
        events = {e["status"]: e["at"] for e in w.api.events(execution["id"])}
        gaps += [
            abs(seconds_between(events["queued"], execution["created_at"])),
            abs(seconds_between(events["running"], execution["started_at"])),
            abs(seconds_between(events["completed"], execution["finished_at"])),
        ]
    worst_ms = 1000 * max(gaps)
    check(w, "history vs execution times, the worst gap", worst_ms, "at most", tolerance_ms, "ms")


# -- cancellation ---------------------------------------------------------------------------


def busy_with_waiting(w: World, waiting: int) -> None:
    """Every worker slot runs an execution of the graph; ``waiting`` more wait in the queue."""
    occupy_workers(w, w.the_graph()["definition"])
    t = queue_concurrently(w, 4, waiting)
    no_failures(t)


def _cancel_all(w: World, users: int, ids: list[str], kind: str, t: Timings | None) -> Timings:
    tickets = Tickets(len(ids))

    def user(api: ApiClient, timings: Timings) -> None:
        for index in tickets:
            response = timings.timed(kind, lambda i=ids[index]: api.cancel(i))
            if response.status_code != 200 or response.json()["status"] != "cancelled":
                timings.fail(f"cancel answered {response.status_code}: {response.text[:200]}")

    found = crowd(w.api, [user] * users)
    if t is not None:
        for name, values in found.calls.items():
            t.calls[name] += values
        t.failures += found.failures
        t.elapsed += found.elapsed
        return t
    return found


def cancel_everything(w: World, users: int) -> None:
    waiting = [e["id"] for e in w.executions]
    running = [b["id"] for b in w.blockers]
    t = _cancel_all(w, users, waiting, "cancel waiting", None)
    t = _cancel_all(w, users, running, "cancel running", t)
    t.calls["cancel"] = t.calls["cancel waiting"] + t.calls["cancel running"]
    w.before["timings"] = t
    stops = []
    for ident in running:
        stopped = w.await_execution(
            ident,
            has_entries(stopped_at=is_not(none())),
            timeout=10,
            what=f"the crew of {ident} let go",
        )
        stops.append(seconds_between(stopped["stopped_at"], stopped["finished_at"]))
    w.before["stops"] = stops
    report(
        w,
        "cancellation",
        {
            "waiting": len(waiting),
            "running": len(running),
            **t.figures("cancel"),
            **{f"crew_stop_{k}_ms": v for k, v in _ms(stops).items() if k != "count"},
        },
    )


def every_cancel_answered(w: World) -> None:
    no_failures(w.before["timings"])


def crews_stop_within(w: World, seconds: float) -> None:
    check(w, "cancel to crew stopped, the slowest", max(w.before["stops"]), "at most", seconds, "s")


def waiting_never_started(w: World) -> None:
    started = []
    for execution in w.executions:
        found = w.api.execution(execution["id"])
        if found["started_at"] is not None or found["status"] != "cancelled":
            started.append((found["id"], found["status"]))
    assert_that(started, described_as("waiting executions that started", empty()))


def new_execution_completes_within(w: World, seconds: float) -> None:
    stepped_graph(w, 1, 10)
    start = time.monotonic()
    ident = w.api.queue_ok(w.the_graph()["id"])["id"]
    final: dict[str, Any] = w.await_execution(ident, is_finished(), timeout=seconds, interval=0.01)
    took = time.monotonic() - start
    assert_that(final, has_status("completed"))
    report(w, "cancellation", {"next_execution_s": round(took, 3)})
    check(w, "the next execution, queued to completed", took, "at most", seconds, "s")
