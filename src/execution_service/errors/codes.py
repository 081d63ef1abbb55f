"""The codes, categories and user-facing messages of every failure.

``ErrorCode`` is a ``StrEnum``: a mistyped code is an attribute error at import and a
mypy error, never a silently new code in a response.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Every code a caller can see, in an error body or an execution's error."""

    PROVIDER_RATE_LIMITED = "PROVIDER_RATE_LIMITED"
    PROVIDER_QUOTA_EXCEEDED = "PROVIDER_QUOTA_EXCEEDED"
    PROVIDER_UNAVAILABLE = "PROVIDER_UNAVAILABLE"
    PROVIDER_OVERLOADED = "PROVIDER_OVERLOADED"
    PROVIDER_TIMEOUT = "PROVIDER_TIMEOUT"
    NETWORK_ERROR = "NETWORK_ERROR"
    PROVIDER_AUTH_FAILED = "PROVIDER_AUTH_FAILED"
    PROVIDER_KEY_MISSING = "PROVIDER_KEY_MISSING"
    PROVIDER_NOT_ALLOWED = "PROVIDER_NOT_ALLOWED"
    PROVIDER_PERMISSION_DENIED = "PROVIDER_PERMISSION_DENIED"
    MODEL_NOT_FOUND = "MODEL_NOT_FOUND"
    CONTEXT_LENGTH_EXCEEDED = "CONTEXT_LENGTH_EXCEEDED"
    CONTENT_FILTERED = "CONTENT_FILTERED"
    PROVIDER_BAD_REQUEST = "PROVIDER_BAD_REQUEST"
    LLM_OUTPUT_INVALID = "LLM_OUTPUT_INVALID"
    TOOL_ERROR = "TOOL_ERROR"
    TOOL_UNAVAILABLE = "TOOL_UNAVAILABLE"
    INPUT_MISSING = "INPUT_MISSING"
    GRAPH_INVALID = "GRAPH_INVALID"
    CREW_OUTPUT_INVALID = "CREW_OUTPUT_INVALID"
    CREW_FAILED = "CREW_FAILED"
    RUNNER_UNAVAILABLE = "RUNNER_UNAVAILABLE"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    CIRCUIT_OPEN = "CIRCUIT_OPEN"
    EXECUTION_TIMEOUT = "EXECUTION_TIMEOUT"
    QUEUE_TIMEOUT = "QUEUE_TIMEOUT"
    WORKER_LOST = "WORKER_LOST"
    EXECUTION_CANCELLED = "EXECUTION_CANCELLED"
    BUDGET_EXCEEDED = "BUDGET_EXCEEDED"
    BROKER_UNAVAILABLE = "BROKER_UNAVAILABLE"
    DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
    NOT_READY = "NOT_READY"
    SCHEMA_NOT_MIGRATED = "SCHEMA_NOT_MIGRATED"
    BAD_REQUEST = "BAD_REQUEST"
    GRAPH_NOT_FOUND = "GRAPH_NOT_FOUND"
    EXECUTION_NOT_FOUND = "EXECUTION_NOT_FOUND"
    EXECUTION_FINISHED = "EXECUTION_FINISHED"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    QUEUE_LIMIT_REACHED = "QUEUE_LIMIT_REACHED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    EXECUTION_NOT_QUEUED = "EXECUTION_NOT_QUEUED"
    PRIORITY_NOT_RAISED = "PRIORITY_NOT_RAISED"
    EXECUTION_NOT_FINISHED = "EXECUTION_NOT_FINISHED"
    NOT_FOUND = "NOT_FOUND"
    MALFORMED_JSON = "MALFORMED_JSON"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    BODY_TOO_LARGE = "BODY_TOO_LARGE"
    HTTP_ERROR = "HTTP_ERROR"


class Category(StrEnum):
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    CIRCUIT_OPEN = "circuit_open"
    INTERNAL = "internal"


@dataclass(frozen=True)
class ErrorInfo:
    """What users see of a failure: code, category, whether it may fix itself."""

    code: ErrorCode
    category: Category
    retryable: bool
    message: str
    retry_after_seconds: float | None = None
    task: str | None = None
    detail: str | None = None  # redacted technical detail, for operators (history only)


T, P, INT = Category.TRANSIENT, Category.PERMANENT, Category.INTERNAL

# code -> (category, retryable, what users are told)
CODES: dict[ErrorCode, tuple[Category, bool, str]] = {
    ErrorCode.PROVIDER_RATE_LIMITED: (T, True, "The model provider is rate-limiting requests."),
    ErrorCode.PROVIDER_QUOTA_EXCEEDED: (P, False, "The model provider account has no quota left."),
    ErrorCode.PROVIDER_UNAVAILABLE: (T, True, "The model provider is unavailable."),
    ErrorCode.PROVIDER_OVERLOADED: (T, True, "The model provider is overloaded."),
    ErrorCode.PROVIDER_TIMEOUT: (T, True, "The model provider did not answer in time."),
    ErrorCode.NETWORK_ERROR: (T, True, "The model provider could not be reached."),
    ErrorCode.PROVIDER_AUTH_FAILED: (P, False, "The model provider rejected the credentials."),
    ErrorCode.PROVIDER_KEY_MISSING: (P, False, "The worker has no key for the model provider."),
    ErrorCode.PROVIDER_NOT_ALLOWED: (
        P,
        False,
        "The graph's model endpoint or key is not one the operator allows.",
    ),
    ErrorCode.PROVIDER_PERMISSION_DENIED: (P, False, "The credentials may not use this model."),
    ErrorCode.MODEL_NOT_FOUND: (P, False, "The model provider does not know the requested model."),
    ErrorCode.CONTEXT_LENGTH_EXCEEDED: (P, False, "The prompt is longer than the model's context."),
    ErrorCode.CONTENT_FILTERED: (P, False, "The model provider refused the content."),
    ErrorCode.PROVIDER_BAD_REQUEST: (P, False, "The model provider rejected the request."),
    ErrorCode.LLM_OUTPUT_INVALID: (T, True, "The model's answer could not be understood."),
    ErrorCode.TOOL_ERROR: (P, False, "A tool used by an agent failed."),
    ErrorCode.TOOL_UNAVAILABLE: (T, True, "A tool used by an agent could not reach its service."),
    ErrorCode.INPUT_MISSING: (P, False, "An input the graph needs was not given."),
    ErrorCode.GRAPH_INVALID: (P, False, "The graph definition cannot be run."),
    ErrorCode.CREW_OUTPUT_INVALID: (P, False, "The crew returned something that is not a result."),
    ErrorCode.CREW_FAILED: (P, False, "The crew failed."),
    ErrorCode.RUNNER_UNAVAILABLE: (INT, False, "The crew runner is not installed on the worker."),
    ErrorCode.RESOURCE_EXHAUSTED: (INT, False, "The worker ran out of memory."),
    ErrorCode.INTERNAL_ERROR: (INT, False, "The service failed while running the crew."),
    ErrorCode.CIRCUIT_OPEN: (
        Category.CIRCUIT_OPEN,
        True,
        "Calls to the model provider are paused after repeated failures.",
    ),
    ErrorCode.EXECUTION_TIMEOUT: (Category.TIMEOUT, False, "The execution ran past its deadline."),
    ErrorCode.QUEUE_TIMEOUT: (
        Category.TIMEOUT,
        False,
        "The execution waited in the queue past its deadline and was not run.",
    ),
    ErrorCode.WORKER_LOST: (T, True, "The worker running the execution stopped unexpectedly."),
    ErrorCode.EXECUTION_CANCELLED: (Category.CANCELLED, False, "The execution was cancelled."),
    ErrorCode.BUDGET_EXCEEDED: (
        P,
        False,
        "The execution used up its budget; the crew was stopped before its next model call.",
    ),
    ErrorCode.BROKER_UNAVAILABLE: (
        T,
        True,
        "The queue is unavailable; the execution was not queued.",
    ),
}

# failures of the provider itself: these count towards opening the circuit breaker
PROVIDER_OUTAGE_CODES = frozenset(
    {
        ErrorCode.PROVIDER_RATE_LIMITED,
        ErrorCode.PROVIDER_UNAVAILABLE,
        ErrorCode.PROVIDER_OVERLOADED,
        ErrorCode.PROVIDER_TIMEOUT,
        ErrorCode.NETWORK_ERROR,
    }
)


def error_info(code: ErrorCode, **extra: Any) -> ErrorInfo:
    category, retryable, message = CODES[code]
    return ErrorInfo(code=code, category=category, retryable=retryable, message=message, **extra)
