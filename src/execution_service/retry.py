"""Retry policy: exponential backoff with jitter, honouring a provider's Retry-After."""

from __future__ import annotations

import random

from execution_service.graph import RetryPolicy


def backoff_delay(
    policy: RetryPolicy,
    attempt: int,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """How long to wait after failed attempt ``attempt`` (1-based) before the next one.

    ``base * 2**(attempt-1)`` capped at ``max_delay``, minus up to ``jitter`` of it
    at random (so workers retrying together spread out), and never sooner than
    the provider's ``Retry-After``.
    """
    ceiling = min(policy.max_delay_seconds, policy.base_delay_seconds * 2 ** (attempt - 1))
    delay = ceiling * (1 - policy.jitter * (rng or random).random())
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay
