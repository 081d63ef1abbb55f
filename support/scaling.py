"""Several worker processes sharing the work (the services stack runs two)."""

from __future__ import annotations

from collections import Counter

from hamcrest import assert_that, described_as, equal_to, has_length

from .executions import all_complete_within
from .graphs import define
from .world import World

# each execution takes at least 3 x 50 ms: long enough that one worker, holding at most
# one message per pool slot, cannot drain the burst before the other picks some up
BURST_STEPS, BURST_STEP_MS = 3, 50
BURST_TIMEOUT = 30


def workers_running(w: World, count: int) -> None:
    w.workers = w.stack.running_workers()
    assert_that(w.workers, has_length(count), "workers answering a ping")


def queue_burst(w: World, count: int) -> None:
    """Queue ``count`` executions back to back, without waiting for any of them."""
    graph = define(w, tasks=1, steps=BURST_STEPS, step_ms=BURST_STEP_MS, name="burst")
    w.executions = [w.api.queue_ok(graph["id"]) for _ in range(count)]


def all_complete(w: World) -> None:
    all_complete_within(w, BURST_TIMEOUT)


def every_worker_ran_some(w: World) -> None:
    ran = Counter(e["worker"] for e in w.executions)
    assert_that(
        sorted(ran),
        described_as(
            f"the workers that ran the burst (executions per worker: {dict(ran)})",
            equal_to(sorted(w.workers)),
        ),
    )
