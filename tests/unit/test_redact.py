"""Redaction (``execution_service.errors.redact.redact``): secrets quoted in an error never
reach users, the database or the logs; the rest of the text stays readable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from execution_service.errors.redact import redact

# (text with a secret, the secret, what must stay readable)
SECRETS: list[tuple[str, str, str]] = [
    (
        "Incorrect API key provided: sk-proj-Zx81ab29Qw77Lm45TyPl",
        "Zx81ab29Qw77Lm45TyPl",
        "Incorrect API key provided: sk-",
    ),
    ("invalid x-api-key sk-ant-api03-AbCdEf123456", "AbCdEf123456", "invalid x-api-key"),
    ("bad credentials ghp_16C7e42F292c6912E7710c838347Ae178B4a", "16C7e42F292c", "bad credentials"),
    ("AWS AKIAIOSFODNN7EXAMPLE was refused", "AKIAIOSFODNN7EXAMPLE", "was refused"),
    ("key AIzaSyA-1234567890abcdefghijklmn rejected", "1234567890abcdef", "rejected"),
    (
        "cannot reach https://api.example.com/v1/chat?access_token=tok9f8e7d6c5b4a3",
        "tok9f8e7d6c5b4a3",
        "https://api.example.com/v1/chat?access_token=",
    ),
    ("GET /v1/models?api_key=abcd1234efgh&limit=5", "abcd1234efgh", "&limit=5"),
    ("login failed: password=hunter2secret", "hunter2secret", "login failed"),
    (
        "lost postgresql://admin:hunter2secretpw@db.internal/crew",
        "hunter2secretpw",
        "postgresql://admin:",
    ),
    ("redis://:s3cr3tpassword@cache:6379/0 refused", "s3cr3tpassword", "@cache:6379/0 refused"),
    # issue 14, item 7: bearer and basic credentials
    ("Authorization: Bearer abc.def-ghi", "abc.def-ghi", "Authorization: Bearer"),
    ("sent Basic dXNlcjpwYXNz to the proxy", "dXNlcjpwYXNz", "to the proxy"),
    (
        '{"headers": {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-x_y"}}',
        "eyJhbGciOiJIUzI1NiJ9",
        '"Authorization": "Bearer',
    ),
    ("{'authorization': 'basic YWxhZGRpbjpvcGVuc2VzYW1l'}", "YWxhZGRpbjpvcGVuc2VzYW1l", "'basic"),
    ("Proxy-Authorization: Basic dXNlcjpwYXNz==", "dXNlcjpwYXNz", "Proxy-Authorization"),
    ("authorization: bearer ya29.a0AfH6SMC_x-yz/+=", "a0AfH6SMC", "authorization: bearer"),
    ("Authorization: Token 9944b09199c62bcf9418ad846dd0e4bb", "9944b09199c62bcf", "Token"),
    ('{"client_secret": "cs_live_51Hxyz"}', "cs_live_51Hxyz", '"client_secret": "'),
]


@pytest.mark.parametrize(("text", "secret", "kept"), SECRETS, ids=[s[1][:12] for s in SECRETS])
def test_the_secret_is_removed_and_the_rest_kept(text: str, secret: str, kept: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert kept in cleaned
    assert "[REDACTED]" in cleaned


def test_the_scheme_of_a_credential_stays_so_operators_know_what_was_sent() -> None:
    assert redact("Authorization: Bearer abc.def-ghi") == "Authorization: Bearer [REDACTED]"
    assert redact("Basic dXNlcjpwYXNz") == "Basic [REDACTED]"


def test_a_key_keeps_its_prefix_so_operators_know_which_kind_it_was() -> None:
    assert redact("key sk-proj-Zx81ab29Qw77Lm45TyPl") == "key sk-[REDACTED]"


def test_the_user_in_a_connection_address_stays() -> None:
    assert (
        redact("postgresql://admin:pw12345678@db/crew") == "postgresql://admin:[REDACTED]@db/crew"
    )


def test_every_secret_in_one_text_is_removed() -> None:
    text = " ".join(text for text, _, _ in SECRETS)
    cleaned = redact(text, limit=100_000)
    assert [secret for _, secret, _ in SECRETS if secret in cleaned] == []


@pytest.mark.parametrize(
    "text",
    [
        "The model provider is rate-limiting requests (HTTP 429).",
        "Rate limit reached for gpt-4o on requests per min (RPM): Limit 500, Used 500.",
        "ConnectionError: Failed to get a response from LLM <- APITimeoutError: Request timed out.",
        "Quota exceeded for quota metric 'Generate Content API requests per minute'",
        "https://api.example.com/v1/chat/completions returned 503",
    ],
)
def test_text_without_secrets_is_left_as_it_is(text: str) -> None:
    assert redact(text) == text


def test_a_long_text_is_cut_to_the_limit_with_an_ellipsis() -> None:
    cleaned = redact("x" * 5000, limit=100)
    assert len(cleaned) == 100 and cleaned.endswith("…")
    assert redact("y" * 100, limit=100) == "y" * 100


def test_a_secret_past_the_limit_is_removed_before_cutting() -> None:
    cleaned = redact("a" * 1990 + " sk-proj-Zx81ab29Qw77Lm45TyPl")
    assert len(cleaned) <= 2000 and "Zx81ab29" not in cleaned


@given(st.text(max_size=300))
def test_redacting_twice_changes_nothing_more(text: str) -> None:
    once = redact(text, limit=10_000)
    assert redact(once, limit=10_000) == once


@given(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=8),
    st.sampled_from(["Bearer", "bearer", "Basic", "BASIC"]),
    st.sampled_from(["Authorization: {} {}", '"Authorization": "{} {}"', "{} {}"]),
)
def test_any_bearer_or_basic_credential_is_removed(token: str, scheme: str, shape: str) -> None:
    cleaned = redact(shape.format(scheme, token), limit=10_000)
    assert token not in cleaned
