"""When retries start: the waits between attempts, read from an execution's history.

A wait is the time from the history row that moved the execution to ``retrying`` (the
failed attempt recorded) to the next row moving it to ``running`` (the next attempt
started); the ``retrying`` row also announces the delay it chose (``delay_seconds``).
A retry can never start before its delay is over (the broker holds its message until
then), but on a loaded machine it may start late: :data:`LATE` is how late.

The checks here are built so that a wrong schedule cannot pass by luck: the policies are
jitter-free (every delay is known in advance), and the waits are long enough that a
constant or linear backoff misses at least one of them by more than :data:`LATE`.
"""

from __future__ import annotations

import itertools
from typing import Any

from hamcrest import (
    assert_that,
    close_to,
    equal_to,
    greater_than_or_equal_to,
    has_entries,
    less_than,
)

from .busy_workers import queue_waiting
from .priorities import raise_priority
from .retries import transient_then_success
from .timestamps import seconds_between
from .world import World

# how late a retry may start after it was due, on a loaded 2-core machine
LATE = 0.75
# how early: never (the broker holds the message), but the two timestamps are rounded
EARLY = 0.01

# a failure worth retrying that is not a provider outage, so the circuit breaker stays
# out of the schedule however many attempts fail (crewai's parser failure)
NOT_AN_OUTAGE = "output_parser"


def doubling_without_jitter(w: World, failures: int, first_wait: float) -> None:
    """A graph that fails on its first ``failures`` attempts and then succeeds, retried
    after ``first_wait`` seconds, each wait twice the one before, with no jitter and no
    cap in reach."""
    transient_then_success(
        w,
        failures,
        failures + 1,
        base=first_wait,
        max_delay=first_wait * 2**failures,
        jitter=0.0,
        kind=NOT_AN_OUTAGE,
    )


def parse_seconds(text: str) -> list[float]:
    """``"0.25, 0.5, 1 and 2 seconds"`` -> ``[0.25, 0.5, 1.0, 2.0]``."""
    words = text.removesuffix(" seconds").replace(" and ", ", ")
    return [float(word) for word in words.split(", ")]


def waits(w: World) -> list[dict[str, Any]]:
    """For each retry of the focus: the delay it announced, the wait measured from its
    history's timestamps, and the attempt that had failed."""
    events = w.api.events(w.focus()["id"])
    found = []
    for event, following in itertools.pairwise(events):
        if event["status"] != "retrying":
            continue
        assert_that(following["status"], equal_to("running"), f"history: {events}")
        found.append(
            {
                "announced": event["details"]["delay_seconds"],
                "measured": seconds_between(following["at"], event["at"]),
                "after_attempt": event["attempt"],
            }
        )
    return found


def waits_were(w: World, expected: list[float]) -> None:
    """Each wait between attempts was announced as exactly what the policy gives, and
    lasted that long: not shorter at all, and at most :data:`LATE` longer."""
    found = waits(w)
    print(
        "waits between attempts (expected s / announced s / measured s): "
        + ", ".join(
            f"{e:g}/{f['announced']:.3f}/{f['measured']:.3f}"
            for e, f in zip(expected, found, strict=False)
        )
    )
    assert_that([f["after_attempt"] for f in found], equal_to(list(range(1, len(expected) + 1))))
    for wanted, wait in zip(expected, found, strict=True):
        assert_that(wait["announced"], close_to(wanted, 1e-6), f"the delay after {wait}")
        assert_that(
            wait["measured"], greater_than_or_equal_to(wanted - EARLY), f"the wait after {wait}"
        )
        assert_that(wait["measured"], less_than(wanted + LATE), f"the wait after {wait}")


def waiting_then_raised(w: World, before: str, after: str) -> None:
    """An execution of the scenario's graph waiting behind the busy workers at priority
    ``before``, then raised to ``after`` (accepted: a second message for it is queued
    at ``after``, the first stays in the queue). It becomes the focus."""
    queue_waiting(w, priority=before)
    raise_priority(w, after)
    assert_that(w.api.execution(w.focus()["id"]), has_entries(status="queued", priority=after))
