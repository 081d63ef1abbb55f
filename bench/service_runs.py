"""The service measured from outside, through its HTTP API, like a user."""

from __future__ import annotations

import random
import time
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, create_engine, func, select, update

from bench.cpu import CpuMeter
from bench.load_generator import (
    QueueLoad,
    probe_in_background,
    queue_in_background,
    stop_event,
)
from bench.measured_stack import BenchStack
from bench.stats import latency_ms
from execution_service.store.models import Execution
from harness.http_client import Http

ENDED = ("completed", "failed", "cancelled", "timed_out")


def graph_definition(steps: int, step_seconds: float, name: str) -> dict[str, Any]:
    """A crew of one agent and one task; the scripted crew takes ``steps`` x ``step_seconds``."""
    return {
        "name": name,
        "agents": [{"role": "worker", "goal": "Do the work", "backstory": "A benchmark crew."}],
        "tasks": [
            {
                "name": "work",
                "description": "Do the work",
                "expected_output": "Done",
                "agent": "worker",
            }
        ],
        "script": {"default": {"steps": steps, "step_seconds": step_seconds}, "tasks": []},
    }


class Service:
    def __init__(self, stack: BenchStack) -> None:
        self.stack = stack
        self.http = Http(stack.base_url, key=stack.api_key)
        self.engine: Engine = create_engine(stack.database_url, pool_size=2)
        self.samples: dict[str, list[float]] = {}  # seconds, for the chart

    def close(self) -> None:
        self.http.close()
        self.engine.dispose()

    def graph(self, steps: int = 1, step_seconds: float = 0.0, name: str = "noop") -> str:
        created = self.http.ok(
            "POST", "/api/v1/graphs", graph_definition(steps, step_seconds, name)
        )
        return str(created["id"])

    def _finished(self, graph_id: str) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(Execution)
                    .where(Execution.graph_id == graph_id, Execution.status.in_(ENDED))
                ).scalar_one()
            )

    def wait_finished(self, graph_id: str, count: int, timeout: float = 900.0) -> None:
        deadline = time.monotonic() + timeout
        while (done := self._finished(graph_id)) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{done} of {count} executions finished in {timeout:g} s")
            # the time taken is read from the rows (the last finished_at), not from this
            # loop: polling more often would not make it more exact, only load the database
            time.sleep(0.1)

    def _last_finished(self, graph_id: str) -> datetime:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(func.max(Execution.finished_at)).where(Execution.graph_id == graph_id)
            ).scalar_one()
        assert found is not None
        return found

    def queue(self, graph_id: str, count: int, clients: int) -> QueueLoad:
        load: QueueLoad = queue_in_background(
            self.stack.base_url, self.stack.api_key, graph_id, count, clients
        ).result()
        if load.failures:
            raise RuntimeError(f"queueing failed: {load.failures[:3]}")
        return load

    # -- throughput ---------------------------------------------------------------------

    def end_to_end(self, count: int, clients: int) -> dict[str, Any]:
        """Queue ``count`` zero-work executions with ``clients`` clients; time to the last one."""
        graph_id = self.graph()
        meter = CpuMeter(self.stack)
        meter.start()
        load = self.queue(graph_id, count, clients)
        self.wait_finished(graph_id, count)
        spent = self._last_finished(graph_id).timestamp() - load.started
        return {
            "executions": count,
            "clients": clients,
            "seconds": round(spent, 3),
            "per_second": round(count / spent, 1),
            "queue_per_second": round(load.rate, 1),
            "queue_latency": latency_ms(load.latencies),
            "cpu_ms_per_execution": meter.per_execution(count),
        }

    def queueing(self, count: int, clients: int, probe_ids: list[str]) -> dict[str, Any]:
        """The API's queueing rate with the workers not consuming (as raw publishing is
        measured), and the latency of one client's status reads meanwhile; then the
        workers' drain rate of the queue that built up (their side alone)."""
        graph_id = self.graph(name="queueing")
        self.stack.pause_consuming()
        stop = stop_event()
        probe = probe_in_background(self.stack.base_url, self.stack.api_key, probe_ids, stop)
        time.sleep(1.0)  # the probe has started and warmed up before the load begins
        resumed = False
        meter = CpuMeter(self.stack)
        try:
            meter.start()
            load = self.queue(graph_id, count, clients)
            stop.set()
            samples: list[tuple[float, float]] = probe.result()
            queue_cpu = meter.per_execution(count)  # with the probe's reads
            meter.start()
            drain_start = time.time()
            self.stack.resume_consuming()
            resumed = True
            self.wait_finished(graph_id, count)
            drained = self._last_finished(graph_id).timestamp() - drain_start
            drain_cpu = meter.per_execution(count)
        finally:
            stop.set()
            if not resumed:
                self._drop_queued(graph_id)
                self.stack.resume_consuming()
        under_load = [s for at, s in samples if load.started <= at <= load.ended]
        idle = [s for at, s in samples if at < load.started]
        self.samples["status read (idle)"] = idle
        self.samples["status read (queueing)"] = under_load
        self.samples["queue call"] = load.latencies
        return {
            "executions": count,
            "clients": clients,
            **load.figures("queue_latency"),
            "status_read_under_load": latency_ms(under_load),
            "status_read_idle": latency_ms(idle),
            "drain_seconds": round(drained, 3),
            "drain_per_second": round(count / drained, 1),
            "cpu_ms_per_execution": queue_cpu,
            "drain_cpu_ms_per_execution": drain_cpu,
        }

    def _drop_queued(self, graph_id: str) -> None:
        """Cancel what the queueing run left queued: the workers drop those messages."""
        with self.engine.begin() as conn:
            conn.execute(
                update(Execution)
                .where(Execution.graph_id == graph_id, Execution.status == "queued")
                .values(status="cancelled", finished_at=func.now())
            )

    # -- stopping -----------------------------------------------------------------------

    def _wait_status(self, ids: list[str], statuses: tuple[str, ...], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for ident in ids:
            while self.http.ok("GET", f"/api/v1/executions/{ident}")["status"] not in statuses:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"execution {ident} never reached {statuses}")
                time.sleep(0.01)

    def _stopped(self, ident: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            found: dict[str, Any] = self.http.ok("GET", f"/api/v1/executions/{ident}")
            if found["stopped_at"] is not None and found["status"] in ENDED:
                return found
            if time.monotonic() > deadline:
                raise RuntimeError(f"the crew of execution {ident} never stopped")
            time.sleep(0.005)

    def cancel_latency(self, samples: int, slots: int) -> dict[str, Any]:
        """Cancel running executions whose crews take 100 ms steps: how long until the
        answer, and until the worker has stopped the crew (``stopped_at``)."""
        graph_id = self.graph(steps=600, step_seconds=0.1, name="cancel")
        rng = random.Random(11)
        answers: list[float] = []
        stops: list[float] = []
        path = f"/api/v1/graphs/{graph_id}/executions"
        while len(stops) < samples:
            ids = [self.http.ok("POST", path, {})["id"] for _ in range(min(slots, samples))]
            self._wait_status(ids, ("running",), 30)
            for ident in ids:
                time.sleep(rng.uniform(0.0, 0.1))  # land anywhere within a step
                sent = time.time()
                start = time.perf_counter()
                status, answer = self.http.call("POST", f"/api/v1/executions/{ident}/cancel")
                answers.append(time.perf_counter() - start)
                if status != 200 or answer["status"] != "cancelled":
                    raise RuntimeError(f"cancel answered {status}: {answer}")
                stopped = self._stopped(ident)
                stops.append(datetime.fromisoformat(stopped["stopped_at"]).timestamp() - sent)
        self.samples["cancel answer"] = answers
        self.samples["cancel to stopped"] = stops
        return {
            "samples": len(stops),
            "answer": latency_ms(answers),
            "cancel_to_stopped": latency_ms(stops),
        }

    def timeout_accuracy(self, samples: int, slots: int, timeout: float = 0.5) -> dict[str, Any]:
        """Executions with a ``timeout`` running 100 ms steps: how late after the deadline
        each is reported timed out, and its crew let go."""
        graph_id = self.graph(steps=600, step_seconds=0.1, name="timeout")
        path = f"/api/v1/graphs/{graph_id}/executions"
        reported: list[float] = []
        stopped: list[float] = []
        while len(reported) < samples:
            ids = [
                self.http.ok("POST", path, {"timeout_seconds": timeout})["id"]
                for _ in range(min(slots, samples - len(reported)))
            ]
            for ident in ids:
                found = self._stopped(ident)
                if found["status"] != "timed_out":
                    raise RuntimeError(f"execution {ident} ended {found['status']}")
                deadline = datetime.fromisoformat(found["deadline_at"])
                reported.append(
                    (datetime.fromisoformat(found["finished_at"]) - deadline).total_seconds()
                )
                stopped.append(
                    (datetime.fromisoformat(found["stopped_at"]) - deadline).total_seconds()
                )
        self.samples["deadline to timed_out"] = reported
        return {
            "samples": len(reported),
            "timeout_seconds": timeout,
            "deadline_to_timed_out": latency_ms(reported),
            "deadline_to_stopped": latency_ms(stopped),
        }
