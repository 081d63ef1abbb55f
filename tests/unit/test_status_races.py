"""The store's compare-and-set (``execution_service.store.transitions``) under races.

Generated schedules of competing status changes, applied by two threads racing on a real
SQLite database (WAL, ``BEGIN IMMEDIATE``, as the embedded stack runs it), never break the
status machine: the history is an unbroken chain of allowed moves, at most one of them to
a final status, and it holds exactly the moves the callers were told they won. No API and
no broker: the property is about the store alone.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from execution_service.status import ALLOWED, TERMINAL, Status
from execution_service.store import transitions
from execution_service.store.engine import make_engine
from execution_service.store.migrate import upgrade
from execution_service.store.models import Execution, ExecutionEvent, Graph

# what the actors of the system try to do (the API cancels, the worker starts, completes,
# fails or schedules a retry, the reaper times out), each a move to one status
MOVES = [
    Status.RUNNING,
    Status.COMPLETED,
    Status.FAILED,
    Status.RETRYING,
    Status.CANCELLED,
    Status.TIMED_OUT,
]

# each example is two threads and up to 16 write transactions on SQLite; 150, as many as
# the acceptance scenario it replaces ran, take about 2 s
RACE_EXAMPLES = 150

History = list[tuple[str | None, str]]


class Lab:
    """A throwaway SQLite database with the service's schema (migrated, as shipped)."""

    def __init__(self, folder: Path) -> None:
        url = f"sqlite:///{folder / 'races.sqlite3'}"
        upgrade(url)
        self.engine = make_engine(url)
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        with self.sessions.begin() as session:
            graph = Graph(owner="local", name="races", definition={})
            session.add(graph)
        self.graph_id = graph.id

    def new_execution(self) -> uuid.UUID:
        with self.sessions.begin() as session:
            execution = Execution(
                owner="local",
                graph_id=self.graph_id,
                status="queued",
                priority="normal",
                inputs={},
                attempt=0,
            )
            session.add(execution)
            session.flush()
            transitions.record_creation(session, execution)
            return execution.id

    def move(
        self,
        ident: uuid.UUID,
        target: Status,
        *,
        expected: frozenset[Status] | None = None,
        values: dict[str, Any] | None = None,
        attempt: int | None = None,
    ) -> Status | None:
        with self.sessions.begin() as session:
            return transitions.transition(
                session, ident, target, expected=expected, values=values, attempt=attempt
            )

    def history(self, ident: uuid.UUID) -> tuple[str, History]:
        with Session(self.engine) as session:
            status = session.execute(
                select(Execution.status).where(Execution.id == ident)
            ).scalar_one()
            events = session.execute(
                select(ExecutionEvent.from_status, ExecutionEvent.to_status)
                .where(ExecutionEvent.execution_id == ident)
                .order_by(ExecutionEvent.id)
            ).all()
            return status, [(e.from_status, e.to_status) for e in events]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    found = Lab(tmp_path_factory.mktemp("races"))
    yield found
    found.engine.dispose()


def check_history(status: str, history: History, won: list[tuple[Status, Status]]) -> None:
    assert history[0] == (None, "queued"), history
    for (_, previous), (source, target) in itertools.pairwise(history):
        assert source == previous, f"broken chain: {history}"
        assert Status(target) in ALLOWED[Status(source)], f"illegal move in {history}"
    assert history[-1][1] == status, f"status {status} but history ends {history[-1]}"
    finals = [t for _, t in history if Status(t) in TERMINAL]
    assert len(finals) <= 1, f"two final status changes: {history}"
    assert sorted(history[1:]) == sorted(won), f"moves reported won {won} but history {history}"


def race(lab: Lab, ident: uuid.UUID, *schedules: list[Status]) -> list[tuple[Status, Status]]:
    """Apply each schedule in its own thread, all starting together; the moves won."""
    won: list[tuple[Status, Status]] = []
    lock = threading.Lock()
    start = threading.Barrier(len(schedules))

    def worker(moves: list[Status]) -> None:
        start.wait()
        for target in moves:
            source = lab.move(ident, target)
            if source is not None:
                with lock:
                    won.append((source, target))

    threads = [threading.Thread(target=worker, args=(moves,)) for moves in schedules]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return won


schedules = st.lists(st.sampled_from(MOVES), min_size=1, max_size=8)


@settings(
    max_examples=RACE_EXAMPLES,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(first=schedules, second=schedules)
def test_no_order_of_competing_status_changes_breaks_the_machine(
    lab: Lab, first: list[Status], second: list[Status]
) -> None:
    ident = lab.new_execution()
    won = race(lab, ident, first, second)
    status, history = lab.history(ident)
    check_history(status, history, won)


def test_of_racing_cancels_exactly_one_wins(lab: Lab) -> None:
    ident = lab.new_execution()
    won = race(lab, ident, *([[Status.CANCELLED]] * 4))
    assert won == [(Status.QUEUED, Status.CANCELLED)]
    assert lab.history(ident) == ("cancelled", [(None, "queued"), ("queued", "cancelled")])


def test_a_cancel_racing_completion_leaves_one_final_status(lab: Lab) -> None:
    ident = lab.new_execution()
    assert lab.move(ident, Status.RUNNING) == Status.QUEUED
    won = race(lab, ident, [Status.COMPLETED], [Status.CANCELLED])
    assert len(won) == 1
    status, history = lab.history(ident)
    assert history[-1] == ("running", status) and status in {"completed", "cancelled"}
    assert len(history) == 3


def test_a_move_the_machine_forbids_changes_nothing(lab: Lab) -> None:
    ident = lab.new_execution()
    assert lab.move(ident, Status.COMPLETED) is None
    assert lab.history(ident) == ("queued", [(None, "queued")])


def test_a_final_status_is_never_left(lab: Lab) -> None:
    ident = lab.new_execution()
    assert lab.move(ident, Status.CANCELLED) == Status.QUEUED
    for target in MOVES:
        assert lab.move(ident, target) is None
    assert lab.history(ident)[0] == "cancelled"


def test_expected_narrows_where_a_move_may_come_from(lab: Lab) -> None:
    ident = lab.new_execution()
    assert lab.move(ident, Status.FAILED, expected=frozenset({Status.RUNNING})) is None
    assert lab.move(ident, Status.FAILED, expected=frozenset({Status.QUEUED})) == Status.QUEUED


def test_a_move_for_another_attempt_loses(lab: Lab) -> None:
    ident = lab.new_execution()
    lab.move(ident, Status.RUNNING, values={"attempt": 1})
    assert lab.move(ident, Status.COMPLETED, attempt=2) is None
    assert lab.move(ident, Status.COMPLETED, attempt=1) == Status.RUNNING
    assert lab.history(ident)[0] == "completed"


def test_a_move_overtaken_between_its_read_and_its_write_looks_again(lab: Lab) -> None:
    """A cancel reads ``running``; before its conditional UPDATE runs, somebody else moves
    the execution to ``retrying``. The UPDATE finds nothing, and the cancel reads again and
    moves from ``retrying``."""
    ident = lab.new_execution()
    lab.move(ident, Status.RUNNING)
    overtaken: list[bool] = []

    def somebody_else(_conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("UPDATE executions") and not overtaken:
            overtaken.append(True)
            cursor.execute("UPDATE executions SET status = 'retrying' WHERE id = ?", (ident.hex,))

    event.listen(lab.engine, "before_cursor_execute", somebody_else)
    try:
        assert lab.move(ident, Status.CANCELLED) == Status.RETRYING
    finally:
        event.remove(lab.engine, "before_cursor_execute", somebody_else)
    assert overtaken and lab.history(ident)[0] == "cancelled"
