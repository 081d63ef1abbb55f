"""The event stream's pure parts: event ids and resuming, the order of history rows and
steps, the server-sent frames, and the watcher waking only the followers of executions
with new events."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from execution_service.service.event_stream import (
    START,
    Event,
    Position,
    Watcher,
    events_of,
    frame,
    parse_event_id,
)
from execution_service.service.refusals import InvalidRequest
from execution_service.store.stream_events import StoredEvents

AT = datetime(2026, 12, 3, tzinfo=UTC)


def test_ids_round_trip_and_grow() -> None:
    assert parse_event_id(Position(7).event_id()) == Position(7)
    assert parse_event_id(Position(7, 12).event_id()) == Position(7, 12)
    assert Position(7) < Position(7, 1) < Position(8) < Position(8, 3)
    assert parse_event_id(None) == START
    assert parse_event_id("  ") == START


@pytest.mark.parametrize("bad", ["x", "1.2.3", "-1", "1.", ".2", "1e3", "9" * 19])
def test_a_foreign_id_is_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(InvalidRequest, match="last_event_id"):
        parse_event_id(bad, "last_event_id")


def _execution(status: str) -> Any:
    columns = dict.fromkeys(
        [
            "timeout_seconds", "current_task", "progress_message", "error_code",
            "error_category", "error_message", "error_retryable", "error_details", "worker",
            "started_at", "finished_at", "heartbeat_at", "deadline_at", "queue_deadline_at",
            "stopped_at", "user_metadata", "usage", "budget",
        ]
    )  # fmt: skip
    return SimpleNamespace(
        **columns,
        id=uuid.uuid4(),
        graph_id=uuid.uuid4(),
        status=status,
        priority="normal",
        inputs={},
        attempt=1,
        max_attempts=1,
        progress_percent=100.0,
        result={"raw": "done"},
        outputs={"tasks": [{"task": "t1", "agent": "a", "raw": "done"}]},
        created_at=AT,
    )


def _row(ident: int, to_status: str, from_status: str | None = None) -> Any:
    return SimpleNamespace(
        id=ident, to_status=to_status, from_status=from_status, attempt=1, at=AT,
        message=None, details=None,
    )  # fmt: skip


def _step(ident: int, after: int, kind: str, **data: Any) -> Any:
    return SimpleNamespace(id=ident, after_event=after, attempt=1, at=AT, kind=kind, data=data)


def test_steps_fall_between_the_history_rows_they_came_after() -> None:
    stored = StoredEvents(
        _execution("completed"),
        [_row(3, "queued"), _row(9, "running", "queued"), _row(20, "completed", "running")],
        [_step(5, 9, "task.started", task="t1"), _step(6, 9, "task.completed", task="t1")],
        more=False,
    )
    events = events_of(stored)
    assert [e.position.event_id() for e in events] == ["3", "9", "9.5", "9.6", "20"]
    assert [e.name for e in events] == [
        "execution.queued",
        "execution.running",
        "task.started",
        "task.completed",
        "execution.completed",
    ]
    assert [e.final for e in events] == [False] * 4 + [True]
    assert events[-1].data["result"] == {"raw": "done"}
    assert events[-1].data["outputs"][0]["task"] == "t1"


def test_with_more_steps_waiting_only_events_up_to_the_last_step_read() -> None:
    stored = StoredEvents(
        _execution("completed"),
        [_row(9, "running", "queued"), _row(20, "completed", "running")],
        [_step(5, 9, "progress", percent=10.0)],
        more=True,
    )
    assert [e.position.event_id() for e in events_of(stored)] == ["9", "9.5"]


def test_a_frame_is_one_server_sent_event_with_one_line_of_json() -> None:
    text = frame(Event(Position(9, 5), "progress", {"message": "two\nlines", "n": 2**70}))
    assert text.endswith(b"\n\n")
    lines = text.decode().rstrip("\n").split("\n")
    assert lines[:2] == ["id: 9.5", "event: progress"]
    assert len(lines) == 3
    assert json.loads(lines[2].removeprefix("data: ")) == {"message": "two\nlines", "n": 2**70}


def test_the_watcher_wakes_only_the_followers_of_executions_with_new_events() -> None:
    one, two = uuid.uuid4(), uuid.uuid4()
    marks = {one: (1, 0), two: (1, 0)}
    asked: list[list[uuid.UUID]] = []

    def read(ids: Any) -> dict[uuid.UUID, tuple[int, int]]:
        asked.append(sorted(ids))
        return dict(marks)

    async def scenario() -> None:
        watcher = Watcher(0.01, read)
        with watcher.follow(one) as first, watcher.follow(two) as second:
            await asyncio.sleep(0.05)  # the first round: both marks are new
            first.clear()
            second.clear()
            await asyncio.sleep(0.05)
            assert not first.is_set() and not second.is_set()
            marks[two] = (1, 4)  # a step of the second
            await asyncio.wait_for(second.wait(), 1)
            assert not first.is_set()
        assert watcher.followed == 0
        rounds = watcher.rounds
        await asyncio.sleep(0.05)
        assert watcher.rounds == rounds  # nobody follows: no more reads

    asyncio.run(scenario())
    assert asked and all(ids == sorted([one, two]) for ids in asked)
