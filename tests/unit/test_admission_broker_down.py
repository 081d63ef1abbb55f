"""Queueing when the broker refuses the message (``service/admission.py``), on SQLite,
and the reaper sending it once the broker is back (``worker/reaper.py``).

The execution is recorded before its message is published; when the publish fails the
execution is accepted all the same (queued, the caller's answer a 202), recorded as
owed a message, and the reaper's next round sends it. The acceptance suite cannot take
its broker down (the embedded one is in-process, the services one is shared by the
run), so the path is pinned here, with the publish replaced by one that raises.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from execution_service.config import Settings, get_settings, use_settings
from execution_service.graph import GraphSpec
from execution_service.service import admission
from execution_service.service.refusals import ServiceError
from execution_service.store import engine, graph_rows
from execution_service.store.migrate import upgrade
from execution_service.store.models import Execution, ExecutionEvent, utcnow
from execution_service.worker import reaper

DEFINITION = {
    "name": "one task",
    "agents": [{"role": "writer", "goal": "Write", "backstory": "Writes."}],
    "tasks": [{"description": "Write", "expected_output": "Text", "agent": "writer"}],
}


@pytest.fixture
def graph_id(tmp_path: Path) -> Iterator[uuid.UUID]:
    """A graph in the service's store on a throwaway SQLite database."""
    before = get_settings()
    url = f"sqlite:///{tmp_path / 'admission.sqlite3'}"
    upgrade(url)
    use_settings(Settings(database_url=url))
    engine.reset_engines()
    try:
        spec = GraphSpec.model_validate(DEFINITION)
        yield graph_rows.insert_graph(spec.name, spec.model_dump(mode="json"), "local").id
    finally:
        engine.reset_engines()
        use_settings(before)


def _broker_down(*_args: object, **_kwargs: object) -> None:
    raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def _stored() -> list[Execution]:
    with engine.read_scope() as session:
        return list(session.scalars(select(Execution).order_by(Execution.created_at)))


def test_an_unpublished_execution_is_accepted_and_owed_its_message(
    graph_id: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admission, "publish", _broker_down)
    (answer,) = admission.admit([admission.QueueOrder(graph_id, "local", {"topic": "x"})])
    assert isinstance(answer, dict)
    assert answer["status"] == "queued"
    (execution,) = _stored()
    assert (execution.status, execution.error_code) == ("queued", None)
    assert execution.dispatched_at is None  # owed: the reaper's next round sends it
    with engine.read_scope() as session:
        history = session.scalars(select(ExecutionEvent)).all()
    assert [(e.from_status, e.to_status) for e in history] == [(None, "queued")]


def test_after_the_first_refusal_the_rest_of_the_batch_is_not_tried(
    graph_id: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    tried: list[str] = []

    def down(execution_id: str, *_args: object, **_kwargs: object) -> None:
        tried.append(execution_id)
        _broker_down()

    monkeypatch.setattr(admission, "publish", down)
    answers = admission.admit([admission.QueueOrder(graph_id, "local", {}) for _ in range(3)])
    assert all(isinstance(a, dict) and a["status"] == "queued" for a in answers)
    assert len(tried) == 1
    assert [e.dispatched_at for e in _stored()] == [None, None, None]


def test_owed_messages_are_sent_when_the_broker_is_back_oldest_first(
    graph_id: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admission, "publish", _broker_down)
    answers = admission.admit([admission.QueueOrder(graph_id, "local", {}) for _ in range(3)])
    # the broker still down: the reaper cannot even read its queue, and sends nothing
    monkeypatch.setattr(reaper, "broker_backlog", _broker_down)
    assert reaper.redispatch_once(utcnow()) == 0
    sent: list[tuple[str, int]] = []

    def publish(execution_id: str, *_args: object, after_attempt: int, **_kw: object) -> None:
        sent.append((execution_id, after_attempt))

    monkeypatch.setattr(reaper, "broker_backlog", lambda: 7)  # a busy broker: owed anyway
    monkeypatch.setattr(reaper, "publish", publish)
    assert reaper.redispatch_once(utcnow()) == 3
    ids = [a["id"] for a in answers if isinstance(a, dict)]
    assert sent == [(ident, 0) for ident in ids]
    assert all(e.dispatched_at is not None and e.redispatches == 1 for e in _stored())
    assert reaper.redispatch_once(utcnow()) == 0  # sent: not again


def test_a_published_execution_stays_queued(
    graph_id: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[tuple[str, int]] = []

    def publish(execution_id: str, *_args: object, after_attempt: int, **_kw: object) -> None:
        sent.append((execution_id, after_attempt))

    monkeypatch.setattr(admission, "publish", publish)
    (answer,) = admission.admit([admission.QueueOrder(graph_id, "local", {})])
    assert not isinstance(answer, ServiceError | admission.Replayed)
    assert answer["status"] == "queued"
    assert sent == [(answer["id"], 0)]
    (execution,) = _stored()
    assert execution.dispatched_at is not None and execution.redispatches == 0
