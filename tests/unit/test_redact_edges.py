"""Redaction's edges (``execution_service.errors.redact``), found by mutation testing
(`.ci/mutation`): what each kind of key becomes, exactly, so operators reading a redacted
detail see where a secret was and nothing else."""

from __future__ import annotations

import pytest

from execution_service.errors.redact import redact


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("token ghp_16C7e42F292c6912E7710c838347Ae178B4a refused", "token [REDACTED] refused"),
        ("slack xoxb-123456789012-abcdef was revoked", "slack [REDACTED] was revoked"),
        ("AWS AKIAIOSFODNN7EXAMPLE was refused", "AWS [REDACTED] was refused"),
        ("key AIzaSyA-1234567890abcdefghijklmn rejected", "key [REDACTED] rejected"),
        ("invalid sk-ant-api03-AbCdEf123456", "invalid sk-[REDACTED]"),
        ("retry with rk-live0123456789 later", "retry with rk-[REDACTED] later"),
    ],
    ids=["github", "slack", "aws", "google", "anthropic", "restricted"],
)
def test_a_key_becomes_exactly_a_marker(text: str, redacted: str) -> None:
    assert redact(text) == redacted
