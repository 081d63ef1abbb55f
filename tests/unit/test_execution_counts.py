"""The kept counts behind the queue statistics (migration 0016, ``store/queue_counts.py``).

On a real SQLite database migrated as shipped (its triggers keep ``execution_counts``),
generated sequences of inserts (one or several rows a statement), status and priority
changes, unrelated updates and deletes always leave the kept counts equal to counting
the executions themselves. PostgreSQL's triggers (per statement, per session shard) are
exercised by the queue statistics scenarios on the services stack.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, func, insert, select, update

from execution_service.store.engine import make_engine
from execution_service.store.migrate import upgrade
from execution_service.store.models import Execution, ExecutionCount, Graph, Owner
from execution_service.store.queue_counts import summed

STATUSES = ["queued", "running", "retrying", "completed", "failed", "cancelled", "timed_out"]
PRIORITIES = ["low", "normal", "high", "critical"]
OWNERS = ["local", "other"]


class Lab:
    def __init__(self, folder: Path) -> None:
        url = f"sqlite:///{folder / 'counts.sqlite3'}"
        upgrade(url)
        self.engine: Engine = make_engine(url)
        with self.engine.begin() as conn:
            if not conn.execute(select(Owner.name).where(Owner.name == "other")).first():
                conn.execute(insert(Owner).values(name="other"))
            self.graph_id = uuid.uuid4()
            conn.execute(
                insert(Graph).values(id=self.graph_id, owner="local", name="g", definition={})
            )

    def row(self, owner: str, status: str, priority: str) -> dict[str, Any]:
        return {
            "id": uuid.uuid4(),
            "owner": owner,
            "graph_id": self.graph_id,
            "status": status,
            "priority": priority,
            "inputs": {},
        }

    def kept(self) -> Counter[tuple[str, str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    ExecutionCount.owner,
                    ExecutionCount.status,
                    ExecutionCount.priority,
                    func.sum(ExecutionCount.count),
                ).group_by(ExecutionCount.owner, ExecutionCount.status, ExecutionCount.priority)
            ).all()
        return Counter({(o, s, p): int(n) for o, s, p, n in rows if n})

    def counted(self) -> Counter[tuple[str, str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    Execution.owner, Execution.status, Execution.priority, func.count()
                ).group_by(Execution.owner, Execution.status, Execution.priority)
            ).all()
        return Counter({(o, s, p): int(n) for o, s, p, n in rows})


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    found = Lab(tmp_path_factory.mktemp("counts"))
    yield found
    found.engine.dispose()


OWNER = st.sampled_from(OWNERS)
STATUS = st.sampled_from(STATUSES)
PRIORITY = st.sampled_from(PRIORITIES)
STEP = st.one_of(
    st.tuples(
        st.just("insert"),
        st.lists(st.tuples(OWNER, STATUS, PRIORITY), min_size=1, max_size=5),
        st.none(),
    ),
    st.tuples(st.just("status"), st.integers(0, 50), STATUS),
    st.tuples(st.just("priority"), st.integers(0, 50), PRIORITY),
    st.tuples(st.just("progress"), st.integers(0, 50), st.floats(0, 100)),
    st.tuples(st.just("delete"), st.integers(0, 50), st.none()),
    st.tuples(st.just("delete_status"), STATUS, st.none()),
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, max_size=25))
def test_kept_counts_equal_counting_the_rows(lab: Lab, steps: list[tuple[Any, Any, Any]]) -> None:
    for kind, first, second in steps:
        with lab.engine.begin() as conn:
            ids = [r.id for r in conn.execute(select(Execution.id).order_by(Execution.id)).all()]
            pick = ids[first % len(ids)] if ids and isinstance(first, int) else None
            if kind == "insert":
                conn.execute(insert(Execution), [lab.row(*one) for one in first])
            elif kind == "delete_status":
                conn.execute(delete(Execution).where(Execution.status == first))
            elif pick is None:
                continue
            elif kind == "status":
                conn.execute(update(Execution).where(Execution.id == pick).values(status=second))
            elif kind == "priority":
                conn.execute(update(Execution).where(Execution.id == pick).values(priority=second))
            elif kind == "progress":
                conn.execute(
                    update(Execution).where(Execution.id == pick).values(progress_percent=second)
                )
            else:
                conn.execute(delete(Execution).where(Execution.id == pick))
        assert lab.kept() == lab.counted()


def test_summed_adds_shards_and_keeps_queued_priorities() -> None:
    by_status, queued = summed(
        [
            ("queued", "normal", 2),
            ("queued", "normal", 3),
            ("queued", "high", 1),
            ("running", "normal", 4),
            ("completed", "low", 7),
            ("completed", "normal", -7),  # one session's moves out, another's in: zero
            ("failed", "normal", 0),
        ]
    )
    assert by_status == {"queued": 6, "running": 4}
    assert queued == {"normal": 5, "high": 1}


def test_summed_of_nothing_is_empty() -> None:
    assert summed([]) == ({}, {})
