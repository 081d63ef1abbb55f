"""SQLAlchemy tables: owners and their API keys, graphs, executions and their append-only
status history, the workers seen."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: UTCDateTime}


AWAITING_SQL = "status IN ('queued', 'retrying')"
"""The executions waiting for a worker to start their next attempt, as SQL."""

UNANNOUNCED_SQL = "webhooks IS NOT NULL AND webhooks_announced_at IS NULL"
"""Executions with webhooks whose final event has not been announced to them, as SQL."""

LOCAL_OWNER = "local"
"""The owner of rows made before owners existed, and of every request when the operator
runs a local SQLite service with ``EXEC_AUTH=disabled``."""


class Owner(Base):
    """A tenant: what its keys create belongs to it, and only its keys see it."""

    __tablename__ = "owners"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    # queued + running executions allowed to this owner at once (None: the setting's)
    max_active_executions: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # the secret its webhook deliveries are signed with (``whsec_...``), made on first
    # use; kept as is (the service must sign with it), shown only to the owner
    webhook_secret: Mapped[str | None] = mapped_column(String(100), default=None)


class ApiKey(Base):
    """A bearer key, stored only as its SHA-256 digest (the key itself is shown once)."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner: Mapped[str] = mapped_column(ForeignKey("owners.name"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    # the key's first characters, so that an operator can tell keys apart in a listing
    prefix: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class Graph(Base):
    """A crew definition: agents, tasks and settings, validated at creation."""

    __tablename__ = "graphs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner: Mapped[str] = mapped_column(ForeignKey("owners.name"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class Execution(Base):
    """One queued run of a graph; the row is the source of truth for its state."""

    __tablename__ = "executions"
    # few indexes: each status change adds an entry to every one (see migration 0006)
    __table_args__ = (
        Index("ix_executions_graph_created_id", "graph_id", "created_at", "id"),
        # an owner's executions, newest first (see migration 0007)
        Index("ix_executions_owner_created", "owner", "created_at", "id"),
        Index("ix_executions_graph_status", "graph_id", "status"),
        Index("ix_executions_status_finished", "status", "finished_at"),
        # listing by status, newest first: one page read however many rows are stored;
        # and an owner's active count
        Index("ix_executions_owner_status_created", "owner", "status", "created_at", "id"),
        # executions waiting for a worker, by when their message was sent (see
        # store/redispatch.py): partial, so a move to running adds no entry to it
        Index(
            "ix_executions_awaiting_dispatch",
            "dispatched_at",
            postgresql_where=text(AWAITING_SQL),
            sqlite_where=text(AWAITING_SQL),
        ),
        # executions with webhooks whose final event is not yet announced (see
        # store/webhook_deliveries.py): partial, so executions without webhooks add
        # no entry to it, and an announced one leaves it
        Index(
            "ix_executions_webhooks_unannounced",
            "finished_at",
            postgresql_where=text(UNANNOUNCED_SQL),
            sqlite_where=text(UNANNOUNCED_SQL),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # the graph's owner, kept on the row so that a read by id needs no join
    owner: Mapped[str] = mapped_column(String(200))
    graph_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("graphs.id"))
    status: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10))
    inputs: Mapped[dict[str, Any]]
    timeout_seconds: Mapped[float | None] = mapped_column(default=None)
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    outputs: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    error_code: Mapped[str | None] = mapped_column(String(60), default=None)
    error_category: Mapped[str | None] = mapped_column(String(30), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    error_retryable: Mapped[bool | None] = mapped_column(default=None)
    error_details: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    progress_percent: Mapped[float] = mapped_column(default=0.0)
    current_task: Mapped[str | None] = mapped_column(String(200), default=None)
    progress_message: Mapped[str | None] = mapped_column(Text, default=None)
    worker: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    # the end of the running-time budget (first start + timeout), and of the wait in the queue
    deadline_at: Mapped[datetime | None] = mapped_column(default=None)
    queue_deadline_at: Mapped[datetime | None] = mapped_column(default=None)
    # when the worker let go of the crew (it finished, stopped on request, or was stopped hard)
    stopped_at: Mapped[datetime | None] = mapped_column(default=None)
    # when the message that may start the awaited attempt was sent (for a retry: when it
    # is due); None while one is owed (the broker refused it); see store/redispatch.py
    dispatched_at: Mapped[datetime | None] = mapped_column(default=None)
    # how many times the reaper sent it again because its message was lost
    redispatches: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # the caller's metadata (string keys and values) as given at queueing; None: none.
    # Written once, never indexed here (listings filter through ExecutionMetadata)
    user_metadata: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # where to deliver which events (the request's webhooks, else the graph's); None:
    # none. When the deliveries of its final event were made (see webhook_deliveries.py)
    webhooks: Mapped[list[dict[str, Any]] | None] = mapped_column(
        JSON(none_as_null=True), default=None
    )
    webhooks_announced_at: Mapped[datetime | None] = mapped_column(default=None)
    # the model calls' usage, every attempt together (a usage.Usage document, with its
    # estimated cost when priced); None: no call counted yet. Written with the throttled
    # progress and at the attempt's end (see migration 0013)
    usage: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # the effective budget (usage.Budget.limits: the graph's and the request's, the
    # smaller of each); None: none
    budget: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # a rerun (POST /executions/{id}/rerun): the execution it reruns, and the task it
    # starts from (the tasks before it re-use that execution's outputs; see resume.py).
    # No foreign key: the link records where a rerun came from, it holds nothing back
    rerun_of: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    rerun_from_task: Mapped[str | None] = mapped_column(String(200), default=None)


class ExecutionMetadata(Base):
    """One key and value of an execution's metadata, written once with the execution, to
    find an owner's executions by it (see migration 0012): an index on the executions
    would gain an entry at every status change, this table's at queueing only."""

    __tablename__ = "execution_metadata"
    __table_args__ = (
        # an owner's executions with this key and value, newest first (keyset pages)
        Index("ix_execution_metadata_match", "owner", "key", "value", "created_at", "execution_id"),
    )

    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(512))
    # the execution's owner and creation time, so that the index alone finds and orders
    owner: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column()


class IdempotencyKey(Base):
    """A queue request's ``Idempotency-Key``, held for its owner by the execution it made.

    A table of its own rather than columns of ``executions``: a status change of an
    execution (a new row version in every index of that table, see migration 0006) pays
    nothing for it, and executions queued without a key cost nothing at all. The primary
    key (owner, key) is what makes two requests with one key make one execution: the
    second insert conflicts (``store/queueing.py``). A key older than the keeping time
    (``idempotency_keep_seconds``) no longer counts: a new request with it takes the row
    over, and :func:`store.queueing.forget_idempotency_keys` deletes such rows.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        # the row is written in the same transaction as its execution, before it (the
        # key decides whether the execution is made), so the check waits for the commit
        ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name="fk_idempotency_keys_execution",
            deferrable=True,
            initially="DEFERRED",
        ),
        Index("ix_idempotency_keys_created", "created_at"),
    )

    owner: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    # SHA-256 (hex) of the graph id and the canonical JSON of the parsed request
    request_digest: Mapped[str] = mapped_column(String(64))
    execution_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExecutionCount(Base):
    """How many executions an owner has in a (status, priority), kept by triggers on
    ``executions`` (migration 0016): the queue statistics sum these few rows instead of
    counting every stored execution. On PostgreSQL each session writes rows of its own
    (``shard``: its backend pid), so that no two transactions wait on one counter row;
    an owner's count is the sum over shards."""

    __tablename__ = "execution_counts"

    owner: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    priority: Mapped[str] = mapped_column(String(10), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class ExecutionEvent(Base):
    """An append-only status history row, written with the transition it records."""

    __tablename__ = "execution_events"
    __table_args__ = (Index("ix_execution_events_execution", "execution_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    message: Mapped[str | None] = mapped_column(Text, default=None)
    details: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class ExecutionStep(Base):
    """What a running attempt did between two status changes, for the event stream: a
    task started or finished, its progress. Written by the worker with the progress it
    writes, holding the execution's row, so that ``after_event`` (the latest history
    row's id then) and ``id`` order it among the history rows exactly (see
    ``store/stream_events.py``)."""

    __tablename__ = "execution_steps"
    __table_args__ = (Index("ix_execution_steps_execution", "execution_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"))
    after_event: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[dict[str, Any]]


class Worker(Base):
    """A worker process seen recently: each one records itself every few seconds."""

    __tablename__ = "workers"

    hostname: Mapped[str] = mapped_column(String(200), primary_key=True)
    pid: Mapped[int] = mapped_column(Integer)
    concurrency: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One message to one webhook: its tries so far (``attempts``, each with its answer),
    and when it is tried next. ``message_id`` (the ``webhook-id`` header) is the same
    for every try and re-send: receivers drop duplicates by it."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_execution", "execution_id", "created_at"),
        # the pending ones, by when they are due (the reapers' look for lost messages)
        Index(
            "ix_webhook_deliveries_pending",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"))
    owner: Mapped[str] = mapped_column(String(200))
    message_id: Mapped[str] = mapped_column(String(80), unique=True)
    event: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]]
    # pending (a try is due), delivered (a 2xx), failed (given up)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # the first try of the current round (a re-send starts a new one): tries stop
    # EXEC_WEBHOOK_RETRY_SECONDS after it
    round_started_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)


class UsageRecord(Base):
    """Tokens an owner's executions used, recorded with each write of their usage, so that
    the queue statistics can say how many were used in the last minute (a sum over an
    index range). Kept a few minutes: the reapers delete older rows
    (:func:`store.usage_records.forget_usage_records`). No foreign key: an execution's
    deletion leaves its records to age out."""

    __tablename__ = "usage_records"
    __table_args__ = (Index("ix_usage_records_owner_at", "owner", "at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    owner: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column()
    tokens: Mapped[int] = mapped_column(BigInteger)


class ExecutionTotal(Base):
    """Ended executions folded into running totals for ``GET /metrics``, one row per
    (status, priority, error code): so that a scrape reads these few rows plus the
    executions ended since, not every execution ever stored (see
    ``store/metric_reads.py``). Written only by scrapes, never by an execution's moves."""

    __tablename__ = "execution_totals"

    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    priority: Mapped[str] = mapped_column(String(10), primary_key=True)
    # "" when the execution ended without an error
    error_code: Mapped[str] = mapped_column(String(60), primary_key=True)
    executions: Mapped[int] = mapped_column(Integer, default=0)
    # attempts started after the first
    retries: Mapped[int] = mapped_column(Integer, default=0)
    # per bucket of metric_rollup's bounds (not cumulative), then the count above them
    queue_wait_counts: Mapped[list[int]] = mapped_column(JSON)
    queue_wait_sum: Mapped[float] = mapped_column(default=0.0)
    run_counts: Mapped[list[int]] = mapped_column(JSON)
    run_sum: Mapped[float] = mapped_column(default=0.0)
    # the model calls' usage of these executions (their usage documents' counts)
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    model_calls: Mapped[int] = mapped_column(BigInteger, default=0)


class MetricsFold(Base):
    """One row: the executions that ended before ``folded_until`` are in
    ``execution_totals``, counted with the histogram bounds in ``buckets``."""

    __tablename__ = "metrics_fold"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    folded_until: Mapped[datetime | None] = mapped_column(default=None)
    buckets: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    scraped_at: Mapped[datetime | None] = mapped_column(default=None)
