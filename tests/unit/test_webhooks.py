"""Webhooks: the Standard Webhooks signature, the outbound URL policy, the retry rule,
and how webhooks are validated in a graph's settings and a queue request."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from execution_service.graph import GraphSettings
from execution_service.webhook_policy import (
    new_secret,
    refusal,
    retry_delay,
    retryable,
    sign,
    verify,
)

# the test vector of the Standard Webhooks reference libraries
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MESSAGE_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_signature_is_the_standard_one() -> None:
    assert sign(SECRET, MESSAGE_ID, TIMESTAMP, BODY) == SIGNATURE


def test_a_signature_verifies_only_its_own_message() -> None:
    assert verify(SECRET, MESSAGE_ID, TIMESTAMP, BODY, f"v1,bogus {SIGNATURE}")
    assert not verify(SECRET, MESSAGE_ID, TIMESTAMP + 1, BODY, SIGNATURE)
    assert not verify(SECRET, "msg_other", TIMESTAMP, BODY, SIGNATURE)
    assert not verify(SECRET, MESSAGE_ID, TIMESTAMP, BODY + b" ", SIGNATURE)
    assert not verify(new_secret(), MESSAGE_ID, TIMESTAMP, BODY, SIGNATURE)


def test_new_secrets_differ_and_sign() -> None:
    one, two = new_secret(), new_secret()
    assert one != two and one.startswith("whsec_")
    assert verify(one, "m", 1, b"x", sign(one, "m", 1, b"x"))


def _refused(url: str, **kw: object) -> str | None:
    options: dict[str, object] = {"allow_private": False, "allowed_hosts": ()}
    options.update(kw)
    return refusal(url, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.1/hook",
        "http://172.16.5.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:9000/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://0.0.0.0/hook",
        "http://localhost:9000/hook",
        "http://224.0.0.1/hook",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(url: str) -> None:
    assert _refused(url) is not None


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "http://user:pw@example.com/", "http://example.com/?a=1", "x"],
)
def test_what_is_not_a_plain_http_url_is_refused(url: str) -> None:
    assert _refused(url) is not None
    assert _refused(url, allow_private=True) is not None


def test_public_hosts_are_allowed() -> None:
    assert _refused("https://hooks.example.com/in") is None
    assert _refused("https://93.184.216.34/in") is None
    assert _refused("https://hooks.example.com/in", addresses=["93.184.216.34"]) is None


def test_a_name_resolving_to_a_private_address_is_refused_at_delivery() -> None:
    # DNS rebinding: public at queueing, private when delivered
    assert _refused("https://hooks.example.com/in") is None
    assert _refused("https://hooks.example.com/in", addresses=["93.184.216.34", "10.0.0.7"])
    assert _refused("https://hooks.example.com/in", addresses=[]) is not None
    assert _refused("http://api.localhost/hook") is None  # a name: checked once resolved
    assert _refused("http://api.localhost/hook", addresses=["127.0.0.1"]) is not None


def test_the_documented_url_pattern_accepts_only_what_the_policy_allows() -> None:
    import re

    from execution_service.webhook_policy import NAMED_URL_PATTERN

    pattern = re.compile(NAMED_URL_PATTERN)
    for url in ["https://hooks.example.com/in", "http://a.b.co:8080/x/y/", "https://x.io"]:
        assert pattern.match(url) and _refused(url) is None
    for url in ["http://127.0.0.1/x", "http://localhost/x", "https://x.io/../y", "x.io"]:
        assert not pattern.match(url)


def test_the_operator_may_allow_hosts_or_every_private_address() -> None:
    assert _refused("http://127.0.0.1:9/x", allowed_hosts=("127.0.0.1",)) is None
    assert (
        _refused("http://127.0.0.1:9/x", allowed_hosts=("127.0.0.1",), addresses=["127.0.0.1"])
        is None
    )
    # only the hosts named: another loopback address or name stays refused
    assert _refused("http://127.0.0.2:9/x", allowed_hosts=("127.0.0.1",)) is not None
    assert _refused("http://localhost:9/x", allowed_hosts=("127.0.0.1",)) is not None
    assert _refused("http://10.0.0.1/x", allow_private=True) is None


def test_failed_tries_wait_longer_each_time_up_to_the_longest() -> None:
    assert [retry_delay(n, 1.0, 5.0) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 5.0, 5.0]


@pytest.mark.parametrize(
    ("code", "again"),
    [
        (None, True),
        (500, True),
        (503, True),
        (429, True),
        (408, True),
        (400, False),
        (404, False),
        (410, False),
        (301, False),
    ],
)
def test_which_answers_are_tried_again(code: int | None, again: bool) -> None:
    assert retryable(code) is again


def test_a_graph_names_valid_webhooks() -> None:
    settings = GraphSettings.model_validate(
        {"webhooks": [{"url": "https://h.example.com/x", "events": ["execution.completed"]}]}
    )
    assert settings.webhooks is not None and settings.webhooks[0].events == ["execution.completed"]


@pytest.mark.parametrize(
    ("hooks", "field"),
    [
        ([{"url": "https://h.example.com/x", "events": ["execution.exploded"]}], "events"),
        ([{"url": "https://h.example.com/x", "events": []}], "events"),
        ([{"url": "https://h.example.com/x", "events": ["task.completed"] * 2}], "events"),
        ([{"url": "gopher://h.example.com/x", "events": ["execution.failed"]}], "url"),
        ([{"url": "https://h.example.com/" + "a" * 2001, "events": ["execution.failed"]}], "url"),
        ([{"url": "https://h.example.com/x", "events": ["execution.failed"]}] * 6, "webhooks"),
        ([{"url": "https://h.example.com/x", "events": ["execution.failed"], "x": 1}], "x"),
    ],
)
def test_invalid_webhooks_are_refused_naming_the_field(
    hooks: list[dict[str, object]], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        GraphSettings.model_validate({"webhooks": hooks})
    assert any(field in map(str, error["loc"]) for error in raised.value.errors())
