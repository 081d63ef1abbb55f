"""The execution statuses and the moves between them: pure, no SQL.

``ALLOWED`` is the whole status machine: a status not among its keys is terminal.
The store (``store/transitions.py``) makes each move a compare-and-set on it.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


TERMINAL: frozenset[Status] = frozenset(
    {Status.COMPLETED, Status.FAILED, Status.CANCELLED, Status.TIMED_OUT}
)
ACTIVE: frozenset[Status] = frozenset({Status.QUEUED, Status.RUNNING, Status.RETRYING})

ALLOWED: dict[Status, frozenset[Status]] = {
    Status.QUEUED: frozenset({Status.RUNNING, Status.CANCELLED, Status.TIMED_OUT, Status.FAILED}),
    Status.RUNNING: frozenset(
        {Status.COMPLETED, Status.FAILED, Status.CANCELLED, Status.TIMED_OUT, Status.RETRYING}
    ),
    Status.RETRYING: frozenset({Status.RUNNING, Status.CANCELLED, Status.TIMED_OUT, Status.FAILED}),
}


def can_move(source: Status, target: Status) -> bool:
    """Whether the machine allows ``source -> target``."""
    return target in ALLOWED.get(source, frozenset())


def sources_of(target: Status) -> frozenset[Status]:
    """The statuses from which ``target`` can be reached."""
    return frozenset(s for s, targets in ALLOWED.items() if target in targets)
