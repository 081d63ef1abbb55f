"""The in-memory circuit breaker (``execution_service.breaker.MemoryBreaker``): closed, open
after the threshold of consecutive provider failures, failing fast while open, exactly one
half-open trial after the cool-down, closed by its success, reopened by its failure.

The breaker reads ``time.time()``; these tests give it a clock they move by hand.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from execution_service import breaker as breaker_module
from execution_service.breaker import (
    BreakerState,
    Decision,
    MemoryBreaker,
    RedisBreaker,
    get_breaker,
    make_breaker,
    provider_of,
)
from execution_service.config import Settings
from execution_service.graph import GraphSpec

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


# --- edges found by mutation testing (.ci/mutation): the exact decisions of the half-open
# state, calls reporting on a circuit nobody acquired, what a trial's release may and may
# not do, the remaining cool-down, which breaker the settings give and which circuit a
# graph's calls go through


def open_circuit(breaker: MemoryBreaker) -> None:
    for _ in range(THRESHOLD):
        breaker.failure(P, breaker.acquire(P).trial)


def half_open(breaker: MemoryBreaker, clock: Clock) -> Decision:
    """Open the circuit, wait out the cool-down, take the trial; the trial's decision."""
    open_circuit(breaker)
    clock.advance(COOLDOWN)
    return breaker.acquire(P)


# the decisions, exactly


def test_an_open_circuit_refuses_with_the_time_left(breaker: MemoryBreaker, clock: Clock) -> None:
    open_circuit(breaker)
    clock.advance(12.0)
    assert breaker.acquire(P) == Decision(False, retry_in=COOLDOWN - 12.0)


def test_the_trial_is_allowed_and_marked(breaker: MemoryBreaker, clock: Clock) -> None:
    assert half_open(breaker, clock) == Decision(True, trial=True)


def test_during_a_trial_others_are_refused_for_a_cool_down(
    breaker: MemoryBreaker, clock: Clock
) -> None:
    half_open(breaker, clock)
    assert breaker.acquire(P) == Decision(False, retry_in=COOLDOWN)


def test_a_trial_handed_on_after_its_lease_is_allowed_and_has_its_own_lease(
    breaker: MemoryBreaker, clock: Clock
) -> None:
    half_open(breaker, clock)
    clock.advance(LEASE)
    assert breaker.acquire(P) == Decision(True, trial=True), "the trial is handed on"
    clock.advance(LEASE - 0.001)
    assert breaker.acquire(P) == Decision(False, retry_in=COOLDOWN), "within the new lease"
    clock.advance(0.001)
    assert breaker.acquire(P) == Decision(True, trial=True), "the new lease ran out"


# reports about a circuit this breaker has not seen (another worker acquired it)


def test_a_success_for_an_unknown_circuit_leaves_it_closed_and_clean(
    breaker: MemoryBreaker,
) -> None:
    breaker.success(P, trial=False)
    assert state(breaker) == BreakerState(P, "closed", 0, None)


def test_a_failure_for_an_unknown_circuit_is_counted(breaker: MemoryBreaker) -> None:
    breaker.failure(P, trial=False)
    assert state(breaker) == BreakerState(P, "closed", 1, None)


def test_releasing_an_unknown_circuit_changes_nothing(breaker: MemoryBreaker) -> None:
    breaker.release(P, trial=False)
    breaker.release(P, trial=True)
    assert breaker.states() == []


# what a release may do: only the trial's own release, in the half-open state, reopens


def test_releasing_an_ordinary_call_during_a_trial_changes_nothing(
    breaker: MemoryBreaker, clock: Clock
) -> None:
    half_open(breaker, clock)
    breaker.release(P, trial=False)
    assert state(breaker).state == "half_open"
    assert not breaker.acquire(P).allowed, "the trial is still out"


def test_releasing_a_trial_after_the_circuit_closed_changes_nothing(
    breaker: MemoryBreaker, clock: Clock
) -> None:
    half_open(breaker, clock)
    breaker.success(P, trial=True)
    breaker.release(P, trial=True)
    assert state(breaker) == BreakerState(P, "closed", 0, None)


def test_a_released_trial_goes_to_the_very_next_call(breaker: MemoryBreaker, clock: Clock) -> None:
    half_open(breaker, clock)
    breaker.release(P, trial=True)
    assert state(breaker) == BreakerState(P, "open", THRESHOLD, 0.0)
    assert breaker.acquire(P) == Decision(True, trial=True)


# the remaining cool-down shown to operators


def test_the_cool_down_left_is_shown_to_the_millisecond(
    breaker: MemoryBreaker, clock: Clock
) -> None:
    open_circuit(breaker)
    clock.advance(COOLDOWN - 0.25)
    assert state(breaker).retry_in == pytest.approx(0.25)
    clock.advance(1.0)
    assert state(breaker).retry_in == 0.0, "never negative"


# which breaker the settings give


def settings(**values: Any) -> Settings:
    """Settings with these values, whatever the environment says."""
    found: dict[str, Any] = {
        "breaker_url": None,
        "broker_url": "prioritymemory://",
        "breaker_failure_threshold": 4,
        "breaker_cooldown_seconds": 12.5,
        "breaker_trial_lease_seconds": 99.0,
    }
    found.update(values)
    return Settings.model_validate(found)


def test_without_redis_the_breaker_lives_in_the_process() -> None:
    made = make_breaker(settings())
    assert isinstance(made, MemoryBreaker)
    assert (made.threshold, made.cooldown, made.lease) == (4, 12.5, 99.0)


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://cache.internal:6380/1", "unix:///tmp/r.sock"]
)
def test_a_redis_broker_shares_the_breaker_between_workers(url: str) -> None:
    made = make_breaker(settings(broker_url=url))
    assert isinstance(made, RedisBreaker), "no connection is made until the first call"
    assert (made.threshold, made.cooldown, made.lease) == (4, 12.5, 99.0)


def test_the_breaker_url_wins_over_the_broker_url() -> None:
    made = make_breaker(settings(broker_url="redis://broker:6379/0", breaker_url="memory://"))
    assert isinstance(made, MemoryBreaker)
    made = make_breaker(settings(breaker_url="redis://breaker:6379/2"))
    assert isinstance(made, RedisBreaker)
    assert made.client.connection_pool.connection_kwargs["host"] == "breaker"


@pytest.fixture
def no_breakers(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[int, Any]]:
    found: dict[int, Any] = {}
    monkeypatch.setattr(breaker_module, "_breakers", found)
    yield found


def test_one_breaker_per_settings(
    monkeypatch: pytest.MonkeyPatch, no_breakers: dict[int, Any]
) -> None:
    first, second = settings(breaker_failure_threshold=2), settings(breaker_failure_threshold=7)
    monkeypatch.setattr(breaker_module, "get_settings", lambda: first)
    made = get_breaker()
    assert isinstance(made, MemoryBreaker) and made.threshold == 2
    assert get_breaker() is made, "the same settings keep their breaker"
    monkeypatch.setattr(breaker_module, "get_settings", lambda: second)
    remade = get_breaker()
    assert isinstance(remade, MemoryBreaker) and remade.threshold == 7
    assert list(no_breakers.values()) == [remade], "the old settings' breaker is dropped"


# which circuit a graph's provider calls go through


def spec(*llms: dict[str, Any] | None) -> GraphSpec:
    agents = [
        {"role": f"agent {i}", "goal": "g", "backstory": "b", **({"llm": llm} if llm else {})}
        for i, llm in enumerate(llms)
    ]
    tasks = [{"description": "d", "expected_output": "o", "agent": "agent 0"}]
    return GraphSpec.model_validate({"name": "g", "agents": agents, "tasks": tasks})


@pytest.mark.parametrize(
    ("llms", "circuit"),
    [
        ([{"model": "gpt-4o-mini"}], "gpt-4o-mini"),
        ([{"model": "anthropic/claude-3-5-haiku"}], "anthropic"),
        ([{"model": "m", "base_url": "http://127.0.0.1:8765/v1"}], "127.0.0.1:8765"),
        ([{"model": "m", "base_url": "https://api.example.com/v1"}], "api.example.com"),
        ([None, {"model": "openai/gpt-4o"}], "openai"),
        ([None, None], "default"),
    ],
    ids=["bare-model", "provider-prefix", "endpoint-port", "endpoint", "first-with-llm", "none"],
)
def test_a_graphs_calls_go_through_its_providers_circuit(
    llms: list[dict[str, Any] | None], circuit: str
) -> None:
    assert provider_of(spec(*llms)) == circuit
