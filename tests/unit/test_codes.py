"""The codes of failures (``execution_service.errors.codes``): what a caller is told of
each one (category, whether it may fix itself, a sentence for people), and which failures
count towards opening the circuit breaker. Written out by hand, like the status machine
in test_status.py: a change to the table must change this too (`.ci/mutation` checks).
"""

from __future__ import annotations

import pytest

from execution_service.errors.codes import (
    CODES,
    PROVIDER_OUTAGE_CODES,
    Category,
    ErrorCode,
    ErrorInfo,
    error_info,
)

T, P, INTERNAL = Category.TRANSIENT, Category.PERMANENT, Category.INTERNAL

# every code an execution's error can carry: (category, retryable)
EXPECTED: dict[ErrorCode, tuple[Category, bool]] = {
    ErrorCode.PROVIDER_RATE_LIMITED: (T, True),
    ErrorCode.PROVIDER_QUOTA_EXCEEDED: (P, False),
    ErrorCode.PROVIDER_UNAVAILABLE: (T, True),
    ErrorCode.PROVIDER_OVERLOADED: (T, True),
    ErrorCode.PROVIDER_TIMEOUT: (T, True),
    ErrorCode.NETWORK_ERROR: (T, True),
    ErrorCode.PROVIDER_AUTH_FAILED: (P, False),
    ErrorCode.PROVIDER_KEY_MISSING: (P, False),
    ErrorCode.PROVIDER_NOT_ALLOWED: (P, False),
    ErrorCode.PROVIDER_PERMISSION_DENIED: (P, False),
    ErrorCode.MODEL_NOT_FOUND: (P, False),
    ErrorCode.CONTEXT_LENGTH_EXCEEDED: (P, False),
    ErrorCode.CONTENT_FILTERED: (P, False),
    ErrorCode.PROVIDER_BAD_REQUEST: (P, False),
    ErrorCode.LLM_OUTPUT_INVALID: (T, True),
    ErrorCode.TOOL_ERROR: (P, False),
    ErrorCode.TOOL_UNAVAILABLE: (T, True),
    ErrorCode.INPUT_MISSING: (P, False),
    ErrorCode.GRAPH_INVALID: (P, False),
    ErrorCode.CREW_OUTPUT_INVALID: (P, False),
    ErrorCode.CREW_FAILED: (P, False),
    ErrorCode.RUNNER_UNAVAILABLE: (INTERNAL, False),
    ErrorCode.RESOURCE_EXHAUSTED: (INTERNAL, False),
    ErrorCode.INTERNAL_ERROR: (INTERNAL, False),
    ErrorCode.CIRCUIT_OPEN: (Category.CIRCUIT_OPEN, True),
    ErrorCode.EXECUTION_TIMEOUT: (Category.TIMEOUT, False),
    ErrorCode.QUEUE_TIMEOUT: (Category.TIMEOUT, False),
    ErrorCode.WORKER_LOST: (T, True),
    ErrorCode.EXECUTION_CANCELLED: (Category.CANCELLED, False),
    ErrorCode.BUDGET_EXCEEDED: (P, False),
    ErrorCode.BROKER_UNAVAILABLE: (T, True),
}


def test_the_table_has_every_code_an_execution_can_fail_with() -> None:
    assert set(CODES) == set(EXPECTED)


@pytest.mark.parametrize("code", list(EXPECTED), ids=[c.value for c in EXPECTED])
def test_each_code_is_told_with_its_category_and_retryability(code: ErrorCode) -> None:
    info = error_info(code)
    assert (info.code, info.category, info.retryable) == (code, *EXPECTED[code])


def test_only_what_may_fix_itself_is_retried() -> None:
    wrongly = {
        code
        for code, (category, retryable, _) in CODES.items()
        if retryable != (category in {T, Category.CIRCUIT_OPEN})
    }
    assert wrongly == set()


@pytest.mark.parametrize("code", list(EXPECTED), ids=[c.value for c in EXPECTED])
def test_each_message_is_a_sentence_for_people(code: ErrorCode) -> None:
    message = error_info(code).message
    assert message[0].isupper() and message.endswith("."), message
    assert "_" not in message and code.value not in message, "no code names, no identifiers"


def test_no_two_codes_share_a_message() -> None:
    messages = [message for _, _, message in CODES.values()]
    assert len(set(messages)) == len(messages)


def test_what_is_known_of_a_failure_travels_with_it() -> None:
    info = error_info(ErrorCode.PROVIDER_RATE_LIMITED, retry_after_seconds=4.0, task="write")
    assert info == ErrorInfo(
        code=ErrorCode.PROVIDER_RATE_LIMITED,
        category=T,
        retryable=True,
        message="The model provider is rate-limiting requests.",
        retry_after_seconds=4.0,
        task="write",
    )


def test_the_provider_failures_that_open_the_circuit() -> None:
    """Rate limits, 5xx (unavailable, overloaded), timeouts and network errors: the
    provider's own trouble. Bad credentials, a bad request, a tool's or the crew's own
    failure say nothing about the provider's health and never open it."""
    outages = {
        ErrorCode.PROVIDER_RATE_LIMITED,
        ErrorCode.PROVIDER_UNAVAILABLE,
        ErrorCode.PROVIDER_OVERLOADED,
        ErrorCode.PROVIDER_TIMEOUT,
        ErrorCode.NETWORK_ERROR,
    }
    assert outages == PROVIDER_OUTAGE_CODES
