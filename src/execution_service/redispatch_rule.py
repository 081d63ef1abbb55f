"""Which waiting executions lost their message and are to be sent again: the rule, pure.

The database is the truth; the broker only carries. An execution waiting for a worker
(``queued``, or ``retrying`` with its retry due) has a ``dispatched_at``: when the
message that may start its awaited attempt was sent (for a retry, when it is due). Its
message can be lost: a Redis restarted without persistence or flushed, an API process
that died between committing a batch and publishing it. Sending it again is harmless
(starting is a compare-and-set on the row and the attempt count, so a duplicate starts
nothing), but sending again every message that merely waits behind thousands of others
would double a busy broker's backlog. So an execution is *lost*, and due to be sent
again, only when all of these hold:

* it has waited at least the bound (``EXEC_REDISPATCH_AFTER_SECONDS``) since its message
  was sent, and at least ``bound * 2**k`` after its k-th re-send (k capped at
  :data:`MAX_DOUBLINGS`): a rule that misjudges cannot multiply the messages;
* and its message cannot be waiting in the broker, because either
  - **the broker holds no waiting message at all** (its queue's length, read each
    round: a few ``LLEN`` on Redis, whatever the backlog), or
  - **the queue has passed it**: an execution sent at least :data:`ORDER_SLACK_SECONDS`
    after it, at its priority or a less urgent one, has started (it is running, or
    finished in the last :data:`LOOKBACK_SECONDS`). The broker serves priorities in
    order and each priority first in, first out, so a message still waiting would have
    been taken before that one. Only first attempts count as evidence (a retry's
    message is held by a worker until it is due, outside the queue's order), and only
    starts at least :data:`ORDER_SLACK_SECONDS` old (two workers taking two messages
    at once may record the second start first).

An execution whose message the broker refused (``dispatched_at`` None: owed) is due at
once. Lost executions are sent again most urgent priority first, oldest first within a
priority, at their own priority: the order they were queued in holds among them, and
they go behind what was queued since.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from execution_service.priorities import PRIORITY_RANK, Priority

ORDER_SLACK_SECONDS = 1.0
"""How much later another execution must have been sent (and how long ago it must have
started) for its start to prove that the queue passed an execution."""

LOOKBACK_SECONDS = 5.0
"""Executions finished this recently count as evidence that the queue moved past others."""

MAX_DOUBLINGS = 6
"""The wait before another re-send doubles with each one, up to ``bound * 2**6``."""

BATCH = 500
"""At most this many executions are sent again per round (the rest in the next rounds,
still in order)."""


@dataclass(frozen=True)
class Waiting:
    """An execution waiting for a worker to start its next attempt."""

    execution_id: uuid.UUID
    status: str
    priority: Priority
    attempt: int
    timeout_seconds: float | None
    created_at: datetime
    dispatched_at: datetime | None  # None: a message is owed (the broker refused it)
    redispatches: int = 0


def wait_before_resend(redispatches: int, bound: float) -> float:
    """Seconds an execution sent ``redispatches`` times already must wait since its last
    message before it may be sent again."""
    return bound * 2 ** min(max(redispatches, 0), MAX_DOUBLINGS)


def cutoffs(
    now: datetime,
    bound: float,
    passed: Mapping[Priority, datetime],
    broker_empty: bool,
) -> dict[Priority, datetime]:
    """For each priority, the latest ``dispatched_at`` that counts as lost as of ``now``;
    a priority absent from the answer has nothing lost.

    ``passed``: for each priority, the latest ``dispatched_at`` among first attempts
    started at that priority (see the module's rule). ``broker_empty``: the broker holds
    no waiting message."""
    latest = now - timedelta(seconds=bound)
    if broker_empty:
        return dict.fromkeys(Priority, latest)
    slack = timedelta(seconds=ORDER_SLACK_SECONDS)
    found: dict[Priority, datetime] = {}
    for priority in Priority:
        # a start at this priority or a less urgent one: served after this priority
        marks = [
            at for other, at in passed.items() if PRIORITY_RANK[other] <= PRIORITY_RANK[priority]
        ]
        if marks:
            found[priority] = min(latest, max(marks) - slack)
    return found


def resend_order(waiting: Waiting) -> tuple[int, datetime, str]:
    """Most urgent priority first, then the order the executions were queued in."""
    return (-PRIORITY_RANK[waiting.priority], waiting.created_at, str(waiting.execution_id))


def due(
    waiting: Iterable[Waiting],
    now: datetime,
    bound: float,
    lost_before: Mapping[Priority, datetime],
) -> list[Waiting]:
    """The executions to send again, in the order to send them: owed ones, and those
    sent no later than their priority's cutoff (``lost_before``, from :func:`cutoffs`)
    and long enough ago for their count of re-sends."""
    chosen = []
    for one in waiting:
        if one.dispatched_at is None:
            chosen.append(one)
            continue
        cutoff = lost_before.get(one.priority)
        if cutoff is None or one.dispatched_at > cutoff:
            continue
        waited = (now - one.dispatched_at).total_seconds()
        if waited >= wait_before_resend(one.redispatches, bound):
            chosen.append(one)
    return sorted(chosen, key=resend_order)
