"""Classification's edges (``execution_service.errors.classify``), found by mutation testing
(`.ci/mutation`): each exception name, HTTP status, error-body marker, client library and
wording that classification reads, on its own, so that losing any one of them is seen.

Classification reads exceptions by the names of their classes and the modules they come
from, never by type, so these failures are built as classes of the right name and module
(``raised``) carrying only the one thing under test; their message says nothing.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from execution_service.errors.classify import classify
from execution_service.errors.codes import ErrorCode
from execution_service.errors.exceptions import CrewFailure

SAYS_NOTHING = "it went wrong"
SDK = "some_sdk.errors"


def raised(
    name: str, message: str = SAYS_NOTHING, module: str = SDK, **attributes: Any
) -> BaseException:
    """An exception of a class called ``name``, defined in ``module``, with ``attributes``."""
    cls = type(name, (Exception,), {"__module__": module, **attributes})
    exc: BaseException = cls(message)
    return exc


def code_of(exc: BaseException) -> ErrorCode:
    return classify(exc).code


def test_the_failure_under_test_says_nothing_by_itself() -> None:
    assert code_of(raised("SomeError")) == ErrorCode.CREW_FAILED


# what an exception's class name says, with no status and no body

NAMES: list[tuple[str, ErrorCode]] = [
    ("ContextWindowExceededError", ErrorCode.CONTEXT_LENGTH_EXCEEDED),
    ("LLMContextLengthExceededError", ErrorCode.CONTEXT_LENGTH_EXCEEDED),
    ("ContentPolicyViolationError", ErrorCode.CONTENT_FILTERED),
    ("RateLimitError", ErrorCode.PROVIDER_RATE_LIMITED),
    ("AuthenticationError", ErrorCode.PROVIDER_AUTH_FAILED),
    ("PermissionDeniedError", ErrorCode.PROVIDER_PERMISSION_DENIED),
    ("NotFoundError", ErrorCode.MODEL_NOT_FOUND),
    ("APITimeoutError", ErrorCode.PROVIDER_TIMEOUT),
    ("OverloadedError", ErrorCode.PROVIDER_OVERLOADED),
    ("InternalServerError", ErrorCode.PROVIDER_UNAVAILABLE),
    ("ServiceUnavailableError", ErrorCode.PROVIDER_UNAVAILABLE),
    ("APIServerError", ErrorCode.PROVIDER_UNAVAILABLE),
    ("BadRequestError", ErrorCode.PROVIDER_BAD_REQUEST),
    ("UnprocessableEntityError", ErrorCode.PROVIDER_BAD_REQUEST),
    ("APIConnectionError", ErrorCode.NETWORK_ERROR),
    ("OutputParserError", ErrorCode.LLM_OUTPUT_INVALID),
    ("OutputParserException", ErrorCode.LLM_OUTPUT_INVALID),
    ("OutputParserExceptionError", ErrorCode.LLM_OUTPUT_INVALID),
    ("ToolUsageError", ErrorCode.TOOL_ERROR),
    ("ToolException", ErrorCode.TOOL_ERROR),
    ("ToolError", ErrorCode.TOOL_ERROR),
    ("ToolExecutionError", ErrorCode.TOOL_ERROR),
    ("ToolExecutionFailedError", ErrorCode.TOOL_ERROR),
]


@pytest.mark.parametrize(("name", "code"), NAMES, ids=[n for n, _ in NAMES])
def test_the_class_name_alone_decides(name: str, code: ErrorCode) -> None:
    assert code_of(raised(name)) == code


# what an HTTP status says, on an exception whose name says nothing

STATUSES: list[tuple[int, ErrorCode]] = [
    (400, ErrorCode.PROVIDER_BAD_REQUEST),
    (401, ErrorCode.PROVIDER_AUTH_FAILED),
    (403, ErrorCode.PROVIDER_PERMISSION_DENIED),
    (404, ErrorCode.MODEL_NOT_FOUND),
    (408, ErrorCode.PROVIDER_TIMEOUT),
    (409, ErrorCode.PROVIDER_BAD_REQUEST),
    (413, ErrorCode.PROVIDER_BAD_REQUEST),
    (422, ErrorCode.PROVIDER_BAD_REQUEST),
    (429, ErrorCode.PROVIDER_RATE_LIMITED),
    (500, ErrorCode.PROVIDER_UNAVAILABLE),
    (502, ErrorCode.PROVIDER_UNAVAILABLE),
    (503, ErrorCode.PROVIDER_UNAVAILABLE),
    (504, ErrorCode.PROVIDER_TIMEOUT),
    (529, ErrorCode.PROVIDER_OVERLOADED),
]


@pytest.mark.parametrize(("status", "code"), STATUSES, ids=[str(s) for s, _ in STATUSES])
def test_the_status_alone_decides(status: int, code: ErrorCode) -> None:
    assert code_of(raised("APIStatusError", status_code=status)) == code


@pytest.mark.parametrize("status", [402, 418, 499])
def test_a_status_classification_does_not_know_says_nothing(status: int) -> None:
    assert code_of(raised("APIStatusError", status_code=status)) == ErrorCode.CREW_FAILED


def test_the_status_of_the_attached_response_is_read() -> None:
    exc = raised("APIStatusError", response=SimpleNamespace(status_code=503))
    info = classify(exc)
    assert (info.code, info.message) == (
        ErrorCode.PROVIDER_UNAVAILABLE,
        "The model provider is unavailable (HTTP 503).",
    )


def test_an_http_status_attribute_is_read() -> None:
    assert code_of(raised("ClientError", http_status=429)) == ErrorCode.PROVIDER_RATE_LIMITED


def test_a_status_that_is_not_a_number_is_ignored() -> None:
    assert code_of(raised("ClientError", http_status="503")) == ErrorCode.CREW_FAILED


# what the provider's error body says


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"error": {"code": "context_length_exceeded"}}, ErrorCode.CONTEXT_LENGTH_EXCEEDED),
        ({"code": "context_length_exceeded"}, ErrorCode.CONTEXT_LENGTH_EXCEEDED),
        ({"error": {"type": "insufficient_quota"}}, ErrorCode.PROVIDER_QUOTA_EXCEEDED),
        ({"error": {"code": "content_policy_violation"}}, ErrorCode.CONTENT_FILTERED),
        ({"error": {"code": "content_filter"}}, ErrorCode.CONTENT_FILTERED),
        ({"type": "error", "error": {"type": "overloaded_error"}}, ErrorCode.PROVIDER_OVERLOADED),
        ({"error": "the provider said no"}, ErrorCode.CREW_FAILED),
        ({"error": {"code": "something_else"}}, ErrorCode.CREW_FAILED),
    ],
    ids=[
        "nested-code",
        "flat-code",
        "type-only",
        "policy",
        "azure-filter",
        "anthropic-overloaded",
        "error-is-text",
        "unknown",
    ],
)
def test_the_error_body_alone_decides(body: dict[str, Any], code: ErrorCode) -> None:
    assert code_of(raised("APIError", body=body)) == code


# the context window, in words on a 400


@pytest.mark.parametrize("words", ["maximum context length is 8192", "exceeds the context window"])
def test_a_400_naming_the_context_is_a_context_length_error(words: str) -> None:
    exc = raised("APIStatusError", f"The request's {words}", status_code=400)
    assert code_of(exc) == ErrorCode.CONTEXT_LENGTH_EXCEEDED


def test_the_context_named_on_a_server_error_is_still_a_server_error() -> None:
    exc = raised("APIStatusError", "context length unknown", status_code=500)
    assert code_of(exc) == ErrorCode.PROVIDER_UNAVAILABLE


# HTTP client libraries: their timeouts and connection failures, and nothing else of theirs

HTTP_LIBRARIES = ["httpx", "requests", "urllib3", "aiohttp", "httpcore"]
TIMEOUTS = [
    "ReadTimeout",
    "ConnectTimeout",
    "WriteTimeout",
    "PoolTimeout",
    "Timeout",
    "TimeoutException",
    "ReadTimeoutError",
    "ConnectTimeoutError",
]
CONNECTION_FAILURES = [
    "ConnectError",
    "ConnectionError",
    "NetworkError",
    "NewConnectionError",
    "MaxRetryError",
    "RemoteProtocolError",
    "ProtocolError",
]


@pytest.mark.parametrize("library", HTTP_LIBRARIES)
def test_each_http_library_is_known(library: str) -> None:
    module = f"{library}._exceptions"
    assert code_of(raised("ReadTimeout", module=module)) == ErrorCode.PROVIDER_TIMEOUT
    assert code_of(raised("ConnectError", module=module)) == ErrorCode.NETWORK_ERROR


@pytest.mark.parametrize("name", TIMEOUTS)
def test_an_http_clients_timeout_is_a_provider_timeout(name: str) -> None:
    assert code_of(raised(name, module="httpx._exceptions")) == ErrorCode.PROVIDER_TIMEOUT


@pytest.mark.parametrize("name", CONNECTION_FAILURES)
def test_an_http_clients_connection_failure_is_a_network_error(name: str) -> None:
    assert code_of(raised(name, module="urllib3.exceptions")) == ErrorCode.NETWORK_ERROR


@pytest.mark.parametrize("name", ["ReadTimeout", "ConnectError", "ProtocolError"])
def test_the_same_names_from_another_library_say_nothing(name: str) -> None:
    assert code_of(raised(name, module="mylib.errors")) == ErrorCode.CREW_FAILED


def test_an_http_clients_other_errors_say_nothing() -> None:
    assert code_of(raised("DecodingError", module="httpx._exceptions")) == ErrorCode.CREW_FAILED


# pydantic's refusals, and only pydantic's


@pytest.mark.parametrize("module", ["pydantic.v1.error_wrappers", "pydantic_core._pydantic_core"])
def test_pydantics_validation_error_is_an_invalid_graph(module: str) -> None:
    assert code_of(raised("ValidationError", module=module)) == ErrorCode.GRAPH_INVALID


def test_another_librarys_validation_error_is_not_about_the_graph() -> None:
    exc = raised("ValidationError", module="jsonschema.exceptions")
    assert code_of(exc) == ErrorCode.CREW_FAILED


# wording


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (ValueError("Missing required input 'topic'"), ErrorCode.INPUT_MISSING),
        (KeyError("missing required input: audience"), ErrorCode.INPUT_MISSING),
        (ValueError("template variable 'topic' not found"), ErrorCode.INPUT_MISSING),
        (RuntimeError("Rate limit reached for gpt-4o"), ErrorCode.PROVIDER_RATE_LIMITED),
        (RuntimeError("upstream read timeout"), ErrorCode.PROVIDER_TIMEOUT),
        (ValueError("the required input was given twice"), ErrorCode.CREW_FAILED),
    ],
    ids=["missing-input", "missing-input-key", "template", "rate-limit", "timeout", "neither"],
)
def test_what_the_message_says_when_nothing_else_does(exc: BaseException, code: ErrorCode) -> None:
    assert code_of(exc) == code


# Retry-After as some clients carry it: on the exception, in a plain dict of headers


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [({"retry-after": "4"}, 4.0), ({"retry-after-ms": "250", "retry-after": "9"}, 0.25)],
    ids=["seconds", "milliseconds-first"],
)
def test_retry_after_headers_on_the_exception_itself(
    headers: dict[str, str], seconds: float
) -> None:
    info = classify(raised("RateLimitError", headers=headers))
    assert (info.code, info.retry_after_seconds) == (ErrorCode.PROVIDER_RATE_LIMITED, seconds)


# a tool whose service could not be reached


def test_a_tool_error_caused_by_a_refused_connection_is_unavailable() -> None:
    refused = ConnectionRefusedError(111, "Connection refused")
    refused.__cause__ = ValueError("bad port")
    tool = raised("ToolUsageError", "the search tool failed")
    tool.__cause__ = refused
    info = classify(tool)
    assert (info.code, info.retryable) == (ErrorCode.TOOL_UNAVAILABLE, True)


NETWORK_FAILURES = [
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
]


@pytest.mark.parametrize("failure", NETWORK_FAILURES)
def test_a_tool_failure_crewai_recorded_as_a_network_one_is_unavailable(failure: str) -> None:
    record = SimpleNamespace(failure=SimpleNamespace(code=failure))
    assert code_of(raised("ToolExecutionFailedError", record=record)) == ErrorCode.TOOL_UNAVAILABLE


def test_a_tool_failure_crewai_recorded_as_another_one_is_a_tool_error() -> None:
    record = SimpleNamespace(failure=SimpleNamespace(code="KeyError"))
    assert code_of(raised("ToolExecutionFailedError", record=record)) == ErrorCode.TOOL_ERROR


# the message: the code's sentence, then what is known, in brackets


def test_the_message_names_the_status_and_the_task_in_one_bracket() -> None:
    info = classify(CrewFailure("write", raised("APIStatusError", status_code=401)))
    assert info.message == "The model provider rejected the credentials (HTTP 401, in write)."
