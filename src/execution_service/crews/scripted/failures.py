"""Failures the scripted crew can raise, built the way crewai and its LLM clients raise them.

Provider errors are real ``openai`` SDK exceptions (with an ``httpx`` response,
status code, headers and error body), wrapped the way crewai wraps them: a read
timeout or a refused connection reaches the caller as ``ConnectionError`` whose
``__cause__`` is the SDK exception. ``openai`` is imported only when such a
failure is scripted (it comes with the ``test`` and ``crewai`` extras).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from execution_service.crews.scripted.script import FAILURE_KINDS, ScriptFailure

URL = "https://llm.invalid/v1/chat/completions"


class ToolUsageError(Exception):
    """Shaped like crewai's tool failure: a tool the agent called blew up."""


class OutputParserError(Exception):
    """Shaped like crewai's parser failure: the model's answer was not understood."""


class ContextWindowExceededError(Exception):
    """Shaped like litellm's context-window error (status 400)."""

    status_code = 400


class LiteLLMRateLimitError(Exception):
    """Shaped like litellm's ``RateLimitError``: a status code, no SDK response."""

    status_code = 429


LiteLLMRateLimitError.__name__ = "RateLimitError"


def _response(status: int, headers: dict[str, str] | None = None) -> Any:
    import httpx

    return httpx.Response(status, headers=headers or {}, request=httpx.Request("POST", URL))


def _api_error(
    cls_name: str, status: int, code: str | None = None, kind: str = "invalid_request_error"
) -> Callable[[ScriptFailure], BaseException]:
    def build(f: ScriptFailure) -> BaseException:
        import openai

        headers = {}
        if f.retry_after_seconds is not None:
            headers["retry-after"] = f"{f.retry_after_seconds:g}"
        message = f.message or f"Error code: {status} - {code or kind}"
        body = {"error": {"message": message, "type": kind, "code": code}}
        cls = getattr(openai, cls_name)
        exc: BaseException = cls(
            message, response=_response(f.status_code or status, headers), body=body
        )
        return exc

    return build


def _sdk_timeout(f: ScriptFailure) -> BaseException:
    import httpx
    import openai

    return openai.APITimeoutError(request=httpx.Request("POST", URL))


def _sdk_connection(f: ScriptFailure) -> BaseException:
    import httpx
    import openai

    return openai.APIConnectionError(
        message=f.message or "Connection error.", request=httpx.Request("POST", URL)
    )


def _wrapped(
    inner: Callable[[ScriptFailure], BaseException],
    outer: Callable[[str], BaseException],
    text: str,
) -> Callable[[ScriptFailure], BaseException]:
    def build(f: ScriptFailure) -> BaseException:
        exc = outer(text)
        exc.__cause__ = inner(f)
        return exc

    return build


def _httpx(name: str) -> Callable[[ScriptFailure], BaseException]:
    def build(f: ScriptFailure) -> BaseException:
        import httpx

        exc: BaseException = getattr(httpx, name)(
            f.message or name, request=httpx.Request("POST", URL)
        )
        return exc

    return build


def _requests_connection(f: ScriptFailure) -> BaseException:
    import requests

    return requests.exceptions.ConnectionError(f.message or "Max retries exceeded")


FAILURES: dict[str, Callable[[ScriptFailure], BaseException]] = {
    # the model provider
    "rate_limit": _api_error("RateLimitError", 429, "rate_limit_exceeded", "requests"),
    "quota_exceeded": _api_error("RateLimitError", 429, "insufficient_quota", "insufficient_quota"),
    "server_error": _api_error("InternalServerError", 500, None, "server_error"),
    "bad_gateway": _api_error("InternalServerError", 502, None, "server_error"),
    "service_unavailable": _api_error("InternalServerError", 503, None, "server_error"),
    "gateway_timeout": _api_error("InternalServerError", 504, None, "server_error"),
    "overloaded": _api_error("InternalServerError", 529, None, "overloaded_error"),
    "auth_failed": _api_error("AuthenticationError", 401, "invalid_api_key"),
    "permission_denied": _api_error("PermissionDeniedError", 403, "model_not_allowed"),
    "model_not_found": _api_error("NotFoundError", 404, "model_not_found"),
    "context_length": _api_error("BadRequestError", 400, "context_length_exceeded"),
    "content_filtered": _api_error("BadRequestError", 400, "content_policy_violation"),
    "bad_request": _api_error("BadRequestError", 400, "invalid_value"),
    "unprocessable": _api_error("UnprocessableEntityError", 422, None),
    "sdk_timeout": _sdk_timeout,
    "sdk_connection_error": _sdk_connection,
    # as crewai re-raises transport failures of its OpenAI provider
    "read_timeout": _wrapped(_sdk_timeout, ConnectionError, "Failed to get a response from LLM"),
    "connection_refused": _wrapped(
        _sdk_connection, ConnectionError, "Failed to get a response from LLM"
    ),
    "wrapped_rate_limit": _wrapped(
        _api_error("RateLimitError", 429, "rate_limit_exceeded"), RuntimeError, "LLM call failed"
    ),
    "litellm_rate_limit": lambda f: LiteLLMRateLimitError(f.message or "litellm rate limit"),
    "context_window": lambda f: ContextWindowExceededError(f.message or "context window exceeded"),
    # the network, under any client
    "httpx_read_timeout": _httpx("ReadTimeout"),
    "httpx_connect_error": _httpx("ConnectError"),
    "requests_connection_error": _requests_connection,
    "dns_failure": lambda f: socket.gaierror(-2, f.message or "Name or service not known"),
    "connection_reset": lambda f: ConnectionResetError(
        104, f.message or "Connection reset by peer"
    ),
    "socket_timeout": lambda f: TimeoutError(f.message or "timed out"),
    # tools, parsing, inputs, the crew itself
    "tool_error": lambda f: ToolUsageError(f.message or "the tool raised an error"),
    "tool_network_error": _wrapped(_requests_connection, ToolUsageError, "the search tool failed"),
    "output_parser": lambda f: OutputParserError(f.message or "Could not parse LLM output"),
    "missing_input": lambda f: ValueError(
        f.message or "Missing required template variable 'topic' in description"
    ),
    "crew_error": lambda f: RuntimeError(f.message or "the crew raised an error"),
    "value_error": lambda f: ValueError(f.message or "bad value"),
    "memory_error": lambda f: MemoryError(f.message or "out of memory"),
    "runner_import_error": lambda f: ModuleNotFoundError(f.message or "No module named 'crewai'"),
}

if set(FAILURES) != FAILURE_KINDS:  # a kind added to one list and not the other
    raise RuntimeError(
        f"failure kinds without a builder or the reverse: {set(FAILURES) ^ FAILURE_KINDS}"
    )


def build_failure(failure: ScriptFailure) -> BaseException:
    try:
        factory = FAILURES[failure.error]
    except KeyError as exc:
        raise ValueError(f"the scripted crew knows no failure named {failure.error!r}") from exc
    return factory(failure)
