"""PyHamcrest matchers in the suite's words."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from hamcrest.core.base_matcher import BaseMatcher
from hamcrest.core.description import Description


class HasStatus(BaseMatcher[dict[str, Any]]):
    def __init__(self, *statuses: str) -> None:
        self.statuses = statuses

    def _matches(self, item: dict[str, Any]) -> bool:
        return isinstance(item, dict) and item.get("status") in self.statuses

    def describe_to(self, description: Description) -> None:
        description.append_text(f"an execution with status {' or '.join(self.statuses)}")

    def describe_mismatch(self, item: Any, description: Description) -> None:
        if isinstance(item, dict):
            description.append_text(
                f"was {item.get('status')} (progress {item.get('progress')}, "
                f"error {item.get('error')})"
            )
        else:
            description.append_text(f"was {item!r}")


def has_status(*statuses: str) -> HasStatus:
    return HasStatus(*statuses)


FINISHED = ("completed", "failed", "cancelled", "timed_out")
"""The final statuses: an execution in one of them never changes again."""


def is_finished() -> HasStatus:
    return HasStatus(*FINISHED)


class NeverDecreases(BaseMatcher[Sequence[float]]):
    def _matches(self, item: Sequence[float]) -> bool:
        return all(b >= a for a, b in itertools.pairwise(item))

    def describe_to(self, description: Description) -> None:
        description.append_text("a sequence that never decreases")

    def describe_mismatch(self, item: Sequence[float], description: Description) -> None:
        falls = [(i, a, b) for i, (a, b) in enumerate(itertools.pairwise(item), 1) if b < a]
        index, before, after = falls[0]
        more = f", and {len(falls) - 1} more times" if len(falls) > 1 else ""
        description.append_text(
            f"fell from {before} to {after} at value {index + 1} of {len(item)}{more}"
        )


def never_decreases() -> NeverDecreases:
    return NeverDecreases()


class ErrorResponse(BaseMatcher[Any]):
    """An API response carrying the service's error envelope."""

    def __init__(self, status: int, code: str) -> None:
        self.status = status
        self.code = code

    def _matches(self, item: Any) -> bool:
        try:
            body = item.json()
        except ValueError:
            return False
        error = body.get("error") if isinstance(body, dict) else None
        return (
            item.status_code == self.status
            and isinstance(error, dict)
            and error.get("code") == self.code
            and isinstance(error.get("message"), str)
            and bool(error["message"])
        )

    def describe_to(self, description: Description) -> None:
        description.append_text(f"an HTTP {self.status} error with code {self.code}")

    def describe_mismatch(self, item: Any, description: Description) -> None:
        description.append_text(f"was HTTP {item.status_code}: {item.text[:300]}")


def is_error(status: int, code: str) -> ErrorResponse:
    return ErrorResponse(status, code)
