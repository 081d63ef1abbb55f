"""A property-based check of the status machine: generated schedules of competing status
changes, applied by two threads racing on a real database, never break its rules."""

from __future__ import annotations

import itertools
import shutil
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from execution_service.status import ALLOWED, TERMINAL, Status
from execution_service.store import transitions as states
from execution_service.store.engine import make_engine
from execution_service.store.migrate import upgrade
from execution_service.store.models import Execution, ExecutionEvent, Graph

from .measure import record
from .world import World

# what the actors of the system try to do, each a move to one status
MOVES = [
    Status.RUNNING,
    Status.COMPLETED,
    Status.FAILED,
    Status.RETRYING,
    Status.CANCELLED,
    Status.TIMED_OUT,
]


class Lab:
    """A throwaway SQLite database with the service's schema."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="crew-exec-props-"))
        url = f"sqlite:///{self.folder / 'props.sqlite3'}"
        upgrade(url)
        self.engine = make_engine(url)
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        with self.sessions.begin() as session:
            graph = Graph(name="props", definition={})
            session.add(graph)
        self.graph_id = graph.id

    def new_execution(self) -> uuid.UUID:
        with self.sessions.begin() as session:
            execution = Execution(
                graph_id=self.graph_id, status="queued", priority="normal", inputs={}, attempt=0
            )
            session.add(execution)
            session.flush()
            states.record_creation(session, execution)
            return execution.id

    def move(self, ident: uuid.UUID, target: Status) -> Status | None:
        with self.sessions.begin() as session:
            return states.transition(session, ident, target)

    def history(self, ident: uuid.UUID) -> tuple[str, list[tuple[str | None, str]]]:
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

    def close(self) -> None:
        self.engine.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)


def check_history(
    status: str, history: list[tuple[str | None, str]], won: list[tuple[Status, Status]]
) -> None:
    assert history[0] == (None, "queued"), history
    for (_, previous), (source, target) in itertools.pairwise(history):
        assert source == previous, f"broken chain: {history}"
        assert Status(target) in ALLOWED[Status(source)], f"illegal move in {history}"
    assert history[-1][1] == status, f"status {status} but history ends {history[-1]}"
    finals = [t for _, t in history if Status(t) in TERMINAL]
    assert len(finals) <= 1, f"two final status changes: {history}"
    assert len(history) - 1 == len(won), f"moves reported won {won} but history {history}"


def apply_schedules(w: World, examples: int) -> None:
    """Run the property; a broken rule fails here, with hypothesis's smallest example."""
    try:
        w.before["properties"] = run(examples)
    except AssertionError as exc:
        w.before["properties"] = {"failure": str(exc)}


def all_held(w: World) -> None:
    seen = w.before["properties"]
    assert "failure" not in seen, seen.get("failure")
    assert seen["schedules"] > 0 and seen["won"] > 0, seen
    record("status machine property check", w.stack.name, seen)


def run(examples: int) -> dict[str, Any]:
    lab = Lab()
    seen = {"schedules": 0, "moves": 0, "won": 0}
    try:
        schedules = st.lists(st.sampled_from(MOVES), min_size=1, max_size=8)

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(first=schedules, second=schedules)
        def property_holds(first: list[Status], second: list[Status]) -> None:
            ident = lab.new_execution()
            won: list[tuple[Status, Status]] = []
            lock = threading.Lock()
            start = threading.Barrier(2)

            def worker(moves: list[Status]) -> None:
                start.wait()
                for target in moves:
                    source = lab.move(ident, target)
                    if source is not None:
                        with lock:
                            won.append((source, target))

            threads = [threading.Thread(target=worker, args=(m,)) for m in (first, second)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            status, history = lab.history(ident)
            check_history(status, history, won)
            seen["schedules"] += 1
            seen["moves"] += len(first) + len(second)
            seen["won"] += len(won)

        property_holds()
    finally:
        lab.close()
    return seen
