"""Reading executions page by page: newest first, keyset-paginated by
``(created_at, id)``, so a page never repeats or skips a row when others are added."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime


def encode_cursor(created_at: datetime, execution_id: uuid.UUID) -> str:
    """The opaque cursor of the page after the execution ``(created_at, execution_id)``."""
    raw = f"{created_at.isoformat()}|{execution_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The position an :func:`encode_cursor` cursor names; ``ValueError`` for anything else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, ident = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        return datetime.fromisoformat(created), uuid.UUID(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("not a cursor this service handed out") from exc
