"""Recording queued executions, a batch at a time, within each graph's limit and each
owner's.

One transaction per batch: each owner's lock and one count of its active executions,
each graph's lock and one count of its active executions, one multi-row insert of
executions and one of their first history rows, one commit (see
``service/admission.py`` for why requests are batched).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import String, Table, Uuid, bindparam, func, insert, select

from execution_service.status import ACTIVE
from execution_service.store.engine import session_scope
from execution_service.store.models import (
    Execution,
    ExecutionEvent,
    ExecutionMetadata,
    Graph,
    Owner,
)

_EXECUTIONS = cast(Table, Execution.__table__)
_EVENTS = cast(Table, ExecutionEvent.__table__)
_METADATA = cast(Table, ExecutionMetadata.__table__)
_GRAPH_ID = bindparam("graph_id", type_=Uuid())
_LOCK = (
    select(Graph.deleted_at)
    .where(Graph.id == _GRAPH_ID)
    .with_for_update(key_share=True)  # FOR NO KEY UPDATE
)
_ACTIVE = Execution.status.in_(sorted(s.value for s in ACTIVE))
_COUNT_ACTIVE = select(func.count()).where(Execution.graph_id == _GRAPH_ID, _ACTIVE)
_OWNER = bindparam("owner", type_=String())
_LOCK_OWNER = (
    select(Owner.max_active_executions)
    .where(Owner.name == _OWNER)
    .with_for_update(key_share=True)  # FOR NO KEY UPDATE
)
_COUNT_OWNER_ACTIVE = select(func.count()).where(Execution.owner == _OWNER, _ACTIVE)

# every column of an execution: what a new one has no value for yet is None
EXECUTION_COLUMNS: tuple[str, ...] = tuple(column.name for column in _EXECUTIONS.columns)


@dataclass(frozen=True)
class Candidate:
    """An execution to queue: its graph, its row's values (``owner`` among them), the
    graph's limit."""

    graph_id: uuid.UUID
    row: dict[str, Any]
    limit: int


@dataclass(frozen=True)
class OverLimit:
    """The graph (``of="graph"``) or the owner (``of="owner"``) already has ``active``
    executions queued or running, its ``limit``."""

    active: int
    limit: int
    of: str = "graph"


def insert_within_limits(
    candidates: list[Candidate], owner_limit: int
) -> list[dict[str, Any] | OverLimit | None]:
    """One transaction: lock the owners and the graphs, check their limits (an owner's
    own, else ``owner_limit``), insert what fits. For each candidate: its row
    (inserted), :class:`OverLimit`, or None (no such live graph)."""
    answers: list[dict[str, Any] | OverLimit | None] = [None] * len(candidates)
    graph_ids = sorted({c.graph_id for c in candidates})
    if not graph_ids:
        return answers
    with session_scope() as session:
        conn = session.connection()
        # the owners first, then the graphs, each in one order: no two batches wait
        # for each other's locks in a cycle
        owner_active: dict[str, int] = {}
        owner_limits: dict[str, int] = {}
        for owner in sorted({c.row["owner"] for c in candidates}):
            own = conn.execute(_LOCK_OWNER, {"owner": owner}).first()
            if own is None:
                continue  # no such owner: its candidates are refused below
            owner_limits[owner] = own.max_active_executions or owner_limit
            owner_active[owner] = conn.execute(_COUNT_OWNER_ACTIVE, {"owner": owner}).scalar_one()
        # each graph's lock (FOR NO KEY UPDATE, taken in one order) serialises queueing
        # per graph across transactions and processes, so no limit can be overshot. The
        # count is a statement of its own, after the lock: on PostgreSQL a statement
        # sees what was committed when it began, and only a count begun after the lock
        # was granted sees the executions the previous holder inserted.
        active: dict[uuid.UUID, int] = {}
        for graph_id in graph_ids:
            found = conn.execute(_LOCK, {"graph_id": graph_id}).first()
            if found is not None and found.deleted_at is None:
                active[graph_id] = conn.execute(_COUNT_ACTIVE, {"graph_id": graph_id}).scalar_one()
        rows: list[dict[str, Any]] = []
        for index, candidate in enumerate(candidates):
            owner = candidate.row["owner"]
            if candidate.graph_id not in active or owner not in owner_active:
                continue
            if active[candidate.graph_id] >= candidate.limit:
                answers[index] = OverLimit(active[candidate.graph_id], candidate.limit)
                continue
            if owner_active[owner] >= owner_limits[owner]:
                answers[index] = OverLimit(owner_active[owner], owner_limits[owner], "owner")
                continue
            active[candidate.graph_id] += 1
            owner_active[owner] += 1
            rows.append(candidate.row)
            answers[index] = candidate.row
        if rows:
            conn.execute(insert(_EXECUTIONS), rows)
            conn.execute(
                insert(_EVENTS),
                [
                    {
                        "execution_id": row["id"],
                        "from_status": None,
                        "to_status": row["status"],
                        "attempt": 0,
                        "at": row["created_at"],
                        "message": None,
                        "details": None,
                    }
                    for row in rows
                ],
            )
            labels = metadata_rows(rows)
            if labels:
                conn.execute(insert(_METADATA), labels)
    return answers


def metadata_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``execution_metadata`` rows of new executions' rows: one per key of each one's
    ``user_metadata`` (none for an execution without)."""
    return [
        {
            "execution_id": row["id"],
            "key": key,
            "value": value,
            "owner": row["owner"],
            "created_at": row["created_at"],
        }
        for row in rows
        for key, value in (row.get("user_metadata") or {}).items()
    ]
