"""The service's timestamps (ISO 8601 with an offset), read and compared."""

from __future__ import annotations

from datetime import datetime


def at(stamp: str | None) -> datetime:
    """The moment an API timestamp names; fails if the service recorded none."""
    assert stamp is not None, "no such time recorded"
    return datetime.fromisoformat(stamp)


def seconds_between(later: str | None, earlier: str | None) -> float:
    """Seconds from ``earlier`` to ``later`` (negative if ``later`` came first)."""
    return (at(later) - at(earlier)).total_seconds()
