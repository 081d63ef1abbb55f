"""The in-memory circuit breaker (``execution_service.breaker.MemoryBreaker``): closed, open
after the threshold of consecutive provider failures, failing fast while open, exactly one
half-open trial after the cool-down, closed by its success, reopened by its failure.

The breaker reads ``time.time()``; these tests give it a clock they move by hand.
"""

from __future__ import annotations

import threading

import pytest

from execution_service import breaker as breaker_module
from execution_service.breaker import BreakerState, MemoryBreaker

THRESHOLD, COOLDOWN, LEASE = 3, 30.0, 10.0
P = "api.openai.com"


class Clock:
    """Stands in for the ``time`` module inside ``execution_service.breaker``."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    found = Clock()
    monkeypatch.setattr(breaker_module, "time", found)
    return found


@pytest.fixture
def breaker(clock: Clock) -> MemoryBreaker:
    return MemoryBreaker(THRESHOLD, COOLDOWN, LEASE)


def fail(breaker: MemoryBreaker, times: int, name: str = P) -> None:
    for _ in range(times):
        decision = breaker.acquire(name)
        breaker.failure(name, decision.trial)


def state(breaker: MemoryBreaker, name: str = P) -> BreakerState:
    return next(s for s in breaker.states() if s.name == name)


def open_then_cool(breaker: MemoryBreaker, clock: Clock) -> None:
    fail(breaker, THRESHOLD)
    clock.advance(COOLDOWN)


def test_a_new_circuit_is_closed_and_clean(breaker: MemoryBreaker) -> None:
    decision = breaker.acquire(P)
    assert (decision.allowed, decision.trial, decision.clean) == (True, False, True)


def test_below_the_threshold_calls_still_go_through(breaker: MemoryBreaker) -> None:
    fail(breaker, THRESHOLD - 1)
    decision = breaker.acquire(P)
    assert decision.allowed and not decision.clean, "failures were counted"
    assert (state(breaker).state, state(breaker).failures) == ("closed", THRESHOLD - 1)


def test_the_threshold_of_failures_opens_the_circuit(breaker: MemoryBreaker, clock: Clock) -> None:
    fail(breaker, THRESHOLD)
    clock.advance(12.0)
    decision = breaker.acquire(P)
    assert not decision.allowed
    assert decision.retry_in == pytest.approx(COOLDOWN - 12.0)
    seen = state(breaker)
    assert (seen.state, seen.failures) == ("open", THRESHOLD)
    assert seen.retry_in == pytest.approx(COOLDOWN - 12.0)


def test_it_fails_fast_until_the_cool_down_has_passed(breaker: MemoryBreaker, clock: Clock) -> None:
    fail(breaker, THRESHOLD)
    clock.advance(COOLDOWN - 0.001)
    assert not breaker.acquire(P).allowed


def test_a_success_between_failures_starts_the_count_again(breaker: MemoryBreaker) -> None:
    fail(breaker, THRESHOLD - 1)
    breaker.success(P, trial=False)
    fail(breaker, THRESHOLD - 1)
    assert breaker.acquire(P).allowed


def test_after_the_cool_down_exactly_one_trial_goes_through(
    breaker: MemoryBreaker, clock: Clock
) -> None:
    open_then_cool(breaker, clock)
    first, second, third = (breaker.acquire(P) for _ in range(3))
    assert (first.allowed, first.trial) == (True, True)
    assert not second.allowed and not third.allowed
    assert state(breaker).state == "half_open"


def test_of_many_threads_after_the_cool_down_one_gets_the_trial(
    breaker: MemoryBreaker, clock: Clock
) -> None:
    open_then_cool(breaker, clock)
    start = threading.Barrier(16)
    allowed: list[bool] = []

    def call() -> None:
        start.wait()
        allowed.append(breaker.acquire(P).allowed)

    threads = [threading.Thread(target=call) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(allowed) == [False] * 15 + [True]


def test_the_trials_success_closes_the_circuit(breaker: MemoryBreaker, clock: Clock) -> None:
    open_then_cool(breaker, clock)
    breaker.success(P, breaker.acquire(P).trial)
    decision = breaker.acquire(P)
    assert (decision.allowed, decision.clean) == (True, True)
    assert state(breaker) == BreakerState(P, "closed", 0, None)


def test_the_trials_failure_opens_it_for_a_whole_cool_down(
    breaker: MemoryBreaker, clock: Clock
) -> None:
    open_then_cool(breaker, clock)
    trial = breaker.acquire(P)
    clock.advance(5.0)
    breaker.failure(P, trial.trial)
    assert state(breaker).state == "open"
    clock.advance(COOLDOWN - 1.0)
    assert not breaker.acquire(P).allowed
    clock.advance(1.0)
    assert breaker.acquire(P).trial


def test_a_late_failure_of_a_call_from_before_does_not_reopen(
    breaker: MemoryBreaker, clock: Clock
) -> None:
    open_then_cool(breaker, clock)
    breaker.acquire(P)  # the trial
    breaker.failure(P, trial=False)
    assert state(breaker).state == "half_open"


def test_a_late_success_of_a_call_from_before_does_not_close(
    breaker: MemoryBreaker, clock: Clock
) -> None:
    fail(breaker, THRESHOLD)
    breaker.success(P, trial=False)
    assert state(breaker).state == "open"


def test_a_trial_that_never_reports_is_handed_on_after_its_lease(
    breaker: MemoryBreaker, clock: Clock
) -> None:
    open_then_cool(breaker, clock)
    assert breaker.acquire(P).trial
    clock.advance(LEASE - 0.001)
    assert not breaker.acquire(P).allowed
    clock.advance(0.001)
    assert breaker.acquire(P).trial


def test_a_trial_ended_without_a_verdict_goes_to_the_next_call(
    breaker: MemoryBreaker, clock: Clock
) -> None:
    open_then_cool(breaker, clock)
    breaker.release(P, breaker.acquire(P).trial)
    assert breaker.acquire(P).trial


def test_releasing_an_ordinary_call_changes_nothing(breaker: MemoryBreaker, clock: Clock) -> None:
    fail(breaker, THRESHOLD)
    breaker.release(P, trial=False)
    assert not breaker.acquire(P).allowed


def test_each_provider_has_its_own_circuit(breaker: MemoryBreaker) -> None:
    fail(breaker, THRESHOLD)
    assert not breaker.acquire(P).allowed
    assert breaker.acquire("api.anthropic.com").allowed


def test_reset_closes_one_circuit(breaker: MemoryBreaker) -> None:
    fail(breaker, THRESHOLD)
    fail(breaker, THRESHOLD, "other")
    assert breaker.reset(P) is True
    assert breaker.acquire(P).clean
    assert not breaker.acquire("other").allowed


def test_reset_of_an_unknown_circuit_says_so(breaker: MemoryBreaker) -> None:
    assert breaker.reset("never-called") is False


def test_reset_of_all_forgets_every_circuit(breaker: MemoryBreaker) -> None:
    fail(breaker, THRESHOLD)
    fail(breaker, THRESHOLD, "other")
    assert breaker.reset() is True
    assert breaker.states() == []
