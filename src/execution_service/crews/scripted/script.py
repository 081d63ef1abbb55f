"""The scripted crew's script: how the stand-in crew behaves (steps, timing, output,
failures, whether it records its starts), part of a graph's definition for tests and
demos; ignored by real crewai.

A leaf: it imports nothing of the service, so the graph schema can use it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

Name = Annotated[str, Field(min_length=1, max_length=200)]

# every failure the scripted crew can raise, as crewai and its clients really raise it
# (built by ``failures.FAILURES``, which must name exactly these)
FAILURE_KINDS: frozenset[str] = frozenset(
    {
        "rate_limit",
        "quota_exceeded",
        "server_error",
        "bad_gateway",
        "service_unavailable",
        "gateway_timeout",
        "overloaded",
        "auth_failed",
        "permission_denied",
        "model_not_found",
        "context_length",
        "content_filtered",
        "bad_request",
        "unprocessable",
        "sdk_timeout",
        "sdk_connection_error",
        "read_timeout",
        "connection_refused",
        "wrapped_rate_limit",
        "litellm_rate_limit",
        "context_window",
        "httpx_read_timeout",
        "httpx_connect_error",
        "requests_connection_error",
        "dns_failure",
        "connection_reset",
        "socket_timeout",
        "tool_error",
        "tool_network_error",
        "output_parser",
        "missing_input",
        "crew_error",
        "value_error",
        "memory_error",
        "runner_import_error",
    }
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScriptFailure(_Strict):
    """A failure the scripted crew raises: ``error`` names the kind."""

    error: Name
    on_attempts: list[Annotated[int, Field(ge=1)]] | None = None
    at_step: int = Field(default=1, ge=1)
    message: str | None = Field(default=None, max_length=10_000)
    status_code: int | None = None
    retry_after_seconds: float | None = Field(default=None, ge=0)

    @field_validator("error")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in FAILURE_KINDS:
            raise ValueError(
                f"unknown failure {value!r}; known: {', '.join(sorted(FAILURE_KINDS))}"
            )
        return value


class ScriptTask(_Strict):
    steps: int = Field(default=2, ge=1, le=10_000)
    step_seconds: float = Field(default=0.01, ge=0, le=3600)
    output: str | None = Field(default=None, max_length=100_000)
    fail: ScriptFailure | None = None


class CrewScript(_Strict):
    """How the scripted crew behaves; ignored by real crewai."""

    default: ScriptTask = Field(default_factory=ScriptTask)
    tasks: list[ScriptTask] = Field(default_factory=list)
    # each time the crew starts, it leaves an empty file named ``<execution id>.<attempt>``
    # in :func:`starts_folder`: a side effect of the crew itself, so a test can tell
    # whether a crew ran at all, even one whose every write to the service was refused
    record_starts: bool = False

    def for_task(self, index: int) -> ScriptTask:
        return self.tasks[index] if index < len(self.tasks) else self.default


def starts_folder() -> Path:
    """Where scripted crews record their starts (``record_starts``): one folder per user
    under the temporary folder, shared by the processes of one machine, so a test can
    read what a worker process recorded. Its files are named by execution and attempt,
    never by the graph's author."""
    return Path(tempfile.gettempdir()) / f"crew-execution-scripted-starts-{os.getuid()}"
