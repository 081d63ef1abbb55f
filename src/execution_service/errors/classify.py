"""Exceptions out of a crew -> what users are told: a code, a category, whether it may
fix itself, a message written for people, and redacted detail for operators.

Classification reads what the crewai / LLM client libraries really raise:
exception types (by name, so no provider SDK has to be importable here), HTTP
status codes, provider error bodies and ``Retry-After`` headers, following
wrapped exceptions (``__cause__`` / ``__context__``) down the chain.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from execution_service.errors.codes import ErrorCode, ErrorInfo, error_info
from execution_service.errors.exceptions import (
    BudgetExceeded,
    CircuitOpen,
    CrewFailure,
    CrewOutputInvalid,
    ProviderKeyMissing,
    ProviderNotAllowed,
    RunnerNotEnabled,
)
from execution_service.errors.redact import redact


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


def _specific(exc: BaseException) -> ErrorCode | None:
    """A code from what the exception itself says (type, status, body), else None."""
    names = _names(exc)
    status = _status(exc)
    markers = _body_markers(exc)
    text = str(exc).lower()
    if isinstance(exc, CircuitOpen):
        return ErrorCode.CIRCUIT_OPEN
    if isinstance(exc, BudgetExceeded):
        return ErrorCode.BUDGET_EXCEEDED
    if isinstance(exc, CrewOutputInvalid):
        return ErrorCode.CREW_OUTPUT_INVALID
    if isinstance(exc, ProviderKeyMissing):
        return ErrorCode.PROVIDER_KEY_MISSING
    if isinstance(exc, ProviderNotAllowed):
        return ErrorCode.PROVIDER_NOT_ALLOWED
    if isinstance(exc, RunnerNotEnabled):
        return ErrorCode.GRAPH_INVALID
    if (
        "ContextWindowExceededError" in names
        or "LLMContextLengthExceededError" in names
        or "context_length_exceeded" in markers
        or (status == 400 and ("context length" in text or "context window" in text))
    ):
        return ErrorCode.CONTEXT_LENGTH_EXCEEDED
    # litellm keeps no error body (its RateLimitError passes ``body=None``): there the
    # provider's ``insufficient_quota`` survives only in the message
    if "insufficient_quota" in markers or "insufficient_quota" in text:
        return ErrorCode.PROVIDER_QUOTA_EXCEEDED
    if (
        "ContentPolicyViolationError" in names
        or "content_policy_violation" in markers
        or "content_filter" in markers
    ):
        return ErrorCode.CONTENT_FILTERED
    if status == 429 or "RateLimitError" in names:
        return ErrorCode.PROVIDER_RATE_LIMITED
    if status == 401 or "AuthenticationError" in names:
        return ErrorCode.PROVIDER_AUTH_FAILED
    if status == 403 or "PermissionDeniedError" in names:
        return ErrorCode.PROVIDER_PERMISSION_DENIED
    if status == 404 or "NotFoundError" in names:
        return ErrorCode.MODEL_NOT_FOUND
    if (
        status in (408, 504)
        or "APITimeoutError" in names
        or (_module(exc) in _HTTP_LIBS and bool(names & _HTTP_TIMEOUTS))
    ):
        return ErrorCode.PROVIDER_TIMEOUT
    if status == 529 or "OverloadedError" in names or "overloaded_error" in markers:
        return ErrorCode.PROVIDER_OVERLOADED
    if (status is not None and status >= 500) or names & {
        "InternalServerError",
        "ServiceUnavailableError",
        "APIServerError",
    }:
        return ErrorCode.PROVIDER_UNAVAILABLE
    if status in (400, 409, 413, 422) or names & {"BadRequestError", "UnprocessableEntityError"}:
        return ErrorCode.PROVIDER_BAD_REQUEST
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
        return ErrorCode.NETWORK_ERROR
    if names & {"OutputParserError", "OutputParserException", "OutputParserExceptionError"}:
        return ErrorCode.LLM_OUTPUT_INVALID
    if names & {
        "ToolUsageError",
        "ToolException",
        "ToolError",
        "ToolExecutionError",
        "ToolExecutionFailedError",
    }:
        return ErrorCode.TOOL_ERROR
    if "ValidationError" in names and _module(exc) in {"pydantic", "pydantic_core"}:
        return ErrorCode.GRAPH_INVALID
    if isinstance(exc, ImportError):
        return ErrorCode.RUNNER_UNAVAILABLE
    if isinstance(exc, MemoryError):
        return ErrorCode.RESOURCE_EXHAUSTED
    if isinstance(exc, (KeyError, ValueError)) and (
        "template variable" in text or "missing required input" in text
    ):
        return ErrorCode.INPUT_MISSING
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


def _generic(exc: BaseException) -> ErrorCode | None:
    """A code from what the exception is in general (Python built-ins, wording)."""
    text = str(exc).lower()
    if isinstance(exc, TimeoutError):
        return ErrorCode.PROVIDER_TIMEOUT
    if isinstance(exc, ConnectionError) or type(exc).__name__ == "gaierror":
        return ErrorCode.NETWORK_ERROR
    if "rate limit" in text or "too many requests" in text:
        return ErrorCode.PROVIDER_RATE_LIMITED
    if "timed out" in text or "timeout" in text:
        return ErrorCode.PROVIDER_TIMEOUT
    return None


def classify(exc: BaseException) -> ErrorInfo:
    """Turn an exception out of a crew into what users are told about it."""
    task = exc.task if isinstance(exc, CrewFailure | BudgetExceeded) else None
    chain = [e for e in _chain(exc) if not isinstance(e, CrewFailure)] or [exc]
    code: ErrorCode | None = None
    source = chain[0]
    for finder in (_specific, _generic):
        for candidate in chain:
            code = finder(candidate)
            if code is not None:
                source = candidate
                break
        if code is not None:
            break
    if code == ErrorCode.TOOL_ERROR and (
        any(
            _specific(e) == ErrorCode.NETWORK_ERROR or _generic(e) == ErrorCode.NETWORK_ERROR
            for e in chain[chain.index(source) + 1 :]
        )
        or _tool_failed_on_network(source)
    ):
        code = ErrorCode.TOOL_UNAVAILABLE
    code = code or ErrorCode.CREW_FAILED
    info = error_info(code)
    notes = []
    retry_after = None
    if isinstance(source, CircuitOpen):
        retry_after = source.retry_in
    elif code == ErrorCode.PROVIDER_RATE_LIMITED:
        retry_after = next((r for e in chain if (r := _retry_after(e)) is not None), None)
    status = _status(source)
    if status is not None and code.startswith("PROVIDER"):
        notes.append(f"HTTP {status}")
    if isinstance(source, BudgetExceeded):
        notes.append(f"{source.limit} {source.allowed:g}")
    if task:
        notes.append(f"in {task}")
    message = f"{info.message.rstrip('.')} ({', '.join(notes)})." if notes else info.message
    detail = " <- ".join(f"{type(e).__name__}: {e}" for e in chain)
    return replace(
        info, message=message, task=task, retry_after_seconds=retry_after, detail=redact(detail)
    )
