"""The reaper's re-dispatch round (``worker/reaper.py`` over ``store/redispatch.py``) on
SQLite, with the broker replaced by a queue length and a list of what was published.

A backlog waiting behind busy workers is never sent again; lost messages are (when the
broker holds none, or when something sent later has started), oldest first, at their
priority, for the attempt they wait for; two reapers looking at once send each once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from execution_service import redispatch_rule as rule
from execution_service.config import Settings, get_settings, use_settings
from execution_service.priorities import Priority
from execution_service.store import engine
from execution_service.store import redispatch as waiting
from execution_service.store.migrate import upgrade
from execution_service.store.models import Execution, Graph, utcnow
from execution_service.worker import reaper

BOUND = 30.0
DEFINITION = {
    "name": "one task",
    "agents": [{"role": "writer", "goal": "Write", "backstory": "Writes."}],
    "tasks": [{"description": "Write", "expected_output": "Text", "agent": "writer"}],
}
Sent = list[tuple[str, str, int]]


@pytest.fixture
def sent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sent]:
    """A throwaway SQLite store; what the reaper publishes is collected here."""
    before = get_settings()
    url = f"sqlite:///{tmp_path / 'redispatch.sqlite3'}"
    upgrade(url)
    use_settings(Settings(database_url=url, redispatch_after_seconds=BOUND))
    engine.reset_engines()
    published: Sent = []

    def publish(ident: str, priority: str, *_args: object, after_attempt: int) -> None:
        published.append((ident, str(priority), after_attempt))

    monkeypatch.setattr(reaper, "publish", publish)
    try:
        yield published
    finally:
        engine.reset_engines()
        use_settings(before)


def broker_holds(monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    monkeypatch.setattr(reaper, "broker_backlog", lambda: count)


_graph: dict[str, uuid.UUID] = {}


def add(
    now: datetime,
    sent_ago: float,
    status: str = "queued",
    priority: Priority = Priority.NORMAL,
    attempt: int = 0,
) -> str:
    with engine.session_scope() as session:
        graph = Graph(owner="local", name="g", definition=DEFINITION)
        session.add(graph)
        session.flush()
        at = now - timedelta(seconds=sent_ago)
        execution = Execution(
            owner="local",
            graph_id=graph.id,
            status=status,
            priority=priority.value,
            inputs={},
            attempt=attempt,
            created_at=at,
            dispatched_at=at,
            started_at=at + timedelta(seconds=0.1) if status != "queued" else None,
            finished_at=now - timedelta(seconds=2) if status == "completed" else None,
        )
        session.add(execution)
        session.flush()
        return str(execution.id)


def test_a_backlog_behind_busy_workers_is_not_sent_again(
    sent: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utcnow()
    for i in range(50):
        add(now, 600 - i)
    add(now, 700, status="running", attempt=1)  # sent before all of them
    broker_holds(monkeypatch, 50)
    assert reaper.redispatch_once(now) == 0
    assert sent == []


def test_with_an_empty_broker_the_lost_are_sent_oldest_first_at_their_priority(
    sent: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utcnow()
    second = add(now, 100)
    first = add(now, 200)
    urgent = add(now, 50, priority=Priority.HIGH)
    young = add(now, 5)  # within the bound: may still be on its way
    retry = add(now, 40, status="retrying", attempt=1)  # its retry due 40 s ago
    broker_holds(monkeypatch, 0)
    assert reaper.redispatch_once(now) == 4
    assert sent == [
        (urgent, "high", 0),
        (first, "normal", 0),
        (second, "normal", 0),
        (retry, "normal", 1),
    ]
    # sent again: not before twice the bound, however empty the broker stays
    assert reaper.redispatch_once(now + timedelta(seconds=BOUND + 1)) == 1
    assert sent[-1] == (young, "normal", 0)
    assert reaper.redispatch_once(now + timedelta(seconds=2 * BOUND - 1)) == 0
    assert reaper.redispatch_once(now + timedelta(seconds=2 * BOUND + 1)) == 4


def test_what_the_queue_passed_is_sent_again_and_what_waits_behind_is_not(
    sent: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utcnow()
    skipped = add(now, 120)
    add(now, 90, status="running", attempt=1)  # sent 30 s after it, and started
    add(now, 60)  # sent after that start's message: it may be next in line
    broker_holds(monkeypatch, 1000)
    assert reaper.redispatch_once(now) == 1
    assert sent == [(skipped, "normal", 0)]


def test_a_finished_later_one_is_evidence_too(sent: Sent, monkeypatch: pytest.MonkeyPatch) -> None:
    now = utcnow()
    skipped = add(now, 120, priority=Priority.HIGH)
    add(now, 90, status="completed", priority=Priority.LOW, attempt=1)
    broker_holds(monkeypatch, 1000)
    assert reaper.redispatch_once(now) == 1
    assert sent == [(skipped, "high", 0)]


def test_two_reapers_at_once_send_each_lost_execution_once(sent: Sent) -> None:
    now = utcnow()
    for i in range(5):
        add(now, 100 + i)
    cut = rule.cutoffs(now, BOUND, {}, broker_empty=True)
    seen_by_one = rule.due(waiting.waiting_before(cut, 100), now, BOUND, cut)
    seen_by_other = rule.due(waiting.waiting_before(cut, 100), now, BOUND, cut)
    assert len(waiting.claim(seen_by_one, now)) == 5
    assert waiting.claim(seen_by_other, now + timedelta(milliseconds=5)) == []
