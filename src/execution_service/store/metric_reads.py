"""The reads behind ``GET /metrics``'s execution series: derived from the database at
each scrape, so they are right with any number of API and worker processes (a Celery or
per-process counter would count only what its own process saw, and restart at zero).

The cost stays bounded however many executions are stored. The choice: **cumulative
totals kept in the database, folded by the scrapes.**

* Live counts (queued, running, retrying by priority; running per worker; the oldest
  queued) are indexed aggregates over the active executions only
  (``ix_executions_status_finished``, whose first column is the status): their cost is
  the size of the queue, not of the table.
* Ended executions are counted once into ``execution_totals`` (one row per status,
  priority and error code: counts, retries, histogram buckets). Each scrape first folds
  the executions that ended between ``metrics_fold.folded_until`` and ``now - lag`` (a
  range of the same index), then adds the few rows in ``execution_totals``, the
  executions ended since ``folded_until`` (the window, at most ``lag`` seconds of them),
  and the running and retrying ones (their queue wait and retries). Every execution is
  in exactly one of the three, so the counters and histograms only grow.
* ``lag`` (``EXEC_METRICS_FOLD_LAG_SECONDS``, 10 s) covers an ending written with a
  ``finished_at`` that commits later (one statement, autocommit: milliseconds) and clocks
  of hosts that differ: a row committed with a ``finished_at`` already folded past would
  never be counted.
* The fold holds the ``metrics_fold`` row (an UPDATE, the first statement of its
  transaction), so two scrapes (two API processes) never fold one execution twice.
  Then every read of the scrape runs in one snapshot (PostgreSQL: REPEATABLE READ, READ
  ONLY), so the totals, the window and the live counts agree: an execution ending
  meanwhile is neither missed nor counted twice, and ``running{worker}`` adds up to the
  running count.

Not chosen: counters updated by each execution's end (a hot row every worker updates at
every completion, and a write added to the path the benchmark measures); a full count at
each scrape (linear in the table: tens of ms at 100,000 rows, growing); histograms from
a recent window only (not cumulative: Prometheus' ``rate`` and ``histogram_quantile``
need counters).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from execution_service.config import get_settings
from execution_service.metric_rollup import (
    NO_ERROR,
    FinishedRow,
    StartedRow,
    Tally,
    Totals,
    bucket_layout,
)
from execution_service.status import TERMINAL, Status
from execution_service.store.engine import read_scope, session_scope
from execution_service.store.models import (
    Execution,
    ExecutionTotal,
    MetricsFold,
    Worker,
    utcnow,
)

FOLD_ROW = 1
_ENDED = sorted(status.value for status in TERMINAL)
_STARTED = (Status.RUNNING.value, Status.RETRYING.value)
_ACTIVE = (Status.QUEUED.value, Status.RUNNING.value, Status.RETRYING.value)


@dataclass(frozen=True)
class ExecutionMetrics:
    totals: Totals
    # active executions by (status, priority)
    active: dict[tuple[str, str], int]
    oldest_queued_at: datetime | None
    running_by_worker: dict[str, int]
    # workers seen recently: hostname -> pool slots
    workers: dict[str, int]
    # how many ended executions were folded by this scrape, and read from the window
    folded: int
    window: int


def _finished(session: Any, start: datetime | None, end: datetime | None) -> list[FinishedRow]:
    """The executions that ended in [start, end), by the (status, finished_at) index."""
    c = Execution
    query = select(
        c.status,
        c.priority,
        c.error_code,
        c.attempt,
        c.created_at,
        c.started_at,
        c.finished_at,
        c.usage,
    ).where(c.status.in_(_ENDED), c.finished_at.is_not(None))
    if start is not None:
        query = query.where(c.finished_at >= start)
    if end is not None:
        query = query.where(c.finished_at < end)
    return [FinishedRow(*row) for row in session.execute(query)]


def _stored(session: Any) -> Totals:
    totals = Totals()
    for row in session.execute(select(ExecutionTotal)).scalars():
        totals.tallies[(row.status, row.priority, row.error_code)] = Tally.from_stored(
            row.executions,
            row.retries,
            row.queue_wait_counts,
            row.queue_wait_sum,
            row.run_counts,
            row.run_sum,
            row.prompt_tokens,
            row.completion_tokens,
            row.model_calls,
        )
    return totals


def _fold(session: Any, now: datetime, lag: float) -> tuple[datetime | None, int]:
    """Fold the executions ended before ``now - lag`` into ``execution_totals``; return
    the new ``folded_until`` and how many were folded. Holds the fold row's lock."""
    layout = bucket_layout()
    held = session.execute(
        update(MetricsFold)
        .where(MetricsFold.id == FOLD_ROW)
        .values(scraped_at=now)
        .returning(MetricsFold.folded_until, MetricsFold.buckets)
    ).first()
    if held is None:  # a fresh or wiped table: start counting from nothing
        session.execute(insert(MetricsFold).values(id=FOLD_ROW, scraped_at=now, buckets=layout))
        session.execute(delete(ExecutionTotal))
        folded_until, buckets = None, layout
    else:
        folded_until, buckets = held
    if buckets != layout:  # counted with other bounds: count every execution again
        session.execute(delete(ExecutionTotal))
        folded_until = None
    horizon = now - timedelta(seconds=lag)
    if folded_until is not None and folded_until >= horizon:
        return folded_until, 0
    rows = _finished(session, folded_until, horizon)
    if rows:
        delta = Totals()
        delta.add_finished(rows)
        stored = _stored(session)
        for key, tally in delta.tallies.items():
            before = stored.tallies.get(key)
            status, priority, code = key
            if before is None:
                session.execute(
                    insert(ExecutionTotal).values(
                        status=status, priority=priority, error_code=code, **tally.stored()
                    )
                )
            else:
                before.merge(tally)
                session.execute(
                    update(ExecutionTotal)
                    .where(
                        ExecutionTotal.status == status,
                        ExecutionTotal.priority == priority,
                        ExecutionTotal.error_code == code,
                    )
                    .values(**before.stored())
                )
    session.execute(
        update(MetricsFold)
        .where(MetricsFold.id == FOLD_ROW)
        .values(folded_until=horizon, buckets=layout)
    )
    return horizon, len(rows)


@contextmanager
def _one_snapshot() -> Iterator[Session]:
    """Reads that all see the database at one moment: on PostgreSQL a REPEATABLE READ,
    READ ONLY transaction (its first statement takes the snapshot); on SQLite a read
    transaction is one snapshot already."""
    if get_settings().database_url.startswith("sqlite"):
        with read_scope() as session:
            yield session
        return
    with session_scope() as session:
        session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        yield session


def execution_metrics(lag: float, workers_within: float) -> ExecutionMetrics:
    """Everything the execution series need (see the docstring): the fold in a
    transaction of its own, holding the fold row; then every read in one snapshot, so
    that the totals, the window and the live counts agree with each other."""
    now = utcnow()
    c = Execution
    with session_scope() as session:
        _, folded = _fold(session, now, lag)
    with _one_snapshot() as session:
        folded_until = session.execute(
            select(MetricsFold.folded_until).where(MetricsFold.id == FOLD_ROW)
        ).scalar_one_or_none()
        totals = _stored(session)
        window = _finished(session, folded_until, None)
        totals.add_finished(window)
        started = session.execute(
            select(c.status, c.priority, c.attempt, c.created_at, c.started_at, c.usage).where(
                c.status.in_(_STARTED), c.started_at.is_not(None)
            )
        ).all()
        totals.add_started(
            StartedRow(status, priority, attempt, created_at, started_at, usage)
            for status, priority, attempt, created_at, started_at, usage in started
            if started_at is not None
        )
        active = {
            (status, priority): count
            for status, priority, count in session.execute(
                select(c.status, c.priority, func.count())
                .where(c.status.in_(_ACTIVE))
                .group_by(c.status, c.priority)
            )
        }
        oldest = session.execute(
            select(func.min(c.created_at)).where(c.status == Status.QUEUED.value)
        ).scalar_one_or_none()
        running = {
            worker or "": count
            for worker, count in session.execute(
                select(c.worker, func.count())
                .where(c.status == Status.RUNNING.value)
                .group_by(c.worker)
            )
        }
        seen = now - timedelta(seconds=workers_within)
        workers = {
            hostname: concurrency
            for hostname, concurrency in session.execute(
                select(Worker.hostname, Worker.concurrency).where(Worker.last_seen_at >= seen)
            )
        }
    return ExecutionMetrics(totals, active, oldest, running, workers, folded, len(window))


__all__ = ["NO_ERROR", "ExecutionMetrics", "execution_metrics"]
