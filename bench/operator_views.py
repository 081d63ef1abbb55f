"""What operators look at, measured while the benchmark runs: ``GET /metrics`` scraped
under load (its latency, and one scrape kept as it was), and the cost of Celery's task
events (``EXEC_TASK_EVENTS``, what Flower needs) on end-to-end throughput."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from bench.measured_stack import BenchStack
from bench.service_runs import Service
from bench.stats import latency_ms, median
from harness.http_client import Http


class MetricsScraper(threading.Thread):
    """Scrapes ``/metrics`` with an operator's key every ``interval`` seconds until
    stopped; keeps every latency and the scrape taken nearest the middle of the run."""

    def __init__(self, stack: BenchStack, interval: float = 1.0) -> None:
        super().__init__(name="metrics-scraper", daemon=True)
        self.http = Http(stack.base_url, key=stack.operator_key)
        self.interval = interval
        self.latencies: list[float] = []
        self.scrapes: list[tuple[float, str]] = []
        self.failures: list[str] = []
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.interval):
            began = time.perf_counter()
            answer = self.http.request("GET", "/metrics", timeout=30)
            if answer.status_code != 200:
                self.failures.append(f"{answer.status_code}: {answer.text[:200]}")
                continue
            self.latencies.append(time.perf_counter() - began)
            self.scrapes.append((time.time(), answer.text))

    def finish(self, path: Path | None) -> dict[str, Any]:
        """Stop; write the middle scrape to ``path``; the latencies."""
        self._done.set()
        self.join(60)
        self.http.close()
        kept = None
        if self.scrapes and path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            at, text = self.scrapes[len(self.scrapes) // 2]
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
            path.write_text(f"# GET /metrics at {stamp}, during the benchmark's load\n{text}")
            kept = str(path)
        return {
            "scrapes": len(self.latencies),
            "latency": latency_ms(self.latencies),
            "failures": self.failures[:3],
            "kept": kept,
        }


def end_to_end_scraped(
    stack: BenchStack, service: Service, count: int, clients: int, path: Path | None
) -> dict[str, Any]:
    """An end-to-end run with ``/metrics`` scraped every second meanwhile."""
    scraper = MetricsScraper(stack)
    scraper.start()
    try:
        run = service.end_to_end(count, clients)
    finally:
        scraped = scraper.finish(path)
    return {"end_to_end_per_second": run["per_second"], **scraped}


def task_events_cost(
    stack: BenchStack, service: Service, count: int, clients: int, rounds: int = 2
) -> dict[str, Any]:
    """End-to-end throughput with the workers' task events off and on, alternating
    ``rounds`` times (the workers restarted each time); no events consumer runs, so it
    is what the workers and the broker pay for sending them."""
    rates: dict[str, list[float]] = {"off": [], "on": []}
    cpu: dict[str, list[float]] = {"off": [], "on": []}
    try:
        for _ in range(rounds):
            for mode in ("off", "on"):
                stack.stop_workers("service")
                stack.worker_env = {"EXEC_TASK_EVENTS": "true"} if mode == "on" else {}
                stack.start_workers(stack.options.workers)
                service.end_to_end(100, clients)  # warm-up
                run = service.end_to_end(count, clients)
                rates[mode].append(run["per_second"])
                cpu[mode].append(run["cpu_ms_per_execution"].get("total", 0.0))
    finally:
        stack.stop_workers("service")
        stack.worker_env = {}
        stack.start_workers(stack.options.workers)
    off, on = median(rates["off"]), median(rates["on"])
    return {
        "per_second_off": rates["off"],
        "per_second_on": rates["on"],
        "cpu_ms_per_execution_off": cpu["off"],
        "cpu_ms_per_execution_on": cpu["on"],
        "ratio_on_to_off": round(on / off, 3) if off else None,
    }
