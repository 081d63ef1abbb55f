"""Losing and restarting workers (services stack: real worker processes).

The faults themselves are named operations in ``support/faults/worker_processes.py``;
this module says what a scenario expects of the service after them.
"""

from __future__ import annotations

from hamcrest import assert_that, equal_to, greater_than, has_entries

from .faults import worker_processes
from .graphs import define
from .timestamps import at
from .world import World


def retried_long_graph(w: World, steps: int, step_ms: int, attempts: int) -> None:
    define(
        w,
        tasks=1,
        steps=steps,
        step_ms=step_ms,
        name="long, retried",
        settings={"retry": {"max_attempts": attempts, "base_delay_seconds": 0.1}},
    )


def kill_its_worker(w: World) -> None:
    killed = worker_processes.kill_pool_processes(w.stack, w.focus()["worker"])
    assert_that(killed, greater_than(0))


def lost_attempt_then_second_run(w: World) -> None:
    events = w.api.events(w.focus()["id"])
    assert_that(
        [e["status"] for e in events],
        equal_to(["queued", "running", "retrying", "running", "completed"]),
    )
    assert_that(events[2]["details"], has_entries(code="WORKER_LOST"))


def restart_every_worker(w: World) -> None:
    w.before["workers_down_at"] = worker_processes.restart_workers(w.stack)


def second_attempt_after_restart(w: World) -> None:
    events = w.api.events(w.focus()["id"])
    second = [e for e in events if e["status"] == "running"][1]
    # it ran after every worker had gone: its message outlived them all, in Redis
    assert_that(at(second["at"]), greater_than(w.before["workers_down_at"]))
