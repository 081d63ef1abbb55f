"""Writing how an attempt ended when the database may be away for a while.

A crew that finished while the database could not be reached (restarted, its
connections killed) keeps its outcome in the worker: :func:`written` tries the write
again, waiting 0.1 s, then twice as long each time (at most ``outcome_write_max_wait``,
and never more than half the heartbeat timeout), for ``outcome_write_seconds`` in all.
The writes it repeats are compare-and-sets, safe to run twice.

If the database is still away after that, the worker gives up (:class:`OutcomeLost`)
and lets go: the execution is still ``running`` in the database, with a heartbeat that
has stopped, so once the database is back a reaper retries it or fails it
(``WORKER_LOST``) like any execution whose worker went silent. Never left running.

The rule that keeps a reaper from taking an execution whose worker was only cut off
(see ``worker/reaper.py``): silence is counted only while the database can be reached.
A reaper that found the database unreachable counts no heartbeat as missing until a
whole ``heartbeat_timeout`` has passed since; meanwhile every live watcher writes its
heartbeat (every ``heartbeat_interval``) and every kept outcome is written (within the
wait here, under half the heartbeat timeout), both well inside that window.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from execution_service.config import get_settings
from execution_service.store.attempts import Attempt, mark_stopped
from execution_service.store.engine import DatabaseUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

FIRST_WAIT = 0.1


class OutcomeLost(Exception):
    """The database stayed unreachable for ``outcome_write_seconds``: the write was not
    made (the reaper takes over once the database is back)."""


def waits(total: float, longest: float) -> list[float]:
    """The waits between tries: 0.1 s doubling up to ``longest``, ``total`` in all."""
    found: list[float] = []
    wait = FIRST_WAIT
    while sum(found) + min(wait, longest) <= total:
        found.append(min(wait, longest))
        wait *= 2
    return found


def written(
    write: Callable[[], T],
    what: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``write()``'s value, tried again while the database is unreachable (see the
    module's docstring); raises :class:`OutcomeLost` after ``outcome_write_seconds``."""
    try:
        return write()  # the usual case: one try, and nothing else worked out
    except DatabaseUnavailable as exc:
        log.warning("the database is unreachable (%s); %s is kept to write later", exc, what)
        last = exc
    settings = get_settings()
    longest = min(settings.outcome_write_max_wait, settings.heartbeat_timeout / 2)
    for pause in waits(settings.outcome_write_seconds, longest):
        sleep(pause)
        try:
            return write()
        except DatabaseUnavailable as exc:
            last = exc
    log.error(
        "could not write %s: the database stayed unreachable for %.0f s (%s); "
        "a reaper takes it over once the database is back",
        what,
        settings.outcome_write_seconds,
        last,
    )
    raise OutcomeLost(what) from last


def let_go(attempt: Attempt) -> None:
    """Record that the worker let go of the attempt's crew (the execution has moved on),
    as soon as the database allows; given up quietly, it is only a time stamp."""
    with contextlib.suppress(OutcomeLost):
        written(lambda: mark_stopped(attempt), f"the stop of execution {attempt.execution_id}")
