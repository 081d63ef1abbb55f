"""Priorities (``execution_service.priorities``): their order of urgency and the broker
priorities they map onto (Celery's Redis transport serves 0 first)."""

from __future__ import annotations

import itertools

import pytest

from execution_service.priorities import (
    BROKER_PRIORITY,
    PRIORITY_RANK,
    PRIORITY_STEPS,
    Priority,
)

MOST_URGENT_LAST = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.CRITICAL]


def test_every_priority_has_a_rank_and_a_broker_priority() -> None:
    assert set(PRIORITY_RANK) == set(Priority) == set(BROKER_PRIORITY)


def test_ranks_order_priorities_by_urgency() -> None:
    assert sorted(Priority, key=PRIORITY_RANK.__getitem__) == MOST_URGENT_LAST
    assert len(set(PRIORITY_RANK.values())) == len(Priority)


def change_kind(before: int, after: int) -> str:
    return "raise" if after > before else "same" if after == before else "lower"


# every change of a waiting execution's priority, and what it is: a raise is accepted, the
# same priority changes nothing, a lowering is refused (PRIORITY_NOT_RAISED); up to the
# top of the order: high can be raised to critical, critical cannot be lowered to high
CHANGES = [
    pytest.param(before, after, change_kind(b, a), id=f"{before}->{after}")
    for (b, before), (a, after) in itertools.product(enumerate(MOST_URGENT_LAST), repeat=2)
]


@pytest.mark.parametrize(("before", "after", "change"), CHANGES)
def test_the_rank_table_tells_a_raise_from_a_lowering(
    before: Priority, after: Priority, change: str
) -> None:
    assert change_kind(PRIORITY_RANK[before], PRIORITY_RANK[after]) == change


@pytest.mark.parametrize(("lower", "higher"), list(itertools.combinations(MOST_URGENT_LAST, 2)))
def test_a_more_urgent_priority_is_served_first_by_the_broker(
    lower: Priority, higher: Priority
) -> None:
    assert BROKER_PRIORITY[higher] < BROKER_PRIORITY[lower]


def test_critical_is_the_brokers_first_and_low_its_last() -> None:
    assert BROKER_PRIORITY[Priority.CRITICAL] == 0
    assert BROKER_PRIORITY[Priority.LOW] == 9


def test_broker_priorities_lie_in_celerys_range() -> None:
    assert all(0 <= value <= 9 for value in BROKER_PRIORITY.values())


def test_the_steps_are_the_broker_priorities_in_order() -> None:
    assert PRIORITY_STEPS == [0, 3, 6, 9]
    assert sorted(set(BROKER_PRIORITY.values())) == PRIORITY_STEPS


def test_priorities_are_read_from_their_names() -> None:
    assert Priority("critical") is Priority.CRITICAL
    with pytest.raises(ValueError):
        Priority("urgent")
