"""Queueing with an ``Idempotency-Key`` (``service/admission.py``, ``store/queueing.py``),
on SQLite: one execution per key and owner, however the requests arrive (one after the
other, in one batch, or past a read that missed the other's commit), and a key past its
keeping time names a new request.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from execution_service.config import Settings, get_settings, use_settings
from execution_service.graph import GraphSpec
from execution_service.service import admission
from execution_service.service.admission import QueueOrder, Replayed
from execution_service.service.refusals import IdempotencyKeyReused, QueueLimitReached
from execution_service.store import api_keys, engine, graph_rows, queueing
from execution_service.store.migrate import upgrade
from execution_service.store.models import Execution, ExecutionEvent, IdempotencyKey, utcnow

DEFINITION = {
    "name": "one task",
    "agents": [{"role": "writer", "goal": "Write", "backstory": "Writes."}],
    "tasks": [{"description": "Write", "expected_output": "Text", "agent": "writer"}],
}
KEEP = 3600.0


@dataclass
class Store:
    graph_id: uuid.UUID
    other_graph_id: uuid.UUID  # the owner "other"'s
    sent: list[str]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """Two owners' graphs on a throwaway SQLite database; messages kept, not sent."""
    before = get_settings()
    url = f"sqlite:///{tmp_path / 'idempotency.sqlite3'}"
    upgrade(url)
    use_settings(Settings(database_url=url, idempotency_keep_seconds=KEEP))
    engine.reset_engines()
    sent: list[str] = []
    monkeypatch.setattr(
        admission, "publish", lambda execution_id, *_a, **_k: sent.append(execution_id)
    )
    try:
        spec = GraphSpec.model_validate(DEFINITION)
        definition = spec.model_dump(mode="json")
        api_keys.ensure_owner("other")
        yield Store(
            graph_rows.insert_graph(spec.name, definition, "local").id,
            graph_rows.insert_graph(spec.name, definition, "other").id,
            sent,
        )
    finally:
        engine.reset_engines()
        use_settings(before)


def order(graph_id: uuid.UUID, key: str | None, owner: str = "local", **kw: Any) -> QueueOrder:
    return QueueOrder(graph_id, owner, kw.pop("inputs", {"topic": "x"}), idempotency_key=key, **kw)


def counts() -> tuple[int, int, int]:
    """Executions, history rows, idempotency keys stored."""
    with engine.read_scope() as session:
        return (
            session.scalar(select(func.count()).select_from(Execution)) or 0,
            session.scalar(select(func.count()).select_from(ExecutionEvent)) or 0,
            session.scalar(select(func.count()).select_from(IdempotencyKey)) or 0,
        )


def test_the_same_request_again_answers_its_execution_and_queues_nothing(store: Store) -> None:
    (first,) = admission.admit([order(store.graph_id, "k-1")])
    (again,) = admission.admit([order(store.graph_id, "k-1")])
    assert isinstance(first, dict) and isinstance(again, Replayed)
    assert again.execution["id"] == first["id"]
    assert again.execution["status"] == "queued"
    assert again.execution["inputs"] == {"topic": "x"}
    assert store.sent == [first["id"]]
    assert counts() == (1, 1, 1)


def test_another_body_with_the_key_is_refused_and_nothing_made(store: Store) -> None:
    (first,) = admission.admit([order(store.graph_id, "k-1")])
    (other,) = admission.admit([order(store.graph_id, "k-1", inputs={"topic": "y"})])
    assert isinstance(first, dict)
    assert isinstance(other, IdempotencyKeyReused)
    assert (other.status, other.code) == (409, "IDEMPOTENCY_KEY_REUSED")
    assert other.details == {"header": "Idempotency-Key", "execution_id": first["id"]}
    assert "Idempotency-Key 'k-1'" in other.message
    assert counts() == (1, 1, 1)


def test_keys_are_per_owner(store: Store) -> None:
    (mine,) = admission.admit([order(store.graph_id, "k-1")])
    (theirs,) = admission.admit([order(store.other_graph_id, "k-1", owner="other")])
    assert isinstance(mine, dict) and isinstance(theirs, dict)
    assert mine["id"] != theirs["id"]
    assert counts() == (2, 2, 2)


def test_a_key_twice_in_one_batch_makes_one_execution(store: Store) -> None:
    answers = admission.admit(
        [
            order(store.graph_id, "k-1"),
            order(store.graph_id, None),
            order(store.graph_id, "k-1"),
            order(store.graph_id, "k-1", inputs={"topic": "y"}),
        ]
    )
    first, unkeyed, again, other = answers
    assert isinstance(first, dict) and isinstance(unkeyed, dict)
    assert isinstance(again, Replayed) and again.execution["id"] == first["id"]
    assert isinstance(other, IdempotencyKeyReused)
    assert store.sent == [first["id"], unkeyed["id"]]
    assert counts() == (2, 2, 1)


def test_a_replay_is_answered_even_at_the_queue_limit(store: Store) -> None:
    use_settings(get_settings().model_copy(update={"max_active_per_graph": 1}))
    (first,) = admission.admit([order(store.graph_id, "k-1")])
    (again, new) = admission.admit([order(store.graph_id, "k-1"), order(store.graph_id, "k-2")])
    assert isinstance(first, dict)
    assert isinstance(again, Replayed) and again.execution["id"] == first["id"]
    assert isinstance(new, QueueLimitReached)
    assert counts() == (1, 1, 1)


def test_a_key_past_its_keeping_time_names_a_new_request(store: Store) -> None:
    long_ago = utcnow() - timedelta(seconds=KEEP + 60)
    (old,) = admission.admit([order(store.graph_id, "k-1", received_at=long_ago)])
    (new,) = admission.admit([order(store.graph_id, "k-1", inputs={"topic": "y"})])
    (again,) = admission.admit([order(store.graph_id, "k-1", inputs={"topic": "y"})])
    assert isinstance(old, dict) and isinstance(new, dict)
    assert new["id"] != old["id"]
    assert isinstance(again, Replayed) and again.execution["id"] == new["id"]
    assert counts() == (2, 2, 1)


def test_a_key_just_within_its_keeping_time_still_counts(store: Store) -> None:
    recently = utcnow() - timedelta(seconds=KEEP - 60)
    (old,) = admission.admit([order(store.graph_id, "k-1", received_at=recently)])
    (again,) = admission.admit([order(store.graph_id, "k-1")])
    assert isinstance(old, dict)
    assert isinstance(again, Replayed) and again.execution["id"] == old["id"]


def test_the_unique_key_decides_when_the_read_missed_the_other_request(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another API process committed the key after this batch read the keys: the insert
    conflicts, and the request answers with that execution; no second one is made."""
    (first,) = admission.admit([order(store.graph_id, "k-1")])
    (other,) = admission.admit([order(store.graph_id, "k-2")])
    real_held = queueing._held
    reads: list[int] = []

    def read_missing_all(conn: Any, slots: Any, since: Any) -> Any:
        reads.append(1)
        return {} if len(reads) == 1 else real_held(conn, slots, since)

    monkeypatch.setattr(queueing, "_held", read_missing_all)
    answers = admission.admit(
        [
            order(store.graph_id, "k-1"),
            order(store.graph_id, "k-2", inputs={"topic": "y"}),
            order(store.graph_id, "k-3"),
        ]
    )
    again, reused, new = answers
    assert len(reads) == 2  # the batch's read, then the holders' after the conflict
    assert isinstance(first, dict) and isinstance(other, dict) and isinstance(new, dict)
    assert isinstance(again, Replayed) and again.execution["id"] == first["id"]
    assert isinstance(reused, IdempotencyKeyReused)
    assert reused.details == {"header": "Idempotency-Key", "execution_id": other["id"]}
    assert counts() == (3, 3, 3)


def test_old_keys_are_forgotten_and_live_ones_kept(store: Store) -> None:
    long_ago = utcnow() - timedelta(days=2)
    admission.admit([order(store.graph_id, "old", received_at=long_ago)])
    admission.admit([order(store.graph_id, "new")])
    assert queueing.forget_idempotency_keys(utcnow() - timedelta(days=1)) == 1
    with engine.read_scope() as session:
        assert session.scalars(select(IdempotencyKey.key)).all() == ["new"]
    assert counts() == (2, 2, 1)
