"""The thresholds the @performance features state, checked and kept for the report.

A threshold step (``Then queueing answers within 500 ms at the 95th percentile``) calls
:func:`check` with the figure it measured and the feature's limit. The check is kept on
the scenario's world (``World.checks``) before it is asserted, so the living report
(``support/report/performance.py``) shows every threshold of the scenario, met or not,
beside the figure measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from hamcrest import (
    assert_that,
    described_as,
    greater_than_or_equal_to,
    less_than,
    less_than_or_equal_to,
)
from hamcrest.core.matcher import Matcher

Bound = Literal["at most", "at least", "under"]

SYMBOLS: dict[Bound, str] = {"at most": "≤", "at least": "≥", "under": "<"}


def _matcher(bound: Bound, limit: float) -> Matcher[Any]:
    if bound == "at most":
        return less_than_or_equal_to(limit)
    if bound == "at least":
        return greater_than_or_equal_to(limit)
    return less_than(limit)


@dataclass(frozen=True)
class Check:
    """One threshold of a scenario: ``figure`` measured ``measured`` (in ``unit``), which
    must be ``bound`` ``limit``."""

    figure: str
    measured: float
    bound: Bound
    limit: float
    unit: str

    @property
    def met(self) -> bool:
        return bool(_matcher(self.bound, self.limit).matches(self.measured))

    @property
    def threshold(self) -> str:
        return f"{SYMBOLS[self.bound]} {self.limit:g} {self.unit}"

    @property
    def margin(self) -> float:
        """How many times over the figure is within its threshold: above 1 within it, 1 on
        it, below 1 past it (the limit over the figure for a most, the figure over the limit
        for a least)."""
        high, low = (
            (self.measured, self.limit) if self.bound == "at least" else (self.limit, self.measured)
        )
        if low <= 0:
            return float("inf") if high > 0 else 1.0
        return high / low


class KeepsChecks(Protocol):
    """What keeps a scenario's checks: its ``World``."""

    checks: list[Check]


def check(
    w: KeepsChecks, figure: str, measured: float, bound: Bound, limit: float, unit: str
) -> None:
    """Keep the check for the report, then assert it."""
    found = Check(figure, float(measured), bound, float(limit), unit)
    w.checks.append(found)
    assert_that(
        found.measured, described_as(f"{figure} {found.threshold}", _matcher(bound, found.limit))
    )
