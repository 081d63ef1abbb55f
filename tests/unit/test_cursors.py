"""Page cursors (``execution_service.store.execution_reads``): a cursor names a position
``(created_at, id)`` and reads back exactly; anything else is refused with ``ValueError``."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from execution_service.store.execution_reads import decode_cursor, encode_cursor

IDENT = uuid.UUID("0b9f3c4e-8a61-4f2b-9a7d-3c5e1f2a4b6d")


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "created",
    [
        datetime(2025, 3, 1, 12, 30, 45, 123456, tzinfo=UTC),
        datetime(2025, 3, 1, 12, 30, 45, tzinfo=UTC),
        datetime(2025, 3, 1, 14, 30, tzinfo=timezone(timedelta(hours=2))),
        datetime(2025, 3, 1, 12, 30, 45, 7),
    ],
    ids=["microseconds", "whole-seconds", "offset", "naive"],
)
def test_a_cursor_reads_back_as_the_position_it_names(created: datetime) -> None:
    found = decode_cursor(encode_cursor(created, IDENT))
    assert found == (created, IDENT)
    assert found[0].utcoffset() == created.utcoffset()


def test_a_cursor_is_safe_in_a_url_and_unpadded() -> None:
    cursor = encode_cursor(datetime(2025, 1, 1, tzinfo=UTC), IDENT)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_positions_one_microsecond_apart_get_different_cursors() -> None:
    at = datetime(2025, 1, 1, tzinfo=UTC)
    later = at + timedelta(microseconds=1)
    assert encode_cursor(at, IDENT) != encode_cursor(later, IDENT)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!not base64!!!",
        b64(b"2025-01-01T00:00:00"),
        b64(f"2025-01-01T00:00:00|{IDENT}|extra".encode()),
        b64(f"yesterday|{IDENT}".encode()),
        b64(b"2025-01-01T00:00:00|not-a-uuid"),
        b64(b"\xff\xfe|\x80"),
        "A",
    ],
    ids=["empty", "not-base64", "no-id", "three-parts", "bad-date", "bad-id", "not-utf8", "1-char"],
)
def test_anything_but_a_cursor_is_refused_with_value_error(cursor: str) -> None:
    with pytest.raises(ValueError, match="not a cursor this service handed out"):
        decode_cursor(cursor)


@given(st.datetimes(timezones=st.just(UTC)), st.uuids())
def test_every_position_round_trips(created: datetime, ident: uuid.UUID) -> None:
    assert decode_cursor(encode_cursor(created, ident)) == (created, ident)
