"""The worker's cost of usage accounting per model call, measured in the process.

``python -m bench --accounting`` (``execution-service bench --accounting``): no stack,
a few seconds. For each model call a worker runs the before-model-call hook (the stop
check and, with a budget, the budget check: :meth:`CrewRun.before_model_call`) and the
handler of the call's completed event (the call counted in the run's ledger, the
progress writer told: ``crews/crewai/events.py``). Both are run here as crewai calls
them, in the crew's context (``active_run``), with a real :class:`ProgressWriter`
whose write interval is never due (a write is a database transaction, paid once per
``progress_write_interval``, not per call); the writes' own extra cost, building the
usage documents, is measured per write. Each figure is the median of
:data:`ROUNDS` rounds of :data:`CALLS` calls, in microseconds per call.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from execution_service.crews.crewai import events
from execution_service.crews.crewai.events import CrewRun, active_run
from execution_service.graph import GraphSpec
from execution_service.store.attempts import Attempt
from execution_service.usage import PriceTable
from execution_service.worker.progress import ProgressWriter

CALLS = 20_000
ROUNDS = 7

_SPEC = GraphSpec.model_validate(
    {
        "name": "bench",
        "agents": [
            {"role": f"agent {i}", "goal": "g", "backstory": "b", "llm": {"model": "m"}}
            for i in range(3)
        ],
        "tasks": [
            {"name": f"task {i}", "description": "d", "expected_output": "o", "agent": f"agent {i}"}
            for i in range(3)
        ],
    }
)
_PRICES = PriceTable.model_validate(
    {"currency": "USD", "models": {"m": {"prompt": 0.15, "completion": 0.6}}}
)
_BUDGET = {"max_total_tokens": 10**12, "max_cost": 10.0**9, "max_model_calls": 10**12}


def _run(budget: dict[str, Any] | None) -> CrewRun:
    attempt = Attempt(uuid.uuid4(), 1, 1, _SPEC, {}, None)
    writer = ProgressWriter(attempt, threading.Event(), interval=3600.0)
    run = CrewRun(_SPEC, writer)
    run.budget = budget
    run.prices = _PRICES
    for index in range(3):
        run.task_index[f"id-{index}"] = index
    return run


def _per_call(body: Callable[[int], object]) -> float:
    """Median microseconds per call of ``body(i)`` over the rounds."""
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for i in range(CALLS):
            body(i)
        times.append((time.perf_counter() - start) / CALLS * 1e6)
    return statistics.median(times)


def measure() -> dict[str, float]:
    found: dict[str, float] = {}
    event_of = [
        SimpleNamespace(
            task_id=f"id-{i % 3}",
            task_name=None,
            agent_role=f"agent {i % 3}",
            model="m",
            usage={"prompt_tokens": 812, "completion_tokens": 96, "total_tokens": 908},
        )
        for i in range(3)
    ]
    for name, budget in (("no budget", None), ("budget (3 limits)", _BUDGET)):
        run = _run(budget)
        token = active_run.set(run)
        try:

            def call(i: int, run: CrewRun = run) -> None:
                events._before_model_call(None)
                run.count_call(None, event_of[i % 3])

            found[f"hook + accounting, {name}"] = _per_call(call)
            if budget is None:  # (with a budget the hook waits for the call to be counted)
                found["hook alone (the stop check), no budget"] = _per_call(
                    lambda i: events._before_model_call(None)
                )
        finally:
            active_run.reset(token)
    run = _run(_BUDGET)
    for i in range(30):
        run.count_call(None, event_of[i % 3])
    found["usage documents, per progress write"] = _per_call(
        lambda i: run.ledger.documents(_PRICES)
    )
    return found


def main() -> int:
    figures = measure()
    print(f"usage accounting, microseconds per model call (median of {ROUNDS} x {CALLS}):")
    for name, value in figures.items():
        print(f"  {name:45s} {value:7.2f} us")
    return 0
