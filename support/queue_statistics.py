"""The queue statistics: what is queued and running, who is online, what just finished."""

from __future__ import annotations

from datetime import datetime

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

from .polling import eventually
from .timestamps import at
from .world import World

PRIORITIES = ("low", "normal", "high", "critical")


def every_slot_running(w: World) -> None:
    assert_that(w.api.stats(), has_entries(running=w.stack.worker_slots))


def queued_by_priority(w: World, counts: dict[str, int]) -> None:
    stats = w.api.stats()
    assert_that(stats["queued_by_priority"], equal_to(counts))
    assert_that(stats["queued"], equal_to(sum(counts.values())))


def agree_with_listing(w: World) -> None:
    stats = w.api.stats()
    queued = w.api.list(status="queued", limit=500)["items"]
    running = w.api.list(status="running", limit=500)["items"]
    listed = {p: sum(1 for e in queued if e["priority"] == p) for p in PRIORITIES}
    assert_that(stats["queued_by_priority"], equal_to(listed))
    assert_that(stats["running"], equal_to(len(running)))


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
