"""Page cursors' edges (``execution_service.store.execution_reads``), found by mutation testing
(`.ci/mutation`): a cursor whose text needs padding restored before it decodes, and the
exact refusal of anything else."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from execution_service.store.execution_reads import decode_cursor, encode_cursor

IDENT = uuid.UUID("0b9f3c4e-8a61-4f2b-9a7d-3c5e1f2a4b6d")


def test_a_cursor_missing_one_padding_character_reads_back() -> None:
    """A naive whole-second position (SQLite keeps no zone) encodes to 75 characters: one
    ``=`` was stripped and must be put back (a 5-character rule would add none)."""
    created = datetime(2025, 3, 1, 12, 30, 45)
    cursor = encode_cursor(created, IDENT)
    assert len(cursor) % 4 == 3
    assert decode_cursor(cursor) == (created, IDENT)


def test_a_forged_cursor_is_refused_in_these_words() -> None:
    with pytest.raises(ValueError) as refused:
        decode_cursor("not-a-cursor")
    assert str(refused.value) == "not a cursor this service handed out"
