"""``eventually``: poll with a deadline instead of sleeping."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from hamcrest import assert_that
from hamcrest.core.matcher import Matcher

T = TypeVar("T")

INTERVAL = 0.02


def eventually(
    probe: Callable[[], T],
    matcher: Matcher[Any],
    timeout: float = 10.0,
    interval: float = INTERVAL,
    what: str = "",
) -> T:
    """Call ``probe`` until its value matches, or fail with the last value after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if matcher.matches(value):
            return value
        if time.monotonic() >= deadline:
            assert_that(value, matcher, f"{what or 'condition'} not met within {timeout:g} s")
        time.sleep(interval)  # allowed: the one poll interval of eventually()


def wait_until(
    condition: Callable[[], bool], timeout: float = 10.0, interval: float = INTERVAL
) -> bool:
    """True once ``condition()`` holds, False if it never did before ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)  # allowed: the one poll interval of wait_until()
    return True


def consistently(
    probe: Callable[[], T],
    matcher: Matcher[Any],
    duration: float,
    interval: float = 0.05,
    what: str = "",
) -> T:
    """Call ``probe`` for ``duration`` seconds; fail as soon as its value stops matching."""
    deadline = time.monotonic() + duration
    while True:
        value = probe()
        assert_that(value, matcher, f"{what or 'condition'} stopped holding")
        if time.monotonic() >= deadline:
            return value
        time.sleep(interval)  # allowed: the one poll interval of consistently()
