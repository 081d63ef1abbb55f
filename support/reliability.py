"""An accepted execution always ends: messages the broker lost, an API that died between
committing and publishing, and a long backlog that must not be sent twice.

The faults are named operations (``support/faults/broker.py``,
``support/faults/worker_processes.py``); this module says what the service must do
after them. What the API does not show (how many times a message was sent again) is read
from the stack's store.
"""

from __future__ import annotations

import signal
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hamcrest import (
    assert_that,
    equal_to,
    greater_than,
    greater_than_or_equal_to,
    has_length,
)
from sqlalchemy import insert, select

from execution_service.store.models import Execution, ExecutionEvent, utcnow

from .faults import broker, worker_processes
from .graphs import define
from .polling import eventually, wait_until
from .stacks import SUITE_OWNER, services_stack
from .timestamps import at
from .world import World

NEEDS = "a stack with worker processes of its own, one of which can be stopped"


def one_worker_only(w: World, add_cleanup: Callable[..., None]) -> None:
    """Stop every worker but the first (warm shutdown, while idle); started again when
    the scenario ends."""
    services = services_stack(w.stack, NEEDS)
    keep, *others = services.worker_names
    for name in others:
        child = services.worker_process(name)
        child.signal_group(signal.SIGTERM)
        if not wait_until(lambda c=child: not c.survivors(), worker_processes.SHUTDOWN_SECONDS):
            raise RuntimeError(f"worker {name} did not shut down")
        services.forget(child)
    add_cleanup(_start_again, services, others)
    w.workers = [keep]


def _start_again(services: Any, names: list[str]) -> None:
    for name in names:
        services.start_worker(name)
    services.wait_for_workers("the workers started again")


def queue_of_one_second_crews(w: World, count: int) -> None:
    graph = define(w, tasks=1, steps=1, step_ms=1000, name="one second")
    w.executions = [w.api.queue_ok(graph["id"]) for _ in range(count)]


def flush_once_some_finished(w: World, finished: int) -> None:
    """Once ``finished`` executions completed, the broker loses every message it holds."""
    eventually(
        lambda: sum(w.api.execution(e["id"])["status"] == "completed" for e in w.executions),
        greater_than_or_equal_to(finished),
        timeout=20,
        what=f"{finished} executions completed",
    )
    waiting = [e["id"] for e in w.executions if w.api.execution(e["id"])["status"] == "queued"]
    broker.flush_broker(w.stack)
    w.before["lost"] = waiting


def each_ran_once(w: World) -> None:
    """Each history is one run: queued, running, completed (no retry, no second start)."""
    for execution in w.executions:
        statuses = [e["status"] for e in w.api.events(execution["id"])]
        assert_that(statuses, equal_to(["queued", "running", "completed"]), execution["id"])
        done = w.api.execution(execution["id"])
        assert_that(done["attempt"], equal_to(1), f"attempts of {execution['id']}")


def redispatches(w: World) -> dict[str, int]:
    """How many times each stored execution's message was sent again, by id."""
    with w.stack.database.engine.connect() as conn:
        rows = conn.execute(select(Execution.id, Execution.redispatches)).all()
    return {str(ident): count for ident, count in rows}


def lost_were_sent_again(w: World) -> None:
    """The executions waiting when the broker lost its messages were sent again, each
    once; the others never."""
    lost = set(w.before["lost"])
    assert_that(lost, has_length(greater_than(0)), "executions waiting at the flush")
    counts = redispatches(w)
    for ident in (e["id"] for e in w.executions):
        expected = 1 if ident in lost else 0
        assert_that(counts[ident], equal_to(expected), f"times {ident} was sent again")


def api_died_after_commit(w: World) -> None:
    """What an API process dying between committing a batch and publishing it leaves: a
    queued execution (and its first history row) whose message was never sent."""
    graph = define(w, tasks=1, steps=1, step_ms=10, name="committed, never published")
    now = utcnow()
    ident = uuid.uuid4()
    with w.stack.database.engine.begin() as conn:
        conn.execute(
            insert(Execution).values(
                id=ident,
                owner=SUITE_OWNER,
                graph_id=uuid.UUID(graph["id"]),
                status="queued",
                priority="normal",
                inputs={},
                timeout_seconds=60.0,
                max_attempts=1,
                attempt=0,
                progress_percent=0.0,
                created_at=now,
                dispatched_at=now,
                redispatches=0,
            )
        )
        conn.execute(
            insert(ExecutionEvent).values(
                execution_id=ident, from_status=None, to_status="queued", attempt=0, at=now
            )
        )
    w.execution = w.api.execution(str(ident))
    w.executions = [w.execution]


def backlog_behind_busy_workers(w: World, count: int, step_ms: int) -> None:
    graph = define(w, tasks=1, steps=1, step_ms=step_ms, name="backlog")
    w.executions = [w.api.queue_ok(graph["id"]) for _ in range(count)]


def some_waited_past_the_bound(w: World, seconds: float) -> None:
    """The scenario means something: executions did wait in the queue past the bound."""
    waits = []
    for execution in w.executions:
        events = w.api.events(execution["id"])
        started = next(e for e in events if e["status"] == "running")
        waits.append(at(started["at"]) - at(events[0]["at"]))
    assert_that(max(waits), greater_than(timedelta(seconds=seconds)), "the longest wait")


def none_sent_again(w: World) -> None:
    counts = redispatches(w)
    assert_that(sum(counts.values()), equal_to(0), "messages sent again")
