"""Reading executions: one by id (the busiest read), its history, and pages of them,
newest first, keyset-paginated by ``(created_at, id)`` so that a page never repeats or
skips a row when others are added."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Uuid, and_, bindparam, or_, select

from execution_service.store.engine import read, read_scope
from execution_service.store.models import Execution, ExecutionEvent


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


# the busiest read: a plain row (no ORM object) is all its view needs
_BY_ID = select(*Execution.__table__.columns).where(
    Execution.__table__.c.id == bindparam("execution_id", type_=Uuid())
)


def read_execution(execution_id: uuid.UUID) -> Row[Any] | None:
    """One execution's row (every column), or None."""
    return read(lambda conn: conn.execute(_BY_ID, {"execution_id": execution_id}).first())


def read_history(execution_id: uuid.UUID, owner: str) -> list[ExecutionEvent] | None:
    """The owner's execution's status history, oldest first; None when the owner has no
    such execution."""
    with read_scope() as session:
        execution = session.get(Execution, execution_id)
        if execution is None or execution.owner != owner:
            return None
        return list(
            session.scalars(
                select(ExecutionEvent)
                .where(ExecutionEvent.execution_id == execution_id)
                .order_by(ExecutionEvent.id)
            )
        )


def read_page(
    owner: str,
    status: str | None,
    graph_id: uuid.UUID | None,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> tuple[list[Execution], str | None]:
    """Up to ``limit`` of the owner's executions newest first, after the position
    ``after`` (from a cursor), and the cursor of the next page (None on the last page)."""
    query = select(Execution).where(Execution.owner == owner)
    if status is not None:
        query = query.where(Execution.status == status)
    if graph_id is not None:
        query = query.where(Execution.graph_id == graph_id)
    if after is not None:
        created, ident = after
        query = query.where(
            or_(
                Execution.created_at < created,
                and_(Execution.created_at == created, Execution.id < ident),
            )
        )
    query = query.order_by(Execution.created_at.desc(), Execution.id.desc()).limit(limit + 1)
    with read_scope() as session:
        rows = list(session.scalars(query))
    page = rows[:limit]
    following = encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return page, following
