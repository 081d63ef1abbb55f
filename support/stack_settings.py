"""Service settings both test stacks run with (short cool-downs, fast stop checks)."""

from __future__ import annotations

from typing import Any

OVERRIDES: dict[str, Any] = {
    "default_runner": "scripted",  # graphs without a "runner" run the scripted crew
    "stop_check_interval": 0.02,
    "stop_grace_seconds": 0.3,
    "heartbeat_interval": 0.5,
    "heartbeat_timeout": 5.0,
    "reaper_interval": 0.2,
    "breaker_failure_threshold": 3,
    "breaker_cooldown_seconds": 1.5,
    # a lost message is sent again 2 s after it was sent (the reliability features)
    "redispatch_after_seconds": 2.0,
}


def as_environment() -> dict[str, str]:
    """The same settings as ``EXEC_*`` variables, for service processes."""
    return {f"EXEC_{key.upper()}": str(value) for key, value in OVERRIDES.items()}
