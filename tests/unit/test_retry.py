"""Retry backoff (``execution_service.retry.backoff_delay``): exponential growth from the
base, the cap, the jitter's range, and the provider's ``Retry-After`` as a floor."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from execution_service.graph import RetryPolicy
from execution_service.retry import backoff_delay


class FixedRandom(random.Random):
    """A random source whose every draw is ``value``."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def policy(base: float = 1.0, cap: float = 60.0, jitter: float = 0.0) -> RetryPolicy:
    return RetryPolicy(base_delay_seconds=base, max_delay_seconds=cap, jitter=jitter)


@pytest.mark.parametrize(("attempt", "expected"), [(1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0)])
def test_without_jitter_the_wait_doubles_from_the_base(attempt: int, expected: float) -> None:
    assert backoff_delay(policy(base=2.0), attempt) == expected


def test_the_wait_never_exceeds_the_cap() -> None:
    waits = [backoff_delay(policy(base=1.0, cap=10.0), attempt) for attempt in range(1, 12)]
    assert waits == [1.0, 2.0, 4.0, 8.0] + [10.0] * 7


def test_a_zero_base_retries_at_once() -> None:
    assert backoff_delay(policy(base=0.0), 5) == 0.0


@pytest.mark.parametrize(
    ("draw", "expected"),
    [(0.0, 8.0), (0.5, 6.0), (0.999999, 4.000004)],
    ids=["no-jitter-drawn", "half", "all-of-it"],
)
def test_jitter_takes_up_to_its_share_off_the_wait(draw: float, expected: float) -> None:
    delay = backoff_delay(policy(base=2.0, jitter=0.5), 3, rng=FixedRandom(draw))
    assert delay == pytest.approx(expected)


def test_without_jitter_the_random_draw_does_not_matter() -> None:
    assert backoff_delay(policy(base=1.0), 3, rng=FixedRandom(0.9)) == 4.0


def test_jitter_spreads_the_waits_of_workers_retrying_together() -> None:
    waits = {backoff_delay(policy(base=1.0, jitter=0.5), 4) for _ in range(50)}
    assert len(waits) > 1, "every worker would retry at the same moment"
    assert all(4.0 <= wait <= 8.0 for wait in waits)


def test_retry_after_is_a_floor_over_a_shorter_wait() -> None:
    assert backoff_delay(policy(base=1.0), 1, retry_after=5.0) == 5.0


def test_a_shorter_retry_after_does_not_shorten_the_wait() -> None:
    assert backoff_delay(policy(base=1.0), 4, retry_after=2.0) == 8.0


def test_retry_after_wins_over_the_cap() -> None:
    assert backoff_delay(policy(base=1.0, cap=10.0), 9, retry_after=30.0) == 30.0


def test_retry_after_is_not_jittered_away() -> None:
    delay = backoff_delay(policy(base=1.0, jitter=1.0), 1, retry_after=3.0, rng=FixedRandom(0.99))
    assert delay == 3.0


@given(
    base=st.floats(0, 3600),
    cap=st.floats(0, 24 * 3600),
    jitter=st.floats(0, 1),
    attempt=st.integers(1, 20),
    draw=st.floats(0, 1, exclude_max=True),
)
def test_every_wait_lies_between_the_jittered_and_the_full_ceiling(
    base: float, cap: float, jitter: float, attempt: int, draw: float
) -> None:
    ceiling = min(cap, base * 2 ** (attempt - 1))
    delay = backoff_delay(policy(base, cap, jitter), attempt, rng=FixedRandom(draw))
    assert ceiling * (1 - jitter) - 1e-9 <= delay <= ceiling + 1e-9


@given(
    retry_after=st.floats(0, 10_000),
    attempt=st.integers(1, 20),
    draw=st.floats(0, 1, exclude_max=True),
)
def test_never_sooner_than_retry_after(retry_after: float, attempt: int, draw: float) -> None:
    delay = backoff_delay(policy(jitter=0.5), attempt, retry_after, FixedRandom(draw))
    assert delay >= retry_after
