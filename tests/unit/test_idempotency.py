"""What "the same request" is for an ``Idempotency-Key`` (``service/idempotency.py``), and
which keys are accepted: pure, no store."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from execution_service.api.schemas import parse_idempotency_key, parse_queue_request
from execution_service.service.idempotency import (
    MAX_KEY_LENGTH,
    canonical_json,
    key_problem,
    request_digest,
)

GRAPH = uuid.UUID("6f1c1f4e-8d1a-4d43-9a5e-2b0c1d9e7a10")
OTHER_GRAPH = uuid.UUID("0b8e3c52-1f7d-4a35-8f0e-6a2d9c4b1e23")


def digest_of(body: bytes, graph_id: uuid.UUID = GRAPH) -> str:
    """The digest of a queue request's body as the API parses it."""
    request = parse_queue_request(body)
    return request_digest(
        graph_id,
        request.inputs,
        request.priority.value,
        request.timeout_seconds,
        request.queue_timeout_seconds,
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (b"", b"null"),
        (b"", b"{}"),
        (b"{}", b'{"inputs": {}, "priority": "normal"}'),
        (b'{"inputs": {"a": 1, "b": [1, 2]}}', b'{ "inputs" : { "b" : [1,2], "a" : 1 } }'),
        (
            b'{"priority": "high", "inputs": {"x": "y"}}',
            b'{"inputs": {"x": "y"}, "priority": "high"}',
        ),
        (b'{"timeout_seconds": 30}', b'{"timeout_seconds": 30.0}'),
        (b'{"inputs": {"t": "\\u00e9"}}', '{"inputs": {"t": "é"}}'.encode()),
    ],
)
def test_the_same_request_written_differently_has_one_digest(first: bytes, second: bytes) -> None:
    assert digest_of(first) == digest_of(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (b"{}", b'{"inputs": {"a": 1}}'),
        (b'{"inputs": {"a": 1}}', b'{"inputs": {"a": 1.0}}'),
        (b'{"inputs": {"a": "x"}}', b'{"inputs": {"a": "x "}}'),
        (b'{"inputs": {"a": [1, 2]}}', b'{"inputs": {"a": [2, 1]}}'),
        (b'{"inputs": {"a": null}}', b"{}"),
        (b"{}", b'{"priority": "high"}'),
        (b"{}", b'{"timeout_seconds": 30}'),
        (b'{"timeout_seconds": 30}', b'{"queue_timeout_seconds": 30}'),
    ],
)
def test_a_different_body_has_another_digest(first: bytes, second: bytes) -> None:
    assert digest_of(first) != digest_of(second)


def test_the_same_body_for_another_graph_has_another_digest() -> None:
    assert digest_of(b"{}", GRAPH) != digest_of(b"{}", OTHER_GRAPH)


def test_the_digest_is_sha256_of_the_canonical_request() -> None:
    digest = digest_of(b'{"inputs": {"b": 2, "a": "\xc3\xa9"}}')
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert canonical_json({"b": 2, "a": "é"}) == '{"a":"é","b":2}'.encode()


# texts a request can carry (no lone surrogate: not JSON) and a store keeps (no NUL)
texts = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=5)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner),
    max_leaves=10,
)


@given(st.dictionaries(texts, json_values, max_size=5))
def test_the_members_order_and_spacing_never_matter(inputs: dict[str, object]) -> None:
    compact = json.dumps({"inputs": inputs}, separators=(",", ":")).encode()
    reordered = json.dumps(
        {"inputs": dict(reversed(list(inputs.items())))}, indent=2, sort_keys=True
    ).encode()
    assert digest_of(compact) == digest_of(reordered)


@pytest.mark.parametrize(
    "key",
    ["a", "order-2026-12-02-0001", str(uuid.uuid4()), "!~#$%&'*+-.^_`|", "k" * MAX_KEY_LENGTH],
)
def test_a_key_of_visible_ascii_is_accepted(key: str) -> None:
    assert key_problem(key) is None
    assert parse_idempotency_key([key]) == key


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "must not be empty"),
        ("k" * (MAX_KEY_LENGTH + 1), "is 256 characters long; at most 255 are accepted"),
        ("two words", "visible ASCII"),
        ("caf\u00e9", "visible ASCII"),
        ("tab\there", "visible ASCII"),
    ],
)
def test_a_bad_key_is_refused_naming_the_header(key: str, problem: str) -> None:
    found = key_problem(key)
    assert found is not None and problem in found
    with pytest.raises(Exception) as refused:
        parse_idempotency_key([key])
    (error,) = refused.value.errors()  # type: ignore[attr-defined]
    assert error["loc"] == ("Idempotency-Key",)
    assert problem in error["msg"]


def test_no_key_is_no_key_and_two_keys_are_refused() -> None:
    assert parse_idempotency_key([]) is None
    with pytest.raises(Exception) as refused:
        parse_idempotency_key(["a", "b"])
    assert refused.value.errors()[0]["msg"] == "must be given once"  # type: ignore[attr-defined]
