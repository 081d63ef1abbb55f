"""Retried executions and the waits between their attempts."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from hamcrest import (
    all_of,
    assert_that,
    equal_to,
    greater_than_or_equal_to,
    has_entries,
    less_than_or_equal_to,
)

from .graphs import failing_graph
from .matchers import has_status
from .polling import consistently
from .timestamps import at, seconds_between
from .world import World

# how late a retry may start after it was due, on a loaded 2-core machine
SLACK = 1.0


def transient_then_success(
    w: World,
    failures: int,
    attempts: int,
    base: float = 0.05,
    max_delay: float = 5.0,
    jitter: float = 0.5,
    kind: str = "rate_limit",
    **details: Any,
) -> None:
    """A graph that fails with ``kind`` on its first ``failures`` attempts, then succeeds."""
    failing_graph(
        w,
        kind,
        attempts=attempts,
        on_attempts=list(range(1, failures + 1)),
        base=base,
        max_delay=max_delay,
        jitter=jitter,
        **details,
    )


def always_failing(
    w: World, kind: str, attempts: int, base: float = 0.05, max_delay: float = 5.0
) -> None:
    """A graph that fails with ``kind`` on every attempt, retried without jitter."""
    failing_graph(w, kind, attempts=attempts, base=base, max_delay=max_delay, jitter=0.0)


def failed_attempts_in_history(w: World) -> None:
    events = w.api.events(w.focus()["id"])
    retries = [e for e in events if e["status"] == "retrying"]
    assert retries, events
    for event in retries:
        assert_that(event["details"], has_entries(code="PROVIDER_RATE_LIMITED"))
        assert event["details"]["delay_seconds"] >= 0, event


def error_from_attempt(w: World, attempt: int) -> None:
    assert_that(w.focus()["error"], has_entries(attempt=attempt))


def _waits(w: World) -> list[tuple[float, float, int]]:
    """(measured wait, announced delay, attempt that failed) for each retry."""
    events = w.api.events(w.focus()["id"])
    waits = []
    for event, following in itertools.pairwise(events):
        if event["status"] == "retrying":
            assert following["status"] == "running", events
            measured = seconds_between(following["at"], event["at"])
            waits.append((measured, event["details"]["delay_seconds"], event["attempt"]))
    return waits


def waits_within_policy(w: World) -> None:
    policy = w.the_graph()["definition"]["settings"]["retry"]
    waits = _waits(w)
    assert waits, "no retries happened"
    for measured, announced, attempt in waits:
        ceiling = min(
            policy["max_delay_seconds"], policy["base_delay_seconds"] * 2 ** (attempt - 1)
        )
        floor = ceiling * (1 - policy["jitter"])
        assert_that(
            announced, all_of(greater_than_or_equal_to(floor), less_than_or_equal_to(ceiling))
        )
        assert_that(
            measured,
            all_of(
                greater_than_or_equal_to(announced - 0.01), less_than_or_equal_to(announced + SLACK)
            ),
        )
    print(
        "waits between attempts (measured s / announced s): "
        + ", ".join(f"{m:.3f}/{a:.3f}" for m, a, _ in waits)
    )


def first_wait_at_least(w: World, seconds: float) -> None:
    measured, announced, _ = _waits(w)[0]
    assert_that(announced, greater_than_or_equal_to(seconds))
    assert_that(measured, greater_than_or_equal_to(seconds - 0.01))


def waiting_for_next_attempt(w: World) -> None:
    ident = w.focus()["id"]
    w.execution = w.await_execution(
        ident,
        has_status("retrying"),
        timeout=10,
        what="the execution waiting for its next attempt",
    )


def not_run_again(w: World) -> None:
    events = w.api.events(w.focus()["id"])
    retry = next(e for e in events if e["status"] == "retrying")
    due = at(retry["at"]).timestamp() + retry["details"]["delay_seconds"]
    remaining = max(0.0, due - datetime.now().timestamp()) + SLACK
    ident = w.focus()["id"]
    consistently(
        lambda: w.api.execution(ident),
        has_entries(status="cancelled", attempt=1),
        duration=remaining,
        what="the cancelled execution staying cancelled after its first attempt",
    )
    statuses = [e["status"] for e in w.api.events(ident)]
    assert_that(statuses, equal_to(["queued", "running", "retrying", "cancelled"]))


def attempts_taken(w: World, count: int) -> None:
    assert_that(w.focus()["attempt"], equal_to(count))
    starts = [e for e in w.api.events(w.focus()["id"]) if e["status"] == "running"]
    assert_that(len(starts), equal_to(count))
