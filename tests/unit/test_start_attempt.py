"""Starting an attempt (``execution_service.store.attempts.start_attempt``) on SQLite.

A run message names the attempt it may start (``after_attempt``: the execution's attempt
count when it was published). Only the message naming the current count starts the next
attempt: a stale one (the first message of an execution whose priority was raised,
reaching a worker after the attempt it was for has run and failed) starts nothing and
changes nothing, whatever the execution's status. A message that names no attempt (one
queued before messages named theirs) starts whatever attempt is due, as before.

No API and no broker: the compare-and-set is the store's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from execution_service.config import Settings, get_settings, use_settings
from execution_service.status import Status
from execution_service.store import engine
from execution_service.store.attempts import Attempt, RetryOwed, start_attempt
from execution_service.store.migrate import upgrade
from execution_service.store.models import Execution, ExecutionEvent, Graph, utcnow

DEFINITION = {
    "name": "one task",
    "agents": [{"role": "writer", "goal": "Write", "backstory": "Writes."}],
    "tasks": [{"description": "Write", "expected_output": "Text", "agent": "writer"}],
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[None]:
    """The service's store on a throwaway SQLite database, for this test only."""
    before = get_settings()
    url = f"sqlite:///{tmp_path / 'attempts.sqlite3'}"
    upgrade(url)
    use_settings(Settings(database_url=url))
    engine.reset_engines()
    try:
        yield
    finally:
        engine.reset_engines()
        use_settings(before)


def _execution(status: Status = Status.QUEUED, attempt: int = 0) -> uuid.UUID:
    with engine.session_scope() as session:
        graph = Graph(owner="local", name="one task", definition=DEFINITION)
        session.add(graph)
        session.flush()
        execution = Execution(
            owner="local",
            graph_id=graph.id,
            status=status.value,
            priority="normal",
            inputs={},
            max_attempts=3,
            attempt=attempt,
            progress_percent=0.0,
            created_at=utcnow(),
        )
        session.add(execution)
        session.flush()
        return execution.id


def _row(ident: uuid.UUID) -> dict[str, Any]:
    with engine.session_scope() as session:
        row = session.execute(
            select(Execution.status, Execution.attempt, Execution.worker).where(
                Execution.id == ident
            )
        ).one()
        starts = session.execute(
            select(ExecutionEvent.id).where(
                ExecutionEvent.execution_id == ident,
                ExecutionEvent.to_status == Status.RUNNING.value,
            )
        ).all()
    return {
        "status": row.status,
        "attempt": row.attempt,
        "worker": row.worker,
        "starts": len(starts),
    }


def _fail_for_retry(ident: uuid.UUID, delay: float = 5.0) -> None:
    """The running attempt failed and the execution waits ``delay`` s for its retry (the
    move and its history row, as the worker records them)."""
    with engine.session_scope() as session:
        session.execute(
            update(Execution).where(Execution.id == ident).values(status=Status.RETRYING.value)
        )
        session.add(
            ExecutionEvent(
                execution_id=ident,
                from_status=Status.RUNNING.value,
                to_status=Status.RETRYING.value,
                attempt=1,
                at=utcnow(),
                details={"delay_seconds": delay},
            )
        )


def test_the_message_naming_the_current_attempt_starts_the_next_one(store: None) -> None:
    ident = _execution()
    attempt = start_attempt(ident, "w1", after_attempt=0)
    assert isinstance(attempt, Attempt) and attempt.number == 1
    assert _row(ident) == {"status": "running", "attempt": 1, "worker": "w1", "starts": 1}


def test_a_duplicate_message_for_an_attempt_that_started_is_dropped(store: None) -> None:
    ident = _execution()
    assert start_attempt(ident, "w1", after_attempt=0) is not None
    assert start_attempt(ident, "w2", after_attempt=0) is None
    assert _row(ident) == {"status": "running", "attempt": 1, "worker": "w1", "starts": 1}


def test_a_stale_message_never_starts_the_retry_early(store: None) -> None:
    ident = _execution()
    assert start_attempt(ident, "w1", after_attempt=0) is not None
    _fail_for_retry(ident)
    # the raised execution's first message arrives while its retry is not due yet: it
    # starts nothing; it only asks for the retry's message again, due when the retry is
    owed = start_attempt(ident, "w2", after_attempt=0)
    assert isinstance(owed, RetryOwed) and owed.after_attempt == 1
    assert 4.0 < owed.due_in <= 5.0
    assert _row(ident) == {"status": "retrying", "attempt": 1, "worker": "w1", "starts": 1}
    # the retry's own message (released by the broker when due) starts attempt 2
    retry = start_attempt(ident, "w3", after_attempt=1)
    assert isinstance(retry, Attempt) and retry.number == 2
    assert _row(ident) == {"status": "running", "attempt": 2, "worker": "w3", "starts": 2}


def test_a_message_for_a_later_attempt_starts_nothing(store: None) -> None:
    ident = _execution()
    assert start_attempt(ident, "w1", after_attempt=1) is None
    assert _row(ident) == {"status": "queued", "attempt": 0, "worker": None, "starts": 0}


@pytest.mark.parametrize(("status", "attempt"), [(Status.QUEUED, 0), (Status.RETRYING, 1)])
def test_a_message_naming_no_attempt_starts_whichever_is_due(
    store: None, status: Status, attempt: int
) -> None:
    ident = _execution(status, attempt)
    started = start_attempt(ident, "w1")
    assert isinstance(started, Attempt) and started.number == attempt + 1
    assert _row(ident)["status"] == "running"


def test_a_retry_whose_message_was_lost_is_owed_one_when_due(store: None) -> None:
    """The worker died between recording the failure and sending the retry's message;
    the first message, handed back by the broker, asks for it again: due at once when
    the wait is over, never before."""
    ident = _execution()
    assert start_attempt(ident, "w1", after_attempt=0) is not None
    _fail_for_retry(ident, delay=0.0)
    owed = start_attempt(ident, "w2", after_attempt=0)
    assert owed == RetryOwed(after_attempt=1, due_in=0.0)
    assert _row(ident)["status"] == "retrying"
