"""The error taxonomy: every failure of an execution gets a category, a stable code,
a ``retryable`` flag and a message users can read, which never carries secrets.

Classification reads what the crewai / LLM client libraries really raise:
exception types (by name, so no provider SDK has to be importable here), HTTP
status codes, provider error bodies and ``Retry-After`` headers, following
wrapped exceptions (``__cause__`` / ``__context__``) down the chain.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any


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

    code: str
    category: Category
    retryable: bool
    message: str
    retry_after_seconds: float | None = None
    task: str | None = None
    detail: str | None = None  # redacted technical detail, for operators (history only)


T, P, INT = Category.TRANSIENT, Category.PERMANENT, Category.INTERNAL

# code -> (category, retryable, what users are told)
CODES: dict[str, tuple[Category, bool, str]] = {
    "PROVIDER_RATE_LIMITED": (T, True, "The model provider is rate-limiting requests."),
    "PROVIDER_QUOTA_EXCEEDED": (P, False, "The model provider account has no quota left."),
    "PROVIDER_UNAVAILABLE": (T, True, "The model provider is unavailable."),
    "PROVIDER_OVERLOADED": (T, True, "The model provider is overloaded."),
    "PROVIDER_TIMEOUT": (T, True, "The model provider did not answer in time."),
    "NETWORK_ERROR": (T, True, "The model provider could not be reached."),
    "PROVIDER_AUTH_FAILED": (P, False, "The model provider rejected the credentials."),
    "PROVIDER_KEY_MISSING": (P, False, "The worker has no key for the model provider."),
    "PROVIDER_PERMISSION_DENIED": (P, False, "The credentials may not use this model."),
    "MODEL_NOT_FOUND": (P, False, "The model provider does not know the requested model."),
    "CONTEXT_LENGTH_EXCEEDED": (P, False, "The prompt is longer than the model's context."),
    "CONTENT_FILTERED": (P, False, "The model provider refused the content."),
    "PROVIDER_BAD_REQUEST": (P, False, "The model provider rejected the request."),
    "LLM_OUTPUT_INVALID": (T, True, "The model's answer could not be understood."),
    "TOOL_ERROR": (P, False, "A tool used by an agent failed."),
    "TOOL_UNAVAILABLE": (T, True, "A tool used by an agent could not reach its service."),
    "INPUT_MISSING": (P, False, "An input the graph needs was not given."),
    "GRAPH_INVALID": (P, False, "The graph definition cannot be run."),
    "CREW_OUTPUT_INVALID": (P, False, "The crew returned something that is not a result."),
    "CREW_FAILED": (P, False, "The crew failed."),
    "RUNNER_UNAVAILABLE": (INT, False, "The crew runner is not installed on the worker."),
    "RESOURCE_EXHAUSTED": (INT, False, "The worker ran out of memory."),
    "INTERNAL_ERROR": (INT, False, "The service failed while running the crew."),
    "CIRCUIT_OPEN": (
        Category.CIRCUIT_OPEN,
        True,
        "Calls to the model provider are paused after repeated failures.",
    ),
    "EXECUTION_TIMEOUT": (Category.TIMEOUT, False, "The execution ran past its deadline."),
    "QUEUE_TIMEOUT": (
        Category.TIMEOUT,
        False,
        "The execution waited in the queue past its deadline and was not run.",
    ),
    "WORKER_LOST": (T, True, "The worker running the execution stopped unexpectedly."),
    "EXECUTION_CANCELLED": (Category.CANCELLED, False, "The execution was cancelled."),
    "BROKER_UNAVAILABLE": (T, True, "The queue is unavailable; the execution was not queued."),
}

# failures of the provider itself: these count towards opening the circuit breaker
PROVIDER_OUTAGE_CODES = frozenset(
    {
        "PROVIDER_RATE_LIMITED",
        "PROVIDER_UNAVAILABLE",
        "PROVIDER_OVERLOADED",
        "PROVIDER_TIMEOUT",
        "NETWORK_ERROR",
    }
)


def error_info(code: str, **extra: Any) -> ErrorInfo:
    category, retryable, message = CODES[code]
    return ErrorInfo(code=code, category=category, retryable=retryable, message=message, **extra)


# -- exceptions of the service itself ------------------------------------------------------


class ServiceError(Exception):
    """A refusal of the service layer, answered to the caller as ``status``/``code``."""

    status = 400
    code = "BAD_REQUEST"

    def __init__(
        self, message: str, details: object = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class GraphNotFound(ServiceError):
    status = 404
    code = "GRAPH_NOT_FOUND"


class ExecutionNotFound(ServiceError):
    status = 404
    code = "EXECUTION_NOT_FOUND"


class ExecutionFinished(ServiceError):
    status = 409
    code = "EXECUTION_FINISHED"


class InvalidRequest(ServiceError):
    status = 422
    code = "VALIDATION_ERROR"


class BrokerUnavailable(ServiceError):
    status = 503
    code = "BROKER_UNAVAILABLE"


class QueueLimitReached(ServiceError):
    status = 429
    code = "QUEUE_LIMIT_REACHED"


class ExecutionNotQueued(ServiceError):
    status = 409
    code = "EXECUTION_NOT_QUEUED"


class PriorityNotRaised(ServiceError):
    status = 409
    code = "PRIORITY_NOT_RAISED"


class NotFound(ServiceError):
    status = 404
    code = "NOT_FOUND"


class CrewFailure(Exception):
    """Raised by a runner when a crew failed; carries the task it failed in."""

    def __init__(self, task: str | None, cause: BaseException) -> None:
        super().__init__(f"{task}: {type(cause).__name__}")
        self.task = task
        self.__cause__ = cause


class CrewOutputInvalid(Exception):
    """The crew finished but returned something that is not a result."""


class ProviderKeyMissing(Exception):
    """The graph names an environment variable for its provider key that the worker lacks."""


class CircuitOpen(Exception):
    """The circuit breaker refused the call; nothing was sent to the provider."""

    def __init__(self, name: str, retry_in: float) -> None:
        super().__init__(f"circuit {name} is open for {retry_in:.1f} s more")
        self.name = name
        self.retry_in = retry_in


# -- redaction --------------------------------------------------------------------------

_SECRETS = [
    (re.compile(r"\b(sk|pk|rk)-[A-Za-z0-9_\-]{8,}"), r"\1-[REDACTED]"),
    (
        re.compile(r"\b(sk-ant|xox[abpr]|ghp|gho|github_pat|glpat)[-_][A-Za-z0-9_\-]{6,}"),
        "[REDACTED]",
    ),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "[REDACTED]"),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"), "[REDACTED]"),
    (re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=\-]{6,}"), r"\1 [REDACTED]"),
    (re.compile(r"(?i)(://[^/\s:@]+:)[^@\s/]+@"), r"\1[REDACTED]@"),
    (
        re.compile(
            r"(?i)([?&;\s\"']?(?:api[_-]?key|access[_-]?token|token|secret|password|passwd|"
            r"key|auth|signature|sig|client[_-]?secret)[\"']?\s*[=:]\s*[\"']?)"
            r"[^\s&\"',;}]{4,}"
        ),
        r"\1[REDACTED]",
    ),
]


def redact(text: str, limit: int = 2000) -> str:
    """Remove API keys, tokens, passwords and credentials in URLs from ``text``."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- classification ---------------------------------------------------------------------


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 16:
        seen.add(id(current))
        yield current
        if current.__cause__ is not None:
            current = current.__cause__
        elif not current.__suppress_context__:
            current = current.__context__
        else:
            current = None


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _module(exc: BaseException) -> str:
    return type(exc).__module__.split(".")[0]


def _status(exc: BaseException) -> int | None:
    for holder in (exc, getattr(exc, "response", None)):
        value = getattr(holder, "status_code", None)
        if isinstance(value, int):
            return value
    value = getattr(exc, "http_status", None)
    return value if isinstance(value, int) else None


def _body(exc: BaseException) -> dict[str, Any]:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        return inner if isinstance(inner, dict) else {}
    return {}


def _body_markers(exc: BaseException) -> str:
    body = _body(exc)
    return " ".join(str(body.get(k, "")) for k in ("code", "type")).lower()


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or getattr(exc, "headers", None)
    if not headers:
        return None
    try:
        millis = headers.get("retry-after-ms")
        if millis is not None:
            return max(0.0, float(millis) / 1000)
        seconds = headers.get("retry-after")
        if seconds is not None:
            return max(0.0, float(seconds))
    except (TypeError, ValueError):
        return None
    return None


_HTTP_LIBS = {"httpx", "requests", "urllib3", "aiohttp", "httpcore"}
_HTTP_TIMEOUTS = {
    "ReadTimeout",
    "ConnectTimeout",
    "WriteTimeout",
    "PoolTimeout",
    "Timeout",
    "TimeoutException",
    "ReadTimeoutError",
    "ConnectTimeoutError",
}


def _specific(exc: BaseException) -> str | None:
    """A code from what the exception itself says (type, status, body), else None."""
    names = _names(exc)
    status = _status(exc)
    markers = _body_markers(exc)
    text = str(exc).lower()
    if isinstance(exc, CircuitOpen):
        return "CIRCUIT_OPEN"
    if isinstance(exc, CrewOutputInvalid):
        return "CREW_OUTPUT_INVALID"
    if isinstance(exc, ProviderKeyMissing):
        return "PROVIDER_KEY_MISSING"
    if (
        "ContextWindowExceededError" in names
        or "LLMContextLengthExceededError" in names
        or "context_length_exceeded" in markers
        or (status == 400 and ("context length" in text or "context window" in text))
    ):
        return "CONTEXT_LENGTH_EXCEEDED"
    if "insufficient_quota" in markers:
        return "PROVIDER_QUOTA_EXCEEDED"
    if (
        "ContentPolicyViolationError" in names
        or "content_policy_violation" in markers
        or "content_filter" in markers
    ):
        return "CONTENT_FILTERED"
    if status == 429 or "RateLimitError" in names:
        return "PROVIDER_RATE_LIMITED"
    if status == 401 or "AuthenticationError" in names:
        return "PROVIDER_AUTH_FAILED"
    if status == 403 or "PermissionDeniedError" in names:
        return "PROVIDER_PERMISSION_DENIED"
    if status == 404 or "NotFoundError" in names:
        return "MODEL_NOT_FOUND"
    if (
        status in (408, 504)
        or "APITimeoutError" in names
        or (_module(exc) in _HTTP_LIBS and bool(names & _HTTP_TIMEOUTS))
    ):
        return "PROVIDER_TIMEOUT"
    if status == 529 or "OverloadedError" in names or "overloaded_error" in markers:
        return "PROVIDER_OVERLOADED"
    if (status is not None and status >= 500) or names & {
        "InternalServerError",
        "ServiceUnavailableError",
        "APIServerError",
    }:
        return "PROVIDER_UNAVAILABLE"
    if status in (400, 409, 413, 422) or names & {"BadRequestError", "UnprocessableEntityError"}:
        return "PROVIDER_BAD_REQUEST"
    if "APIConnectionError" in names or (
        _module(exc) in _HTTP_LIBS
        and names
        & {
            "ConnectError",
            "ConnectionError",
            "NetworkError",
            "NewConnectionError",
            "MaxRetryError",
            "RemoteProtocolError",
            "ProtocolError",
        }
    ):
        return "NETWORK_ERROR"
    if names & {"OutputParserError", "OutputParserException", "OutputParserExceptionError"}:
        return "LLM_OUTPUT_INVALID"
    if names & {
        "ToolUsageError",
        "ToolException",
        "ToolError",
        "ToolExecutionError",
        "ToolExecutionFailedError",
    }:
        return "TOOL_ERROR"
    if "ValidationError" in names and _module(exc) in {"pydantic", "pydantic_core"}:
        return "GRAPH_INVALID"
    if isinstance(exc, ImportError):
        return "RUNNER_UNAVAILABLE"
    if isinstance(exc, MemoryError):
        return "RESOURCE_EXHAUSTED"
    if isinstance(exc, (KeyError, ValueError)) and (
        "template variable" in text or "missing required input" in text
    ):
        return "INPUT_MISSING"
    return None


_NETWORK_EXCEPTIONS = {
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "ConnectionAbortedError",
    "ConnectError",
    "ConnectTimeout",
    "ReadTimeout",
    "TimeoutError",
    "Timeout",
    "gaierror",
    "NewConnectionError",
    "MaxRetryError",
    "APIConnectionError",
    "APITimeoutError",
}


def _tool_failed_on_network(exc: BaseException) -> bool:
    """crewai's ``ToolExecutionFailedError`` keeps only the name of what the tool raised."""
    failure = getattr(getattr(exc, "record", None), "failure", None)
    return getattr(failure, "code", None) in _NETWORK_EXCEPTIONS


def _generic(exc: BaseException) -> str | None:
    """A code from what the exception is in general (Python built-ins, wording)."""
    text = str(exc).lower()
    if isinstance(exc, TimeoutError):
        return "PROVIDER_TIMEOUT"
    if isinstance(exc, ConnectionError) or type(exc).__name__ == "gaierror":
        return "NETWORK_ERROR"
    if "rate limit" in text or "too many requests" in text:
        return "PROVIDER_RATE_LIMITED"
    if "timed out" in text or "timeout" in text:
        return "PROVIDER_TIMEOUT"
    return None


def classify(exc: BaseException) -> ErrorInfo:
    """Turn an exception out of a crew into what users are told about it."""
    task = exc.task if isinstance(exc, CrewFailure) else None
    chain = [e for e in _chain(exc) if not isinstance(e, CrewFailure)] or [exc]
    code = None
    source = chain[0]
    for finder in (_specific, _generic):
        for candidate in chain:
            code = finder(candidate)
            if code is not None:
                source = candidate
                break
        if code is not None:
            break
    if code == "TOOL_ERROR" and (
        any(
            _specific(e) == "NETWORK_ERROR" or _generic(e) == "NETWORK_ERROR"
            for e in chain[chain.index(source) + 1 :]
        )
        or _tool_failed_on_network(source)
    ):
        code = "TOOL_UNAVAILABLE"
    code = code or "CREW_FAILED"
    info = error_info(code)
    notes = []
    retry_after = None
    if isinstance(source, CircuitOpen):
        retry_after = source.retry_in
    elif code == "PROVIDER_RATE_LIMITED":
        retry_after = next((r for e in chain if (r := _retry_after(e)) is not None), None)
    status = _status(source)
    if status is not None and code.startswith("PROVIDER"):
        notes.append(f"HTTP {status}")
    if task:
        notes.append(f"in {task}")
    message = f"{info.message.rstrip('.')} ({', '.join(notes)})." if notes else info.message
    detail = " <- ".join(f"{type(e).__name__}: {e}" for e in chain)
    return replace(
        info, message=message, task=task, retry_after_seconds=retry_after, detail=redact(detail)
    )
