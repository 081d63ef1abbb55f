"""Stored history for the cost curve: finished executions and their events, bulk-inserted."""

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
    now = utcnow()
    statuses = [s for s, weight in ENDINGS for _ in range(weight)]
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
        # the seeded executions ended in the past, before the metrics' fold: their totals
        # are counted again from the rows at the next scrape (store/metric_reads.py)
        conn.execute(text("DELETE FROM execution_totals"))
        conn.execute(text("UPDATE metrics_fold SET folded_until = NULL"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE executions"))
        conn.execute(text("ANALYZE execution_events"))
    return missing


def sample_ids(engine: Engine, count: int) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(select(Execution.id).order_by(func.random()).limit(count)).all()
    return [str(r.id) for r in rows]


def sample_graph(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(Execution.graph_id).limit(1)).scalar_one())
