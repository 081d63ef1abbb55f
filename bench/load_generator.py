"""Load generators. Each runs in a process of its own (``spawn``), so that its work and
its GIL do not disturb the measurements of the others or of the benchmark itself."""

from __future__ import annotations

import contextlib
import multiprocessing
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bench.stats import latency_ms
from harness.http_client import UNREACHABLE, Http

_SPAWN = multiprocessing.get_context("spawn")


@dataclass
class QueueLoad:
    """What a crowd of clients queueing executions saw."""

    ids: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    started: float = 0.0  # wall clock (time.time) when the first request went out
    ended: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        span = self.ended - self.started
        return len(self.ids) / span if span > 0 else 0.0

    def figures(self, latency: str) -> dict[str, Any]:
        """What every queueing run reports: its time, its rate, and the latency of its
        calls (under the key ``latency``)."""
        return {
            "seconds": round(self.ended - self.started, 3),
            "per_second": round(self.rate, 1),
            latency: latency_ms(self.latencies),
        }


def queue_executions(
    base_url: str,
    key: str,
    graph_id: str,
    count: int,
    clients: int,
    body: dict[str, Any] | None = None,
    path: str | None = None,
) -> QueueLoad:
    """``clients`` threads queue ``count`` executions between them, back to back.

    ``path``: another route to POST to instead of the graph's executions (a peer's, such
    as Flower's async-apply or Prefect's create-flow-run); any 2xx answer carrying an
    ``id`` (or Flower's ``task-id``) counts as queued."""
    result = QueueLoad()
    lock = threading.Lock()
    left = [count]
    path = path or f"/api/v1/graphs/{graph_id}/executions"
    barrier = threading.Barrier(clients + 1)

    def client() -> None:
        http = Http(base_url, key=key)
        with contextlib.suppress(*UNREACHABLE):
            http.request("GET", "/healthz")  # connected before the clock starts
        barrier.wait()
        ids, latencies = [], []
        try:
            while True:
                with lock:
                    if left[0] <= 0:
                        break
                    left[0] -= 1
                start = time.perf_counter()
                status, answer = http.call("POST", path, body or {})
                latencies.append(time.perf_counter() - start)
                if 200 <= status < 300:
                    ids.append(str(answer.get("id") or answer.get("task-id")))
                else:
                    result.failures.append(f"{status}: {str(answer)[:200]}")
        except Exception as exc:
            result.failures.append(f"{type(exc).__name__}: {exc}")
        finally:
            http.close()
            with lock:
                result.ids += ids
                result.latencies += latencies

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    result.started = time.time()
    for thread in threads:
        thread.join()
    result.ended = time.time()
    return result


def probe_statuses(
    base_url: str, key: str, ids: list[str], stop: Any, pause: float = 0.0
) -> list[tuple[float, float]]:
    """One client reading random executions' status until ``stop`` is set.

    Returns (wall-clock time sent, seconds to answer) for each read.
    """
    http = Http(base_url, key=key)
    http.call("GET", "/healthz")
    rng = random.Random(7)
    samples = []
    while not stop.is_set():
        sent = time.time()
        start = time.perf_counter()
        status, _ = http.call("GET", f"/api/v1/executions/{rng.choice(ids)}")
        samples.append((sent, time.perf_counter() - start))
        if status != 200:
            raise RuntimeError(f"a status read answered {status}")
        if pause:
            time.sleep(pause)
    http.close()
    return samples


def _queue_entry(out: Any, *args: Any) -> None:
    out.put(queue_executions(*args))


def _probe_entry(out: Any, *args: Any) -> None:
    out.put(probe_statuses(*args))


class Background:
    """Runs a load generator in a process of its own; ``result()`` waits for its answer."""

    def __init__(self, target: Any, *args: Any) -> None:
        self._out = _SPAWN.Queue()
        self._process = _SPAWN.Process(target=target, args=(self._out, *args), daemon=True)
        self._process.start()

    def result(self, timeout: float = 3600.0) -> Any:
        try:
            found = self._out.get(timeout=timeout)
        finally:
            self._process.join(10)
        return found


def queue_in_background(
    base_url: str,
    key: str,
    graph_id: str,
    count: int,
    clients: int,
    body: dict[str, Any] | None = None,
    path: str | None = None,
) -> Background:
    return Background(_queue_entry, base_url, key, graph_id, count, clients, body, path)


# The probe samples the latency of status reads; it is not meant as a load of its own.
# Back to back it would be a 17th client taking about half of the API's time (a read
# answers in about a millisecond) and lowering the queueing rate it runs beside.
PROBE_PAUSE = 0.005


def probe_in_background(base_url: str, key: str, ids: list[str], stop: Any) -> Background:
    """One client reading statuses, one read every ``PROBE_PAUSE`` s plus its answer."""
    return Background(_probe_entry, base_url, key, ids, stop, PROBE_PAUSE)


def stop_event() -> Any:
    return _SPAWN.Event()
