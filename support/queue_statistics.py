"""The queue statistics: what is queued and running, who is online, what just finished.

The census scenarios make every count known before they look: executions that ended
(completed, failed), one waiting between attempts, every worker slot filled with a long
crew, then executions waiting behind them and some cancelled while they waited. Nothing
moves while the statistics are read, so each count must be exactly what was made.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hamcrest import (
    assert_that,
    equal_to,
    greater_than,
    greater_than_or_equal_to,
    has_entries,
    is_not,
    less_than,
    none,
)

from .builders.graph_definitions import failing_graph_definition, graph_definition
from .busy_workers import queue_waiting
from .matchers import has_status
from .polling import eventually
from .priorities import PRIORITIES, queue_waiting_with
from .timestamps import at
from .world import World

# how long the execution waiting for its next attempt waits before it is due: long enough
# for every worker slot to be filled behind it on a loaded machine. Once they are, it stays
# retrying however long it waits, as no slot is free for its next attempt.
RETRY_WAIT = 8.0

# how far apart in time the executions of the oldest-wait scenario are queued, and how far
# the service's clock may be from this process's when it stamps and measures a wait
GAP = 1.0
CLOCK_SLACK = 0.05


def every_slot_running(w: World) -> None:
    assert_that(w.api.stats(), has_entries(running=w.stack.worker_slots))


def queued_by_priority(w: World, counts: dict[str, int]) -> None:
    stats = w.api.stats()
    assert_that(stats["queued_by_priority"], equal_to(counts))
    assert_that(stats["queued"], equal_to(sum(counts.values())))


def agree_with_listing(w: World) -> None:
    """Every count equals the number of executions the list shows with that status."""
    stats = w.api.stats()
    listed = {s: w.api.list(status=s, limit=500)["items"] for s in stats["by_status"]}
    queued = listed["queued"]
    by_priority = {p: sum(1 for e in queued if e["priority"] == p) for p in PRIORITIES}
    assert_that(stats["queued_by_priority"], equal_to(by_priority))
    assert_that(stats["by_status"], equal_to({s: len(found) for s, found in listed.items()}))
    assert_that(
        stats,
        has_entries(
            queued=len(queued), running=len(listed["running"]), retrying=len(listed["retrying"])
        ),
    )


def workers_online(w: World) -> None:
    workers = w.stack.running_workers()
    eventually(
        w.api.stats,
        has_entries(workers_online=len(workers), worker_slots=w.stack.worker_slots),
        timeout=10,
        what="the statistics counting the workers",
    )


def finished_last_minute(w: World, completed: int, failed: int) -> None:
    assert_that(
        w.api.stats(), has_entries(completed_last_minute=completed, failed_last_minute=failed)
    )


def oldest_wait_grows(w: World) -> None:
    first = w.api.stats()["oldest_queued_age_seconds"]
    assert_that(first, is_not(none()))
    eventually(
        lambda: w.api.stats()["oldest_queued_age_seconds"],
        greater_than(first + 0.2),
        timeout=5,
        what="the oldest wait growing",
    )
    queued_at = at(w.focus()["created_at"])
    age = w.api.stats()["oldest_queued_age_seconds"]
    waited = (datetime.now(queued_at.tzinfo) - queued_at).total_seconds()
    assert_that(abs(age - waited), less_than(0.5))


def busy_and_queued(w: World, queued: int) -> None:
    stats = w.api.stats()
    assert_that(stats["running"], equal_to(w.stack.worker_slots))
    assert_that(stats["queued"], equal_to(queued))
    assert_that(stats["queued_by_priority"]["normal"], equal_to(queued))


def oldest_wait_shown(w: World) -> None:
    stats = w.api.stats()
    assert stats["oldest_queued_age_seconds"] is not None, stats
    assert_that(stats["oldest_queued_age_seconds"], greater_than_or_equal_to(0))


def unchanged(w: World) -> None:
    """The same as when the scenario took its snapshot (``World.snapshot``)."""
    after = w.api.stats()
    before = w.before["stats"]
    for key in ("queued", "running", "by_status", "queued_by_priority"):
        assert_that(after[key], equal_to(before[key]))


def _priorities(text: str) -> list[str]:
    """The priorities a sentence names: ``low, normal and high`` -> low, normal, high."""
    return [p.strip() for p in text.replace(" and ", ", ").split(",") if p.strip()]


def ended_and_retrying(w: World) -> None:
    """One execution that completed, one that failed (permanently), and one whose first
    attempt failed transiently and that now waits :data:`RETRY_WAIT` for its next."""
    wanted = {
        "completed": graph_definition(tasks=1, name="completes"),
        "failed": failing_graph_definition("auth_failed"),
        "retrying": failing_graph_definition(
            "service_unavailable", attempts=2, base=RETRY_WAIT, max_delay=RETRY_WAIT, jitter=0.0
        ),
    }
    queued = {s: w.api.queue_ok(w.api.create_graph(d)["id"]) for s, d in wanted.items()}
    for status, execution in queued.items():
        w.await_execution(
            execution["id"], has_status(status), timeout=20, what=f"an execution {status}"
        )
    w.before["census"] = {s: e["id"] for s, e in queued.items()}


def waiting_with_priorities(w: World, priorities: str) -> None:
    """Executions waiting behind the busy workers, one per priority named."""
    queue_waiting_with(w, _priorities(priorities))


def cancelled_while_waiting(w: World, priorities: str = "normal") -> None:
    """Executions queued behind the busy workers, one per priority named, each cancelled
    while it waited."""
    for priority in _priorities(priorities):
        queue_waiting_with(w, [priority])
        w.api.cancel(w.focus()["id"])


def running_and_retrying(w: World, retrying: int) -> None:
    """Every slot's execution counted as running, and nothing else; the ones waiting
    between attempts counted as retrying."""
    stats = w.api.stats()
    slots = w.stack.worker_slots
    assert_that(stats, has_entries(running=slots, retrying=retrying))
    assert_that(stats["by_status"], has_entries(running=slots, retrying=retrying))
    if "census" in w.before:  # the one waiting between attempts says so itself
        retried = w.api.execution(w.before["census"]["retrying"])
        assert_that(retried, has_entries(status="retrying", attempt=1))


def ended_counts(w: World, completed: int, failed: int, cancelled: int) -> None:
    assert_that(
        w.api.stats()["by_status"],
        has_entries(completed=completed, failed=failed, cancelled=cancelled, timed_out=0),
    )


def _newest_stamp(w: World) -> datetime:
    return max(at(e["created_at"]) for e in [*w.blockers, *w.executions])


def _seconds_since(moment: datetime) -> float:
    return (datetime.now(UTC) - moment).total_seconds()


def waiting_apart(w: World, count: int) -> None:
    """``count`` executions waiting in the queue, each queued :data:`GAP` after every
    execution queued before it (polling the clock, with a deadline)."""
    for _ in range(count):
        newest = _newest_stamp(w)
        eventually(
            lambda newest=newest: _seconds_since(newest),
            greater_than(GAP),
            timeout=GAP + 5,
            interval=0.05,
            what=f"{GAP:g} s passing since the last execution was queued",
        )
        queue_waiting(w)


def _whose_wait(w: World, stamps: list[tuple[str, datetime]]) -> list[str]:
    """Whose wait the oldest-wait figure is: the executions (of ``stamps``: name, queued
    at) whose age lies between the moments just before and just after the statistics
    were read. Executions queued :data:`GAP` apart cannot both match unless the reading
    itself took almost that long (then the next reading decides)."""
    before = datetime.now(UTC)
    age = w.api.stats()["oldest_queued_age_seconds"]
    after = datetime.now(UTC)
    if age is None:
        return ["nobody's: no oldest wait shown"]
    return sorted(
        {
            name
            for name, queued_at in stamps
            if (before - queued_at).total_seconds() - CLOCK_SLACK
            <= age
            <= (after - queued_at).total_seconds() + CLOCK_SLACK
        }
    )


def oldest_wait_is_longest_waiting(w: World) -> None:
    """The oldest-wait figure is the wait of the execution queued longest ago among those
    still queued: not of an older one that is running or cancelled, not of a newer one."""
    now: list[dict[str, Any]] = [w.api.execution(e["id"]) for e in [*w.blockers, *w.executions]]
    queued = sorted((e for e in now if e["status"] == "queued"), key=lambda e: e["created_at"])
    assert len(queued) >= 2, [e["status"] for e in now]
    names = {queued[0]["id"]: "the execution waiting longest"}
    names.update({e["id"]: "a later queued execution" for e in queued[1:]})
    stamps = [
        (names.get(e["id"], f"an older {e['status']} execution"), at(e["created_at"])) for e in now
    ]
    eventually(
        lambda: _whose_wait(w, stamps),
        equal_to(["the execution waiting longest"]),
        timeout=10,
        interval=0.2,
        what="the oldest wait being that of the execution waiting longest",
    )
