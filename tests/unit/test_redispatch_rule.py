"""Which waiting executions count as lost and are sent again (``redispatch_rule.py``).

Pure: no store, no broker. The rule must tell a lost message from one waiting behind
others: sent again only when the broker holds no waiting message, or when the queue
has visibly passed the execution (something sent later, at its priority or a less
urgent one, has started); never before the bound, and less and less often after each
re-send.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from execution_service.priorities import Priority
from execution_service.redispatch_rule import (
    MAX_DOUBLINGS,
    ORDER_SLACK_SECONDS,
    Waiting,
    cutoffs,
    due,
    wait_before_resend,
)

NOW = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)
BOUND = 30.0


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def waiting(
    sent_ago: float | None,
    priority: Priority = Priority.NORMAL,
    redispatches: int = 0,
    created_ago: float | None = None,
) -> Waiting:
    created = ago(created_ago if created_ago is not None else (sent_ago or 0.0))
    return Waiting(
        uuid.uuid4(),
        "queued",
        priority,
        0,
        None,
        created,
        None if sent_ago is None else ago(sent_ago),
        redispatches,
    )


def lost(items: list[Waiting], passed: dict[Priority, datetime], empty: bool) -> list[Waiting]:
    return due(items, NOW, BOUND, cutoffs(NOW, BOUND, passed, broker_empty=empty))


# --- the broker holds nothing: everything past the bound is lost ----------------------


def test_with_an_empty_broker_what_waited_past_the_bound_is_lost() -> None:
    old, young = waiting(31), waiting(29)
    assert lost([old, young], {}, empty=True) == [old]


def test_a_backlog_behind_busy_workers_is_never_sent_again() -> None:
    # 200 waiting far longer than the bound, the broker full, nothing sent later started
    backlog = [waiting(600 - i) for i in range(200)]
    assert lost(backlog, {}, empty=False) == []


def test_a_start_of_something_sent_earlier_proves_nothing() -> None:
    backlog = [waiting(100), waiting(90)]
    assert lost(backlog, {Priority.NORMAL: ago(120)}, empty=False) == []


# --- the queue passed it ---------------------------------------------------------------


def test_a_later_message_at_the_same_priority_started_so_the_earlier_one_is_lost() -> None:
    skipped, behind = waiting(100), waiting(40)
    assert lost([skipped, behind], {Priority.NORMAL: ago(60)}, empty=False) == [skipped]


def test_the_later_one_must_have_been_sent_clearly_later() -> None:
    one = waiting(100)
    close = {Priority.NORMAL: ago(100 - ORDER_SLACK_SECONDS / 2)}
    assert lost([one], close, empty=False) == []
    clearly = {Priority.NORMAL: ago(100 - 2 * ORDER_SLACK_SECONDS)}
    assert lost([one], clearly, empty=False) == [one]


def test_a_less_urgent_start_passes_the_more_urgent_ones() -> None:
    high = waiting(100, Priority.HIGH)
    assert lost([high], {Priority.LOW: ago(50)}, empty=False) == [high]


def test_a_more_urgent_start_does_not_pass_the_less_urgent_ones() -> None:
    # critical messages are served before normal ones: a normal one may well still wait
    normal = waiting(100, Priority.NORMAL)
    assert lost([normal], {Priority.CRITICAL: ago(50)}, empty=False) == []


def test_passed_but_not_yet_past_the_bound_is_not_sent() -> None:
    young = waiting(BOUND - 5)
    assert lost([young], {Priority.NORMAL: ago(1 + ORDER_SLACK_SECONDS)}, empty=False) == []


# --- owed messages, growing waits, order ----------------------------------------------


def test_an_owed_message_is_due_at_once_whatever_the_broker_holds() -> None:
    owed = waiting(None)
    assert lost([owed, waiting(500)], {}, empty=False) == [owed]


@pytest.mark.parametrize("times", [0, 1, 2, 3, MAX_DOUBLINGS, MAX_DOUBLINGS + 5])
def test_each_resend_doubles_the_wait_before_the_next(times: int) -> None:
    wait = wait_before_resend(times, BOUND)
    assert wait == BOUND * 2 ** min(times, MAX_DOUBLINGS)
    assert lost([waiting(wait - 1, redispatches=times)], {}, empty=True) == []
    resent = waiting(wait + 1, redispatches=times)
    assert lost([resent], {}, empty=True) == [resent]


def test_sent_again_most_urgent_first_then_in_the_order_queued() -> None:
    low_old = waiting(300, Priority.LOW)
    normal_new = waiting(100, Priority.NORMAL, created_ago=100)
    normal_old = waiting(100, Priority.NORMAL, created_ago=200)  # re-sent once since
    critical = waiting(50, Priority.CRITICAL)
    order = lost([low_old, normal_new, normal_old, critical], {}, empty=True)
    assert order == [critical, normal_old, normal_new, low_old]


def test_cutoffs_never_run_past_the_bound() -> None:
    marks = {Priority.NORMAL: NOW}
    found = cutoffs(NOW, BOUND, marks, broker_empty=False)
    assert found[Priority.NORMAL] == ago(BOUND)
    assert found[Priority.CRITICAL] == ago(BOUND)
    assert Priority.LOW not in found
