"""The tokens an owner's executions used, by time: the queue statistics' "tokens in the
last minute".

A worker that writes an execution's usage (``store/attempts.py``: with its throttled
progress, and at the attempt's end) records the tokens used since its previous write,
one row (:func:`record`); the statistics sum an owner's rows of the last minute over
the index ``(owner, at)`` (:func:`tokens_since`); the reapers delete rows older than
:data:`KEEP_SECONDS` (:func:`forget_usage_records`), so the table holds a few minutes of
writes. Executions that make no model call write no row.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, delete, func, insert, literal, select

from execution_service.store.engine import session_scope
from execution_service.store.models import Execution, UsageRecord

KEEP_SECONDS = 300.0
"""How long a record is kept (the statistics look one minute back)."""

_RECORDS = cast(Table, UsageRecord.__table__)
_EXECUTIONS = cast(Table, Execution.__table__)
# the owner is the execution's: read in the insert itself
_RECORD = insert(_RECORDS).from_select(
    ("owner", "at", "tokens"),
    select(
        _EXECUTIONS.c.owner,
        bindparam("at", type_=_RECORDS.c.at.type),
        literal(0, _RECORDS.c.tokens.type) + bindparam("tokens", type_=_RECORDS.c.tokens.type),
    ).where(_EXECUTIONS.c.id == bindparam("execution_id", type_=_EXECUTIONS.c.id.type)),
)


def record(conn: Any, execution_id: uuid.UUID, at: datetime, tokens: int) -> None:
    """In the caller's transaction: ``tokens`` used by the execution, recorded at ``at``."""
    conn.execute(_RECORD, {"execution_id": execution_id, "at": at, "tokens": tokens})


def tokens_since(owner: Any, since: Any) -> Select[Any]:
    """The statement: the tokens the owner's executions used at or after ``since`` (read
    with the queue statistics' other counts, ``store/queue_counts.py``); each a value or
    a bound parameter."""
    return select(func.coalesce(func.sum(_RECORDS.c.tokens), 0)).where(
        _RECORDS.c.owner == owner, _RECORDS.c.at >= since
    )


def forget_usage_records(before: datetime, limit: int = 10_000) -> int:
    """Delete up to ``limit`` records made before ``before``; how many went."""
    with session_scope() as session:
        conn = session.connection()
        old = select(_RECORDS.c.id).where(_RECORDS.c.at < before).limit(limit)
        gone = conn.execute(delete(_RECORDS).where(_RECORDS.c.id.in_(old.scalar_subquery())))
        return int(gone.rowcount or 0)
