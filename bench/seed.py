"""Stored history for the cost curve: finished executions and their events, bulk-inserted.

On PostgreSQL the rows are made by the server itself (``INSERT ... SELECT`` over
``generate_series``, executions and their three events in one statement per 100,000):
a million executions take a minute or two instead of the better part of an hour of
Python building rows. When many are added at once the secondary indexes are dropped
first and built again after (faster than upkeep row by row). Elsewhere (SQLite) they
are built in Python, in batches. The seeded executions belong to the benchmark's key's
owner, so that its listings, reads and queue statistics see them."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, select, text

from bench.service_runs import graph_definition
from execution_service.store.models import Execution, ExecutionEvent, Graph, Owner, utcnow

OWNER = "bench"  # the benchmark's clients' owner (measured_stack makes its key)

ENDINGS = [("completed", 90), ("failed", 5), ("cancelled", 3), ("timed_out", 2)]
BATCH = 5000
SERVER_BATCH = 100_000
REBUILD_FROM = 200_000  # rows added at once from which the indexes are built afresh
OWNER = "bench"  # the owner of the benchmark's API key (bench/measured_stack.py)

# finished executions and their three events, made by PostgreSQL: :count rows of one
# of :graphs graphs, created in the last 30 days, statuses drawn as ENDINGS weighs them
_SERVER_SEED = text(
    """
    WITH made AS (
        SELECT gen_random_uuid() AS id,
               (CAST(:graphs AS uuid[]))[1 + floor(random() * :graph_count)::int] AS graph_id,
               r AS draw,
               now() - make_interval(secs => 60 + random() * 30 * 86400) AS created_at
        FROM (SELECT random() AS r FROM generate_series(1, :count)) AS draws
    ), shaped AS (
        SELECT id, graph_id, created_at,
               CASE WHEN draw < 0.90 THEN 'completed' WHEN draw < 0.95 THEN 'failed'
                    WHEN draw < 0.98 THEN 'cancelled' ELSE 'timed_out' END AS status,
               created_at + make_interval(secs => 0.01 + random() * 5) AS started_at
        FROM made
    ), timed AS (
        SELECT *, started_at + make_interval(secs => 0.1 + random() * 60) AS finished_at
        FROM shaped
    ), inserted AS (
        INSERT INTO executions (
            id, owner, graph_id, status, priority, inputs, timeout_seconds, max_attempts,
            attempt, result, progress_percent, worker, created_at, started_at, finished_at,
            heartbeat_at, stopped_at, redispatches
        )
        SELECT id, :owner, graph_id, status, 'normal', '{"topic": "seeded"}', 3600.0, 3, 1,
               CASE WHEN status = 'completed' THEN CAST('{"raw": "done"}' AS json) END,
               CASE WHEN status = 'completed' THEN 100.0 ELSE 50.0 END,
               'seed@bench', created_at, started_at, finished_at, finished_at, finished_at, 0
        FROM timed
        RETURNING id, status, created_at, started_at, finished_at
    )
    INSERT INTO execution_events (execution_id, from_status, to_status, attempt, at)
    SELECT i.id, e.from_status, e.to_status, e.attempt, e.at
    FROM inserted AS i CROSS JOIN LATERAL (
        VALUES (NULL, 'queued', 0, i.created_at),
               ('queued', 'running', 1, i.started_at),
               ('running', i.status, 1, i.finished_at)
    ) AS e(from_status, to_status, attempt, at)
    """
)


def wipe(engine: Engine) -> None:
    """Forget every execution (the curve starts from an empty table)."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM execution_events"))
        conn.execute(text("DELETE FROM executions"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE executions"))
        conn.execute(text("VACUUM ANALYZE execution_events"))


def stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Execution)).scalar_one())


def seed(engine: Engine, total: int, graphs: int = 20, rng: random.Random | None = None) -> int:
    """Insert finished executions (3 events each) until ``total`` are stored; how many added."""
    rng = rng or random.Random(5)
    missing = total - stored(engine)
    if missing <= 0:
        return 0
    with engine.begin() as conn:
        if conn.execute(select(Owner.name).where(Owner.name == OWNER)).first() is None:
            conn.execute(insert(Owner).values(name=OWNER))
        graph_ids = [uuid.uuid4() for _ in range(graphs)]
        conn.execute(
            insert(Graph),
            [
                {
                    "id": g,
                    "owner": OWNER,
                    "name": f"seeded {i}",
                    "definition": graph_definition(1, 0.0, "seeded"),
                }
                for i, g in enumerate(graph_ids)
            ],
        )
    if engine.dialect.name == "postgresql":
        # many rows: the secondary indexes are dropped and built again after, which is
        # several times faster than keeping seven indexes up to date row by row
        kept = _drop_indexes(engine) if missing >= REBUILD_FROM else []
        try:
            for first in range(0, missing, SERVER_BATCH):
                with engine.begin() as conn:
                    conn.execute(
                        _SERVER_SEED,
                        {
                            "graphs": "{" + ",".join(str(g) for g in graph_ids) + "}",
                            "graph_count": len(graph_ids),
                            "count": min(SERVER_BATCH, missing - first),
                            "owner": OWNER,
                        },
                    )
        finally:
            with engine.begin() as conn:
                for definition in kept:
                    conn.execute(text(definition))
    else:
        _seed_in_python(engine, missing, graph_ids, rng)
    with engine.begin() as conn:
        # the seeded executions ended in the past, before the metrics' fold: their totals
        # are counted again from the rows at the next scrape (store/metric_reads.py)
        conn.execute(text("DELETE FROM execution_totals"))
        conn.execute(text("UPDATE metrics_fold SET folded_until = NULL"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE executions"))
        conn.execute(text("ANALYZE execution_events"))
    return missing


def _drop_indexes(engine: Engine) -> list[str]:
    """Drop the secondary indexes of the executions and their events (not the primary
    keys, nor what backs a constraint); their definitions, to build them again."""
    with engine.begin() as conn:
        found = conn.execute(
            text(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index AS i "
                "WHERE i.indrelid IN ('executions'::regclass, 'execution_events'::regclass) "
                "AND NOT i.indisprimary AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)"
            )
        ).all()
        for name, _ in found:
            conn.execute(text(f"DROP INDEX {name}"))
    return [definition for _, definition in found]


def _seed_in_python(
    engine: Engine, missing: int, graph_ids: list[uuid.UUID], rng: random.Random
) -> None:
    now = utcnow()
    statuses = [s for s, weight in ENDINGS for _ in range(weight)]
    with engine.begin() as conn:
        for first in range(0, missing, BATCH):
            executions: list[dict[str, Any]] = []
            events: list[dict[str, Any]] = []
            for _ in range(min(BATCH, missing - first)):
                ident = uuid.uuid4()
                created = now - timedelta(seconds=rng.uniform(60, 30 * 86400))
                started = created + timedelta(seconds=rng.uniform(0.01, 5))
                finished = started + timedelta(seconds=rng.uniform(0.1, 60))
                status = rng.choice(statuses)
                executions.append(
                    {
                        "id": ident,
                        "owner": OWNER,
                        "graph_id": rng.choice(graph_ids),
                        "status": status,
                        "priority": "normal",
                        "inputs": {"topic": "seeded"},
                        "timeout_seconds": 3600.0,
                        "max_attempts": 3,
                        "attempt": 1,
                        "result": {"raw": "done"} if status == "completed" else None,
                        "progress_percent": 100.0 if status == "completed" else 50.0,
                        "worker": "seed@bench",
                        "created_at": created,
                        "started_at": started,
                        "finished_at": finished,
                        "heartbeat_at": finished,
                        "stopped_at": finished,
                    }
                )
                for source, target, at in (
                    (None, "queued", created),
                    ("queued", "running", started),
                    ("running", status, finished),
                ):
                    events.append(
                        {
                            "execution_id": ident,
                            "from_status": source,
                            "to_status": target,
                            "attempt": 0 if target == "queued" else 1,
                            "at": at,
                        }
                    )
            conn.execute(insert(Execution), executions)
            conn.execute(insert(ExecutionEvent), events)


def sample_ids(engine: Engine, count: int) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(select(Execution.id).order_by(func.random()).limit(count)).all()
    return [str(r.id) for r in rows]


def sample_graph(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(Execution.graph_id).limit(1)).scalar_one())
