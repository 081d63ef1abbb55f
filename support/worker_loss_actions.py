"""Losing and restarting workers (services stack: real worker processes)."""

from __future__ import annotations

from datetime import datetime

from hamcrest import assert_that, equal_to, greater_than, has_entries

from .failure_actions import failing_graph
from .graphs import graph_definition
from .world import World


def retried_long_graph(w: World, steps: int, step_ms: int, attempts: int) -> None:
    w.graph = w.api.create_graph(
        graph_definition(
            tasks=1,
            steps=steps,
            step_seconds=step_ms / 1000,
            name="long, retried",
            settings={"retry": {"max_attempts": attempts, "base_delay_seconds": 0.1}},
        )
    )


def kill_its_worker(w: World) -> None:
    hostname = w.focus()["worker"]
    killed = w.stack.kill_pool_processes(hostname)  # type: ignore[attr-defined]
    assert_that(killed, greater_than(0))


def lost_attempt_then_second_run(w: World) -> None:
    events = w.api.events(w.focus()["id"])
    assert_that(
        [e["status"] for e in events],
        equal_to(["queued", "running", "retrying", "running", "completed"]),
    )
    assert_that(events[2]["details"], has_entries(code="WORKER_LOST"))


def rate_limited_once_slow_retry(w: World, seconds: float) -> None:
    failing_graph(
        w, "rate_limit", attempts=3, on_attempts=[1], base=seconds, max_delay=seconds, jitter=0.0
    )


def restart_every_worker(w: World) -> None:
    w.before["workers_down_at"] = w.stack.restart_workers()  # type: ignore[attr-defined]


def second_attempt_after_restart(w: World) -> None:
    events = w.api.events(w.focus()["id"])
    second = [e for e in events if e["status"] == "running"][1]
    # it ran after every worker had gone: its message outlived them all, in Redis
    assert_that(datetime.fromisoformat(second["at"]), greater_than(w.before["workers_down_at"]))
