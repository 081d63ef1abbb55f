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

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator


def storable(value: str) -> str:
    """A text every store can keep: no NUL character (PostgreSQL's text and JSON refuse
    it) and no unpaired surrogate (not UTF-8)."""
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must not contain unpaired surrogates") from exc
    return value


def _a_number(value: object) -> object:
    """A boolean or a text is not a number (the strict models' rule, for the integers
    below, which accept a whole number written as ``3.0`` as JSON Schema does)."""
    if isinstance(value, bool | str | bytes):
        raise ValueError("Input should be a valid integer")
    return value


# an integer: 3 or 3.0 (JSON Schema's integer), never true or "3"; an optional one or a
# list's item gives its bounds in the same Field (else they miss the OpenAPI document)
NUMBER_ONLY = BeforeValidator(_a_number)
Integer = Annotated[int, Field(strict=False), NUMBER_ONLY]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(storable)]
Message = Annotated[str, Field(max_length=10_000), AfterValidator(storable)]
Output = Annotated[str, Field(max_length=100_000), AfterValidator(storable)]

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
    # strict: a boolean or a string is not a number, a number is not a boolean
    model_config = ConfigDict(extra="forbid", strict=True)


class ScriptFailure(_Strict):
    """A failure the scripted crew raises: ``error`` names the kind."""

    error: Annotated[Name, Field(json_schema_extra={"enum": sorted(FAILURE_KINDS)})]
    on_attempts: list[Annotated[int, Field(strict=False, ge=1, le=20), NUMBER_ONLY]] | None = Field(
        default=None, max_length=20
    )
    at_step: Integer = Field(default=1, ge=1, le=10_000)
    message: Message | None = None
    status_code: Annotated[int, Field(strict=False, ge=100, le=599), NUMBER_ONLY] | None = None
    retry_after_seconds: float | None = Field(default=None, ge=0, le=3600)

    @field_validator("error")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in FAILURE_KINDS:
            raise ValueError(
                f"unknown failure {value!r}; known: {', '.join(sorted(FAILURE_KINDS))}"
            )
        return value


class ScriptTokens(_Strict):
    """The usage each model call (step) of a task reports."""

    prompt: Integer = Field(ge=0, le=10_000_000)
    completion: Integer = Field(ge=0, le=10_000_000)


class ScriptTask(_Strict):
    steps: Integer = Field(default=2, ge=1, le=10_000)
    # each step is one model call reporting this usage (none: no token counts)
    tokens: ScriptTokens | None = None
    step_seconds: float = Field(default=0.01, ge=0, le=3600)
    output: Output | None = None
    fail: ScriptFailure | None = None


class CrewScript(_Strict):
    """How the scripted crew behaves; ignored by real crewai."""

    default: ScriptTask = Field(default_factory=ScriptTask)
    tasks: list[ScriptTask] = Field(default_factory=list, max_length=200)
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
