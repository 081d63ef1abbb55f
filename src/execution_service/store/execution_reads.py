"""Reading executions: one by id (the busiest read), its history, and pages of them,
newest first, keyset-paginated by ``(created_at, id)`` so that a page never repeats or
skips a row when others are added."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, Uuid, and_, bindparam, exists, or_, select
from sqlalchemy.orm import aliased

from execution_service.store.engine import read, read_scope
from execution_service.store.models import Execution, ExecutionEvent, ExecutionMetadata


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


@dataclass(frozen=True)
class Match:
    """Which of an owner's executions: each filter given must hold (None: any)."""

    owner: str
    statuses: Collection[str] | None = None
    graph_id: uuid.UUID | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    created_before: datetime | None = None
    created_after: datetime | None = None


def _matching(match: Match, *columns: Any) -> tuple[Select[Any], Any, Any]:
    """A select of ``columns`` of the matching executions, and the ``(created_at, id)``
    columns its pages are ordered by.

    With metadata, the rows come from the metadata index: one key and value (the first
    in key order) leads, newest first, and each other key is a lookup by the execution's
    id; every execution index stays as it was (see migration 0012)."""
    if match.metadata:
        (key, value), *others = sorted(match.metadata.items())
        lead = ExecutionMetadata
        query = (
            select(*columns)
            .select_from(lead)
            .join(Execution, Execution.id == lead.execution_id)
            .where(lead.owner == match.owner, lead.key == key, lead.value == value)
        )
        for other_key, other_value in others:
            other = aliased(ExecutionMetadata)
            query = query.where(
                exists().where(
                    other.execution_id == lead.execution_id,
                    other.key == other_key,
                    other.value == other_value,
                )
            )
        created, ident = lead.created_at, lead.execution_id
    else:
        query = select(*columns).where(Execution.owner == match.owner)
        created, ident = Execution.created_at, Execution.id
    if match.statuses is not None:
        statuses = sorted(match.statuses)
        query = query.where(
            Execution.status == statuses[0]
            if len(statuses) == 1
            else Execution.status.in_(statuses)
        )
    if match.graph_id is not None:
        query = query.where(Execution.graph_id == match.graph_id)
    if match.created_before is not None:
        query = query.where(created < match.created_before)
    if match.created_after is not None:
        query = query.where(created >= match.created_after)
    return query, created, ident


def read_page(
    match: Match, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> tuple[list[Execution], str | None]:
    """Up to ``limit`` of the matching executions newest first, after the position
    ``after`` (from a cursor), and the cursor of the next page (None on the last page)."""
    query, created, ident = _matching(match, Execution)
    if after is not None:
        at, last = after
        query = query.where(or_(created < at, and_(created == at, ident < last)))
    query = query.order_by(created.desc(), ident.desc()).limit(limit + 1)
    with read_scope() as session:
        rows = list(session.scalars(query))
    page = rows[:limit]
    following = encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return page, following


def matching_ids(match: Match, limit: int) -> list[uuid.UUID]:
    """The ids of up to ``limit`` matching executions, oldest first."""
    query, created, ident = _matching(match, Execution.id)
    query = query.order_by(created, ident).limit(limit)
    return list(read(lambda conn: conn.execute(query).scalars().all()))
