"""What operators look at and act on: the queue statistics and the circuit breakers."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from execution_service.breaker import get_breaker
from execution_service.config import get_settings
from execution_service.priorities import Priority
from execution_service.service.access import Principal
from execution_service.service.refusals import Forbidden, NotFound
from execution_service.status import Status
from execution_service.store import queue_counts
from execution_service.store.models import utcnow


def circuit_breakers() -> list[dict[str, Any]]:
    return [asdict(state) for state in get_breaker().states()]


def circuit_breaker_policy() -> dict[str, Any]:
    settings = get_settings()
    return {
        "failure_threshold": settings.breaker_failure_threshold,
        "cooldown_seconds": settings.breaker_cooldown_seconds,
        "when_open": "fail fast with CIRCUIT_OPEN",
    }


def reset_circuit_breaker(name: str, caller: Principal) -> None:
    """Close a circuit by hand (an operator knows the provider is back): the circuits
    are every owner's, so only an operator's (admin) key may."""
    if not caller.admin:
        raise Forbidden(
            "Only an operator's key (execution-service keys create --admin) may reset a "
            "circuit breaker.",
            {"name": name},
        )
    if not get_breaker().reset(name):
        raise NotFound(f"No circuit breaker named {name!r}", {"name": name})


def queue_stats(caller: Principal) -> dict[str, Any]:
    """The caller's executions, counted; the workers and circuits (shared by everyone)."""
    settings = get_settings()
    now = utcnow()
    counts = queue_counts.queue_counts(
        caller.owner,
        since=now - timedelta(minutes=1),
        workers_since=now - timedelta(seconds=max(5.0, 5 * settings.reaper_interval)),
    )
    oldest = counts.oldest_queued_at
    age = None if oldest is None else max(0.0, (now - oldest).total_seconds())
    by_status = counts.by_status
    return {
        "workers_online": counts.workers_online,
        "worker_slots": counts.worker_slots,
        "completed_last_minute": counts.finished_since.get(Status.COMPLETED.value, 0),
        "failed_last_minute": counts.finished_since.get(Status.FAILED.value, 0),
        "tokens_last_minute": counts.tokens_since,
        "circuit_breakers": circuit_breakers(),
        "queued": by_status.get(Status.QUEUED.value, 0),
        "running": by_status.get(Status.RUNNING.value, 0),
        "retrying": by_status.get(Status.RETRYING.value, 0),
        "by_status": {s.value: by_status.get(s.value, 0) for s in Status},
        "queued_by_priority": {
            p.value: counts.queued_by_priority.get(p.value, 0) for p in Priority
        },
        "oldest_queued_age_seconds": age,
    }
