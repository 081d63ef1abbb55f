"""The chaos run: a burst of executions queued while the faults the service must survive
happen to it, then what must hold of every execution it accepted.

The burst: ``count`` executions of crews taking 0.2 to 2 s, queued by four clients that
retry (as a real client would) when the API does not answer. The faults, each a named
operation (``support/faults/``), run meanwhile from this thread, as the scenario's table
schedules them:

* a worker's pool processes SIGKILLed, the workers taken in turn, every few seconds from
  the start until every execution has ended (at most ``KILL_WINDOW``), so crews die
  mid-run again and again (``worker_processes.kill_pool_processes``);
* the API process SIGKILLed once, halfway through the queueing, and started again
  (``api_process``): requests in flight are cut off, a batch may be committed and not
  published;
* the broker's messages flushed once (``broker.flush_broker``).

What must hold is read from the store (the API shows one execution at a time): every
execution ends in exactly one final status, none is left waiting or running, no two
attempts of one execution overlapped, none completed twice. The counts go to
``reports/reliability.json`` and the terminal.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hamcrest import assert_that, empty, equal_to, greater_than
from sqlalchemy import select

from execution_service.status import TERMINAL, Status
from execution_service.store.models import Execution, ExecutionEvent
from harness.http_client import UNREACHABLE, Http

from .builders.graph_definitions import graph_definition
from .faults import api_process, broker, worker_processes
from .polling import wait_until
from .stacks import services_stack
from .world import World

DURATIONS = (0.2, 0.5, 1.0, 1.5, 2.0)  # seconds a crew takes, spread over the burst
CLIENTS = 4
REPORT = Path("reports/reliability.json")
FINAL = {s.value for s in TERMINAL}
NEEDS = "the chaos run kills worker and API processes"
KILL_WINDOW = 150.0  # seconds from the start during which worker kills go on


@dataclass
class Schedule:
    """When each fault strikes (from the scenario's table)."""

    kill_worker_every: float | None = None
    kill_api_at_fraction: float | None = None
    flush_after_queued: int | None = None

    @classmethod
    def from_table(cls, rows: list[dict[str, str]], count: int) -> Schedule:
        schedule = cls()
        for row in rows:
            fault, when = row["fault"], row["when"]
            if "pool processes are killed" in fault:
                found = re.search(r"every (\d+(?:\.\d+)?) seconds", when)
                assert found, f"when: {when!r}"
                schedule.kill_worker_every = float(found.group(1))
            elif "API process is killed" in fault:
                assert "halfway" in when, f"when: {when!r}"
                schedule.kill_api_at_fraction = 0.5
            elif "broker loses" in fault:
                found = re.search(r"after (\d+) are queued", when)
                assert found, f"when: {when!r}"
                schedule.flush_after_queued = min(int(found.group(1)), count)
            else:
                raise AssertionError(f"no such fault: {fault!r}")
        return schedule


@dataclass
class Burst:
    """The clients queueing the burst: what was accepted (202) and what was refused."""

    base_url: str
    key: str
    graph_ids: list[str]
    count: int
    accepted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    unanswered: int = 0  # requests the API did not answer (down, or killed mid-request)
    lock: threading.Lock = field(default_factory=threading.Lock)
    threads: list[threading.Thread] = field(default_factory=list)
    # set at each answer recorded (the fault schedule reacts at once); ``halt`` ends the
    # clients' pauses early when the run is abandoned
    answered: threading.Event = field(default_factory=threading.Event)
    halt: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        shares = [self.count // CLIENTS + (i < self.count % CLIENTS) for i in range(CLIENTS)]
        for index, share in enumerate(shares):
            thread = threading.Thread(target=self._client, args=(index, share), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _client(self, index: int, share: int) -> None:
        rng = random.Random(index)
        http = Http(self.base_url, timeout=10, key=self.key)
        try:
            for n in range(share):
                graph = self.graph_ids[(index + n) % len(self.graph_ids)]
                self._queue_one(http, graph)
                if self.halt.wait(rng.uniform(0.0, 0.05)):  # a burst, not a flood
                    return
        finally:
            http.close()

    def _queue_one(self, http: Http, graph: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, answer = http.call("POST", f"/api/v1/graphs/{graph}/executions", {})
            except UNREACHABLE:
                with self.lock:
                    self.unanswered += 1
                if self.halt.wait(0.2):  # the API is down: try again, as a client would
                    return
                continue
            with self.lock:
                self.answered.set()
                if status == 202:
                    self.accepted.append(answer["id"])
                else:
                    self.refused.append(f"{status}: {str(answer)[:200]}")
            return
        with self.lock:
            self.refused.append("no answer within 60 s")

    def queued(self) -> int:
        with self.lock:
            return len(self.accepted)

    def done(self) -> bool:
        return not any(t.is_alive() for t in self.threads)


def run(w: World, count: int, rows: list[dict[str, str]]) -> None:
    """Queue the burst through the faults of ``rows``; the faults stop once every
    accepted execution is queued and a few more worker kills have hit running crews."""
    services = services_stack(w.stack, NEEDS)
    schedule = Schedule.from_table(rows, count)
    graphs = [
        w.api.create_graph(graph_definition(tasks=1, steps=4, step_seconds=d / 4, name=f"{d} s"))
        for d in DURATIONS
    ]
    burst = Burst(w.stack.base_url, w.stack.api_key, [g["id"] for g in graphs], count)
    faults: Counter[str] = Counter()
    started = time.monotonic()
    burst.start()
    next_kill = started + (schedule.kill_worker_every or 0)
    api_killed = flushed = False
    workers = list(services.worker_names)
    try:
        ended_at: float | None = None
        while True:
            now = time.monotonic()
            if burst.done() and ended_at is None:
                ended_at = now
            # the worker kills go on while the burst's crews run (at most KILL_WINDOW)
            if ended_at is not None and (now - started > KILL_WINDOW or _all_final(w)):
                break
            if schedule.kill_worker_every and now >= next_kill:
                victim = workers[faults["worker kills"] % len(workers)]
                if worker_processes.kill_pool_processes(w.stack, victim):
                    faults["worker kills"] += 1
                next_kill = now + schedule.kill_worker_every
            queued = burst.queued()
            at = schedule.kill_api_at_fraction
            if at is not None and not api_killed and queued >= at * count:
                api_process.kill_api(w.stack)
                faults["API kills"] += 1
                api_process.start_api_again(w.stack)
                api_killed = True
            flush_at = schedule.flush_after_queued
            if flush_at is not None and not flushed and queued >= flush_at:
                broker.flush_broker(w.stack)
                faults["broker flushes"] += 1
                flushed = True
            # the next answer, or the next tick of the kill timer, whichever comes first
            burst.answered.wait(0.05)
            burst.answered.clear()
    finally:
        burst.halt.set()  # the clients stop too if a fault operation failed
    for thread in burst.threads:
        thread.join(timeout=5)
    w.before["chaos"] = {
        "burst": burst,
        "faults": dict(faults),
        "started": started,
        "queued_seconds": round((ended_at or time.monotonic()) - started, 1),
    }
    assert_that(burst.refused, empty(), "requests refused (anything but a 202)")
    if schedule.kill_api_at_fraction is not None:
        assert_that(faults["API kills"], equal_to(1), "API kills")
    if schedule.flush_after_queued is not None:
        assert_that(faults["broker flushes"], equal_to(1), "broker flushes")
    if schedule.kill_worker_every:
        assert_that(faults["worker kills"], greater_than(0), "worker kills")


def _all_final(w: World) -> bool:
    with w.stack.database.engine.connect() as conn:
        waiting = conn.execute(
            select(Execution.id).where(Execution.status.not_in(sorted(FINAL))).limit(1)
        ).first()
    return waiting is None


def _facts(w: World) -> tuple[list[Any], dict[str, list[Any]]]:
    """Every execution of the run (those the clients never heard of included: an answer
    cut off by the API's death) and each one's history, oldest first."""
    with w.stack.database.engine.connect() as conn:
        rows = conn.execute(
            select(
                Execution.id,
                Execution.status,
                Execution.attempt,
                Execution.error_code,
                Execution.redispatches,
            )
        ).all()
        events = conn.execute(
            select(
                ExecutionEvent.execution_id,
                ExecutionEvent.from_status,
                ExecutionEvent.to_status,
                ExecutionEvent.attempt,
                ExecutionEvent.at,
            ).order_by(ExecutionEvent.execution_id, ExecutionEvent.id)
        ).all()
    histories: dict[str, list[Any]] = defaultdict(list)
    for event in events:
        histories[str(event.execution_id)].append(event)
    return list(rows), histories


def all_ended_within(w: World, seconds: float) -> None:
    chaos = w.before["chaos"]

    def ended() -> bool:
        rows, _ = _facts(w)
        return all(row.status in FINAL for row in rows)

    wait_until(ended, timeout=seconds, interval=0.5)
    rows, _ = _facts(w)
    chaos["ended_seconds"] = round(time.monotonic() - chaos["started"], 1)
    by_id = {str(row.id): row for row in rows}
    accepted = chaos["burst"].accepted
    missing = [i for i in accepted if i not in by_id]
    assert_that(missing, empty(), "accepted executions not stored")
    waiting = {i: row.status for i, row in by_id.items() if row.status not in FINAL}
    assert_that(waiting, empty(), f"executions not ended within {seconds:g} s")


def each_ended_once(w: World) -> None:
    """Exactly one final status in each history, no two attempts overlapping (an attempt
    starts only after the one before it ended), no completion twice."""
    rows, histories = _facts(w)
    problems: list[str] = []
    for row in rows:
        ident = str(row.id)
        history = histories[ident]
        finals = [e for e in history if e.to_status in FINAL]
        if len(finals) != 1:
            problems.append(f"{ident}: {len(finals)} final statuses")
        running: int | None = None
        for event in history:
            if event.to_status == Status.RUNNING.value:
                if running is not None:
                    problems.append(f"{ident}: attempt {event.attempt} began during {running}")
                running = event.attempt
            elif event.from_status == Status.RUNNING.value:
                running = None
        times = [e.at for e in history]
        if times != sorted(times):
            problems.append(f"{ident}: history out of order")
    assert_that(problems, empty(), "executions that did not end exactly once")


def report(w: World) -> None:
    """The run's counts, to ``reports/reliability.json`` and the terminal."""
    chaos = w.before["chaos"]
    rows, histories = _facts(w)
    by_status = Counter(row.status for row in rows)
    counts = {
        "executions": len(rows),
        "accepted": len(chaos["burst"].accepted),
        "unanswered_requests": chaos["burst"].unanswered,
        "completed": by_status.get(Status.COMPLETED.value, 0),
        "failed": by_status.get(Status.FAILED.value, 0),
        "failed_worker_lost": sum(
            1 for r in rows if r.status == "failed" and r.error_code == "WORKER_LOST"
        ),
        "retried": sum(1 for r in rows if r.attempt > 1),
        "redispatched": sum(1 for r in rows if r.redispatches),
        "other_final": {s: n for s, n in by_status.items() if s not in ("completed", "failed")},
        "faults": chaos["faults"],
        "queueing_seconds": chaos["queued_seconds"],
        "all_ended_seconds": chaos.get("ended_seconds"),
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(counts, indent=2) + "\n")
    print(f"chaos run: {json.dumps(counts)}")
    assert_that(counts["completed"] + counts["failed"], greater_than(0))
    assert_that(sum(len(h) for h in histories.values()), greater_than(0))
