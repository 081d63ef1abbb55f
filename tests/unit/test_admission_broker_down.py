"""Queueing when the broker refuses the message (``service/admission.py``), on SQLite.

The execution is recorded before its message is published; when the publish fails the
execution is marked failed with BROKER_UNAVAILABLE (never left queued with no message
behind it) and the caller gets the 503 refusal. The acceptance suite cannot take its
broker down (the embedded one is in-process, the services one is shared by the run), so
the path is pinned here, with the publish replaced by one that raises.
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
from execution_service.service.refusals import BrokerUnavailable, ServiceError
from execution_service.store import engine, graph_rows
from execution_service.store.migrate import upgrade
from execution_service.store.models import Execution, ExecutionEvent

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


def test_an_unpublished_execution_is_failed_and_the_caller_told(
    graph_id: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admission, "publish", _broker_down)
    (answer,) = admission.admit([admission.QueueOrder(graph_id, "local", {"topic": "x"})])
    assert isinstance(answer, BrokerUnavailable)
    assert (answer.status, answer.code) == (503, "BROKER_UNAVAILABLE")
    with engine.read_scope() as session:
        execution = session.scalars(select(Execution)).one()
        history = session.scalars(select(ExecutionEvent).order_by(ExecutionEvent.id)).all()
    assert execution.status == "failed"
    assert (execution.error_code, execution.error_retryable) == ("BROKER_UNAVAILABLE", True)
    assert [(e.from_status, e.to_status) for e in history] == [
        (None, "queued"),
        ("queued", "failed"),
    ]
    assert history[-1].details is not None
    assert history[-1].details["exception"] == "ConnectionError"


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
