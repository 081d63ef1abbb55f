"""Recording queued executions, a batch at a time, within each graph's limit and each
owner's.

One transaction per batch: each owner's lock and one count of its active executions,
each graph's lock and one count of its active executions, one multi-row insert of
executions and one of their first history rows, one commit (see
``service/admission.py`` for why requests are batched).

Requests with an ``Idempotency-Key`` (``Candidate.idempotency``) add, in the same
transaction and only when the batch holds one: one read of the batch's keys still kept
(a key held answers with its execution, or is refused when it named another request,
before any limit is counted), and one multi-row insert of the new keys, before the
executions. That insert is the guarantee: the primary key (owner, key) lets one of two
requests with a key in, whatever process each is in; the other's insert does nothing
(``ON CONFLICT``), so it makes no execution and answers with the winner's. A key past
its keeping time is taken over by the insert (``DO UPDATE ... WHERE created_at <
since``). Within a batch, a key used twice goes in once: the later request answers with
the earlier one's execution.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    String,
    Table,
    Uuid,
    bindparam,
    delete,
    func,
    insert,
    select,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite

from execution_service.status import ACTIVE
from execution_service.store.engine import session_scope
from execution_service.store.models import (
    Execution,
    ExecutionCount,
    ExecutionEvent,
    ExecutionMetadata,
    Graph,
    IdempotencyKey,
    Owner,
)

_EXECUTIONS = cast(Table, Execution.__table__)
_EVENTS = cast(Table, ExecutionEvent.__table__)
_METADATA = cast(Table, ExecutionMetadata.__table__)
_KEYS = cast(Table, IdempotencyKey.__table__)
_GRAPH_ID = bindparam("graph_id", type_=Uuid())
_LOCK = (
    select(Graph.deleted_at)
    .where(Graph.id == _GRAPH_ID)
    .with_for_update(key_share=True)  # FOR NO KEY UPDATE
)
_ACTIVE_STATUSES = sorted(s.value for s in ACTIVE)
_ACTIVE = Execution.status.in_(_ACTIVE_STATUSES)
_COUNT_ACTIVE = select(func.count()).where(Execution.graph_id == _GRAPH_ID, _ACTIVE)
_OWNER = bindparam("owner", type_=String())
_LOCK_OWNER = (
    select(Owner.max_active_executions)
    .where(Owner.name == _OWNER)
    .with_for_update(key_share=True)  # FOR NO KEY UPDATE
)
# the owner's active executions from the counts the triggers keep (migration 0016), in
# the same transactions as the rows, so it answers as counting the rows would: a few
# rows summed (0.12 ms) instead of every active execution of the owner's (6.3 ms with
# 20,000 queued, once per admission batch, under the owner's lock)
_COUNT_OWNER_ACTIVE = select(func.coalesce(func.sum(ExecutionCount.count), 0)).where(
    ExecutionCount.owner == _OWNER,
    ExecutionCount.status.in_(_ACTIVE_STATUSES),
)

# every column of an execution: what a new one has no value for yet is None
EXECUTION_COLUMNS: tuple[str, ...] = tuple(column.name for column in _EXECUTIONS.columns)


@dataclass(frozen=True)
class Idempotency:
    """A request's ``Idempotency-Key`` and the digest of the request."""

    key: str
    digest: str


@dataclass(frozen=True)
class Candidate:
    """An execution to queue: its graph, its row's values (``owner`` among them), the
    graph's limit, and the request's idempotency key if it has one."""

    graph_id: uuid.UUID
    row: dict[str, Any]
    limit: int
    idempotency: Idempotency | None = None


@dataclass(frozen=True)
class Replay:
    """The request's key is held by the same request: its execution's row as it is now."""

    row: dict[str, Any]


@dataclass(frozen=True)
class KeyReused:
    """The request's key is held by another request (another graph or body), whose
    execution is ``execution_id``."""

    execution_id: uuid.UUID


@dataclass(frozen=True)
class _Held:
    digest: str
    execution_id: uuid.UUID


@dataclass(frozen=True)
class OverLimit:
    """The graph (``of="graph"``) or the owner (``of="owner"``) already has ``active``
    executions queued or running, its ``limit``."""

    active: int
    limit: int
    of: str = "graph"


Outcome = dict[str, Any] | OverLimit | Replay | KeyReused | None


def _held(
    conn: Connection, slots: set[tuple[str, str]], since: datetime | None
) -> dict[tuple[str, str], _Held]:
    """The keys among ``slots`` (owner, key) held since ``since`` (any age if None).

    Asked as ``owner IN (...) AND key IN (...)`` (both primary-key columns, one index
    scan; a row-value IN is not), the pairs then picked here."""
    owners = sorted({owner for owner, _ in slots})
    keys = sorted({key for _, key in slots})
    query = select(_KEYS.c.owner, _KEYS.c.key, _KEYS.c.request_digest, _KEYS.c.execution_id).where(
        _KEYS.c.owner.in_(owners), _KEYS.c.key.in_(keys)
    )
    if since is not None:
        query = query.where(_KEYS.c.created_at >= since)
    return {
        (row.owner, row.key): _Held(row.request_digest, row.execution_id)
        for row in conn.execute(query)
        if (row.owner, row.key) in slots
    }


def _claim_statement(dialect: Any) -> Any:
    """Insert a key; take over one held before ``:since``; return the ones that went
    in. Built once per dialect: run with a list of keys, SQLAlchemy sends one
    multi-row INSERT (its "insertmanyvalues"), from one compiled statement."""
    stmt = dialect.insert(_KEYS)
    return stmt.on_conflict_do_update(
        index_elements=[_KEYS.c.owner, _KEYS.c.key],
        set_={
            "request_digest": stmt.excluded.request_digest,
            "execution_id": stmt.excluded.execution_id,
            "created_at": stmt.excluded.created_at,
        },
        where=_KEYS.c.created_at < bindparam("since", type_=_KEYS.c.created_at.type),
    ).returning(_KEYS.c.owner, _KEYS.c.key)


_CLAIM = {"postgresql": _claim_statement(postgresql), "sqlite": _claim_statement(sqlite)}


def _claim(conn: Connection, keys: list[dict[str, Any]], since: datetime) -> set[tuple[str, str]]:
    """Insert ``keys`` (one statement); a key held since ``since`` stays as it is, an
    older one is taken over. The (owner, key) pairs that went in.

    In (owner, key) order: two batches inserting keys they share wait for each other's
    in one order, never in a cycle."""
    ordered = [{**k, "since": since} for k in sorted(keys, key=lambda k: (k["owner"], k["key"]))]
    return {(row.owner, row.key) for row in conn.execute(_CLAIM[conn.dialect.name], ordered)}


def _answer_held(candidate: Candidate, held: _Held) -> Replay | KeyReused:
    """What a request whose key is ``held`` is answered (the replay's row is read later)."""
    assert candidate.idempotency is not None
    if held.digest == candidate.idempotency.digest:
        return Replay({"id": held.execution_id})
    return KeyReused(held.execution_id)


def insert_within_limits(
    candidates: list[Candidate], owner_limit: int, keys_since: datetime
) -> list[Outcome]:
    """One transaction: lock the owners and the graphs, answer the requests whose
    idempotency key is held since ``keys_since``, check the limits (an owner's own,
    else ``owner_limit``), insert what fits. For each candidate: its row (inserted),
    :class:`Replay` (the row of the execution its key made, as it is now),
    :class:`KeyReused`, :class:`OverLimit`, or None (no such live graph)."""
    answers: list[Outcome] = [None] * len(candidates)
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
            # (a sum: a Decimal on PostgreSQL)
            owner_active[owner] = int(
                conn.execute(_COUNT_OWNER_ACTIVE, {"owner": owner}).scalar_one()
            )
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
        keyed = {
            (c.row["owner"], c.idempotency.key) for c in candidates if c.idempotency is not None
        }
        # after the graphs' locks: whoever queued this key for the same graph before
        # has committed, and this statement sees it
        held = _held(conn, keyed, keys_since) if keyed else {}
        rows: list[dict[str, Any]] = []
        keys: list[dict[str, Any]] = []
        for index, candidate in enumerate(candidates):
            owner = candidate.row["owner"]
            if candidate.graph_id not in active or owner not in owner_active:
                continue
            ident = candidate.idempotency
            if ident is not None and (owner, ident.key) in held:
                answers[index] = _answer_held(candidate, held[(owner, ident.key)])
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
            if ident is not None:  # a later request of this batch with it answers with this
                held[(owner, ident.key)] = _Held(ident.digest, candidate.row["id"])
                keys.append(
                    {
                        "owner": owner,
                        "key": ident.key,
                        "request_digest": ident.digest,
                        "execution_id": candidate.row["id"],
                        "created_at": candidate.row["created_at"],
                    }
                )
        if keys:
            rows = _keep_claimed(conn, candidates, answers, rows, keys, keys_since)
        replays = [a.row["id"] for a in answers if isinstance(a, Replay)]
        if replays:
            _read_replays(conn, answers, replays)
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


def _keep_claimed(
    conn: Connection,
    candidates: list[Candidate],
    answers: list[Outcome],
    rows: list[dict[str, Any]],
    keys: list[dict[str, Any]],
    keys_since: datetime,
) -> list[dict[str, Any]]:
    """Insert the batch's new keys; the rows whose key did not go in (another process
    holds it since, committed after this batch read the keys) are answered with the
    holder's execution instead, and not inserted. The rows to insert."""
    claimed = _claim(conn, keys, keys_since)
    lost = {(k["owner"], k["key"]) for k in keys} - claimed
    if not lost:
        return rows
    holders = _held(conn, lost, None)
    dropped: set[uuid.UUID] = set()
    for index, (candidate, answer) in enumerate(zip(candidates, answers, strict=True)):
        ident = candidate.idempotency
        if ident is None or (candidate.row["owner"], ident.key) not in lost:
            continue
        if answer is candidate.row:
            dropped.add(candidate.row["id"])
        answers[index] = _answer_held(candidate, holders[(candidate.row["owner"], ident.key)])
    return [row for row in rows if row["id"] not in dropped]


def _read_replays(conn: Connection, answers: list[Outcome], ids: list[uuid.UUID]) -> None:
    """Fill each :class:`Replay` with its execution's row as it is now (a replay of a
    request made earlier in this batch: the row about to be inserted)."""
    found = {
        row.id: dict(row._mapping)
        for row in conn.execute(select(_EXECUTIONS).where(_EXECUTIONS.c.id.in_(set(ids))))
    }
    for index, answer in enumerate(answers):
        if isinstance(answer, Replay):
            execution_id = answer.row["id"]
            fresh = found.get(execution_id)
            if fresh is None:  # made by this batch: the row being inserted
                fresh = next(a for a in answers if isinstance(a, dict) and a["id"] == execution_id)
            answers[index] = Replay(fresh)


def forget_idempotency_keys(before: datetime, limit: int = 10_000) -> int:
    """Delete up to ``limit`` idempotency keys made before ``before`` (past their keeping
    time: they no longer count, this only gives their rows back); how many went."""
    with session_scope() as session:
        conn = session.connection()
        old = (
            select(_KEYS.c.owner, _KEYS.c.key)
            .where(_KEYS.c.created_at < before)
            .order_by(_KEYS.c.created_at)
            .limit(limit)
        )
        gone = conn.execute(delete(_KEYS).where(tuple_(_KEYS.c.owner, _KEYS.c.key).in_(old)))
        return int(gone.rowcount or 0)
