"""Execution priorities and how they map onto broker priorities."""

from __future__ import annotations

from enum import StrEnum


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


# Celery's Redis transport serves priority 0 first (lower number = more urgent).
BROKER_PRIORITY: dict[Priority, int] = {
    Priority.CRITICAL: 0,
    Priority.HIGH: 3,
    Priority.NORMAL: 6,
    Priority.LOW: 9,
}

PRIORITY_STEPS: list[int] = sorted(set(BROKER_PRIORITY.values()))

# how urgent each priority is, for comparisons (higher = more urgent)
PRIORITY_RANK: dict[Priority, int] = {
    Priority.LOW: 0,
    Priority.NORMAL: 1,
    Priority.HIGH: 2,
    Priority.CRITICAL: 3,
}
