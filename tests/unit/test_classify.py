"""Classification (``execution_service.errors.classify.classify``): what users are told
about an exception out of a crew.

The failures are built by the scripted crew's own builders, the way crewai and its LLM
clients raise them (real ``openai`` SDK exceptions with an ``httpx`` response), so these
tests and ``features/error_classification.feature`` read the same exceptions.
"""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pydantic
import pytest

from execution_service.crews.scripted.failures import (
    URL,
    LiteLLMRateLimitError,
    ToolUsageError,
    build_failure,
)
from execution_service.crews.scripted.script import FAILURE_KINDS, ScriptFailure
from execution_service.errors.classify import classify
from execution_service.errors.codes import Category, ErrorCode
from execution_service.errors.exceptions import (
    CircuitOpen,
    CrewFailure,
    CrewOutputInvalid,
    ProviderKeyMissing,
)

T, P, INTERNAL = Category.TRANSIENT, Category.PERMANENT, Category.INTERNAL

# the table of features/error_classification.feature: failure kind -> what users are told
TABLE: list[tuple[str, ErrorCode, Category, bool]] = [
    ("rate_limit", ErrorCode.PROVIDER_RATE_LIMITED, T, True),
    ("quota_exceeded", ErrorCode.PROVIDER_QUOTA_EXCEEDED, P, False),
    ("server_error", ErrorCode.PROVIDER_UNAVAILABLE, T, True),
    ("bad_gateway", ErrorCode.PROVIDER_UNAVAILABLE, T, True),
    ("service_unavailable", ErrorCode.PROVIDER_UNAVAILABLE, T, True),
    ("gateway_timeout", ErrorCode.PROVIDER_TIMEOUT, T, True),
    ("overloaded", ErrorCode.PROVIDER_OVERLOADED, T, True),
    ("auth_failed", ErrorCode.PROVIDER_AUTH_FAILED, P, False),
    ("permission_denied", ErrorCode.PROVIDER_PERMISSION_DENIED, P, False),
    ("model_not_found", ErrorCode.MODEL_NOT_FOUND, P, False),
    ("context_length", ErrorCode.CONTEXT_LENGTH_EXCEEDED, P, False),
    ("context_window", ErrorCode.CONTEXT_LENGTH_EXCEEDED, P, False),
    ("content_filtered", ErrorCode.CONTENT_FILTERED, P, False),
    ("bad_request", ErrorCode.PROVIDER_BAD_REQUEST, P, False),
    ("unprocessable", ErrorCode.PROVIDER_BAD_REQUEST, P, False),
    ("sdk_timeout", ErrorCode.PROVIDER_TIMEOUT, T, True),
    ("sdk_connection_error", ErrorCode.NETWORK_ERROR, T, True),
    ("read_timeout", ErrorCode.PROVIDER_TIMEOUT, T, True),
    ("connection_refused", ErrorCode.NETWORK_ERROR, T, True),
    ("wrapped_rate_limit", ErrorCode.PROVIDER_RATE_LIMITED, T, True),
    ("litellm_rate_limit", ErrorCode.PROVIDER_RATE_LIMITED, T, True),
    ("httpx_read_timeout", ErrorCode.PROVIDER_TIMEOUT, T, True),
    ("httpx_connect_error", ErrorCode.NETWORK_ERROR, T, True),
    ("requests_connection_error", ErrorCode.NETWORK_ERROR, T, True),
    ("dns_failure", ErrorCode.NETWORK_ERROR, T, True),
    ("connection_reset", ErrorCode.NETWORK_ERROR, T, True),
    ("socket_timeout", ErrorCode.PROVIDER_TIMEOUT, T, True),
    ("tool_error", ErrorCode.TOOL_ERROR, P, False),
    ("tool_network_error", ErrorCode.TOOL_UNAVAILABLE, T, True),
    ("output_parser", ErrorCode.LLM_OUTPUT_INVALID, T, True),
    ("missing_input", ErrorCode.INPUT_MISSING, P, False),
    ("crew_error", ErrorCode.CREW_FAILED, P, False),
    ("value_error", ErrorCode.CREW_FAILED, P, False),
    ("memory_error", ErrorCode.RESOURCE_EXHAUSTED, INTERNAL, False),
    ("runner_import_error", ErrorCode.RUNNER_UNAVAILABLE, INTERNAL, False),
]

GOOGLE_PER_MINUTE = (
    "Quota exceeded for quota metric 'Generate Content API requests per minute' and limit "
    "'GenerateContent request limit per minute' of service 'generativelanguage.googleapis.com'"
)


def failure(kind: str, **fields: Any) -> BaseException:
    return build_failure(ScriptFailure(error=kind, **fields))


def rate_limit_error(message: str, body: dict[str, Any] | None, **headers: str) -> BaseException:
    response = httpx.Response(429, headers=headers, request=httpx.Request("POST", URL))
    return openai.RateLimitError(message, response=response, body=body)


def test_the_table_covers_every_failure_the_scripted_crew_raises() -> None:
    assert sorted(kind for kind, *_ in TABLE) == sorted(FAILURE_KINDS)


@pytest.mark.parametrize(
    ("kind", "code", "category", "retryable"), TABLE, ids=[t[0] for t in TABLE]
)
def test_each_failure_gets_its_code_category_and_retryability(
    kind: str, code: ErrorCode, category: Category, retryable: bool
) -> None:
    info = classify(failure(kind))
    assert (info.code, info.category, info.retryable) == (code, category, retryable)
    assert info.message.endswith(".") and "_" not in info.message, "written for people"


# issue 14, item 11: a 429 is retried unless the provider says the quota itself is gone


def test_a_rate_limit_error_without_a_status_code_is_a_rate_limit() -> None:
    class RateLimitError(Exception):
        """Some client libraries raise it with no HTTP response attached."""

    info = classify(RateLimitError("slow down"))
    assert (info.code, info.retryable) == (ErrorCode.PROVIDER_RATE_LIMITED, True)


def test_a_per_minute_quota_429_as_google_words_it_is_a_rate_limit() -> None:
    body = {"error": {"code": 429, "message": GOOGLE_PER_MINUTE, "status": "RESOURCE_EXHAUSTED"}}
    info = classify(rate_limit_error(GOOGLE_PER_MINUTE, body))
    assert (info.code, info.retryable) == (ErrorCode.PROVIDER_RATE_LIMITED, True)


def test_a_per_minute_quota_429_through_litellm_is_a_rate_limit() -> None:
    info = classify(LiteLLMRateLimitError(f"litellm.RateLimitError: {GOOGLE_PER_MINUTE}"))
    assert (info.code, info.retryable) == (ErrorCode.PROVIDER_RATE_LIMITED, True)


def test_a_per_minute_quota_429_in_the_scripted_crew_is_a_rate_limit() -> None:
    info = classify(failure("rate_limit", message=GOOGLE_PER_MINUTE))
    assert (info.code, info.retryable) == (ErrorCode.PROVIDER_RATE_LIMITED, True)


def test_insufficient_quota_in_the_error_body_is_not_retried() -> None:
    body = {"error": {"message": "You exceeded your current quota.", "code": "insufficient_quota"}}
    info = classify(rate_limit_error("You exceeded your current quota.", body))
    assert (info.code, info.retryable) == (ErrorCode.PROVIDER_QUOTA_EXCEEDED, False)


def test_insufficient_quota_quoted_by_litellm_is_not_retried() -> None:
    """litellm keeps no error body: the provider's code survives only in the message."""
    exc = LiteLLMRateLimitError(
        "litellm.RateLimitError: OpenAIException - Error code: 429 - {'error': {'message': "
        "'You exceeded your current quota, please check your plan and billing details.', "
        "'type': 'insufficient_quota', 'param': None, 'code': 'insufficient_quota'}}"
    )
    info = classify(exc)
    assert (info.code, info.retryable) == (ErrorCode.PROVIDER_QUOTA_EXCEEDED, False)


# Retry-After


def test_a_rate_limit_carries_the_providers_retry_after() -> None:
    assert classify(failure("rate_limit", retry_after_seconds=5)).retry_after_seconds == 5.0


def test_retry_after_in_milliseconds_is_read_first() -> None:
    exc = rate_limit_error("slow down", None, **{"retry-after-ms": "1500", "retry-after": "9"})
    assert classify(exc).retry_after_seconds == 1.5


def test_a_retry_after_that_is_not_a_number_is_ignored() -> None:
    exc = rate_limit_error("slow down", None, **{"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})
    info = classify(exc)
    assert (info.code, info.retry_after_seconds) == (ErrorCode.PROVIDER_RATE_LIMITED, None)


def test_a_negative_retry_after_means_now() -> None:
    assert classify(rate_limit_error("x", None, **{"retry-after": "-3"})).retry_after_seconds == 0


def test_a_rate_limit_without_retry_after_has_none() -> None:
    assert classify(failure("rate_limit")).retry_after_seconds is None


def test_retry_after_is_found_on_a_wrapped_rate_limit() -> None:
    exc = failure("wrapped_rate_limit", retry_after_seconds=7)
    assert classify(exc).retry_after_seconds == 7.0


def test_retry_after_is_only_honoured_for_rate_limits() -> None:
    assert classify(failure("server_error", retry_after_seconds=30)).retry_after_seconds is None


def test_an_open_circuit_says_when_it_may_close() -> None:
    info = classify(CircuitOpen("api.openai.com", 12.5))
    assert (info.code, info.category, info.retryable) == (
        ErrorCode.CIRCUIT_OPEN,
        Category.CIRCUIT_OPEN,
        True,
    )
    assert info.retry_after_seconds == 12.5


# CrewFailure and cause chains


def test_the_task_a_crew_failed_in_is_named() -> None:
    info = classify(CrewFailure("write the summary", failure("auth_failed")))
    assert info.code == ErrorCode.PROVIDER_AUTH_FAILED
    assert info.task == "write the summary"
    assert "in write the summary" in info.message and "HTTP 401" in info.message


def test_a_crew_failure_without_a_task_names_none() -> None:
    info = classify(CrewFailure(None, failure("tool_error")))
    assert (info.code, info.task) == (ErrorCode.TOOL_ERROR, None)
    assert info.message == "A tool used by an agent failed."


def test_the_cause_decides_when_the_wrapper_says_nothing() -> None:
    try:
        try:
            raise ConnectionResetError(104, "Connection reset by peer")
        except ConnectionResetError as inner:
            raise RuntimeError("the crew stopped") from inner
    except RuntimeError as exc:
        assert classify(exc).code == ErrorCode.NETWORK_ERROR


def test_an_implicit_context_is_followed_unless_suppressed() -> None:
    try:
        try:
            raise TimeoutError("timed out")
        except TimeoutError:
            raise RuntimeError("while handling it, something else broke") from None
    except RuntimeError as exc:
        assert classify(exc).code == ErrorCode.CREW_FAILED, "from None hides the context"
    try:
        try:
            raise TimeoutError("timed out")
        except TimeoutError:
            raise RuntimeError("while handling it, something else broke")  # noqa: B904
    except RuntimeError as exc:
        assert classify(exc).code == ErrorCode.PROVIDER_TIMEOUT


def test_what_an_exception_is_beats_what_its_wrapper_says() -> None:
    exc = RuntimeError("rate limit? no idea")
    exc.__cause__ = failure("auth_failed")
    assert classify(exc).code == ErrorCode.PROVIDER_AUTH_FAILED


def test_a_cyclic_chain_is_classified_without_looping() -> None:
    first, second = RuntimeError("first"), ValueError("second")
    first.__cause__, second.__cause__ = second, first
    assert classify(first).code == ErrorCode.CREW_FAILED


def test_a_very_long_chain_is_read_only_16_deep() -> None:
    exc: BaseException = TimeoutError("timed out")
    for depth in range(30):
        wrapper = RuntimeError(f"layer {depth}")
        wrapper.__cause__ = exc
        exc = wrapper
    info = classify(exc)
    assert (info.detail or "").count(" <- ") == 15
    assert info.code == ErrorCode.CREW_FAILED, "the timeout lies past what is read"


def test_the_detail_names_every_exception_in_the_chain() -> None:
    detail = classify(failure("read_timeout")).detail or ""
    assert detail.startswith("ConnectionError: Failed to get a response from LLM <- ")
    assert "APITimeoutError" in detail


def test_a_key_quoted_by_the_provider_stays_out_of_the_detail() -> None:
    message = "Incorrect API key provided: sk-proj-Zx81ab29Qw77Lm45TyPl"
    info = classify(failure("auth_failed", message=message))
    assert "AuthenticationError" in (info.detail or "")
    assert "Zx81ab29Qw77Lm45TyPl" not in (info.detail or "") + info.message


def test_only_provider_codes_name_the_http_status() -> None:
    assert "HTTP 503" in classify(failure("service_unavailable")).message
    assert "HTTP" not in classify(failure("model_not_found")).message
    assert "HTTP" not in classify(failure("tool_error")).message


# the service's own exceptions and the rest


def test_a_missing_provider_key_is_not_retried() -> None:
    info = classify(ProviderKeyMissing("OPENAI_API_KEY is not set on the worker"))
    assert (info.code, info.retryable) == (ErrorCode.PROVIDER_KEY_MISSING, False)


def test_a_crew_returning_no_result_is_reported_as_such() -> None:
    assert classify(CrewOutputInvalid("None")).code == ErrorCode.CREW_OUTPUT_INVALID


def test_a_tool_that_failed_on_the_network_as_crewai_records_it_is_unavailable() -> None:
    class Failure:
        code = "ConnectionError"

    class Record:
        failure = Failure()

    class ToolExecutionFailedError(Exception):
        record = Record()

    info = classify(ToolExecutionFailedError("the search tool failed"))
    assert (info.code, info.retryable) == (ErrorCode.TOOL_UNAVAILABLE, True)


def test_a_tool_failing_on_its_own_input_is_a_tool_error() -> None:
    exc = ToolUsageError("the tool raised an error")
    exc.__cause__ = ValueError("bad input")
    assert classify(exc).code == ErrorCode.TOOL_ERROR


def test_a_graph_the_library_refuses_is_invalid() -> None:
    class Model(pydantic.BaseModel):
        count: int

    with pytest.raises(pydantic.ValidationError) as refused:
        Model.model_validate({"count": "many"})
    assert classify(refused.value).code == ErrorCode.GRAPH_INVALID


def test_a_timeout_named_only_in_words_is_a_provider_timeout() -> None:
    assert classify(RuntimeError("the request timed out")).code == ErrorCode.PROVIDER_TIMEOUT


def test_too_many_requests_in_words_is_a_rate_limit() -> None:
    assert classify(RuntimeError("429 Too Many Requests")).code == ErrorCode.PROVIDER_RATE_LIMITED


def test_an_unknown_exception_is_a_crew_failure() -> None:
    info = classify(KeyError("result"))
    assert (info.code, info.category, info.retryable) == (ErrorCode.CREW_FAILED, P, False)
