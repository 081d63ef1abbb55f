"""Two curves: throughput against worker processes, and cost against rows already stored."""

from __future__ import annotations

import random
import time
from typing import Any

from bench import baseline
from bench.measured_stack import BenchStack
from bench.seed import sample_graph, sample_ids, seed, wipe
from bench.service_runs import Service
from bench.stats import latency_ms
from harness.http_client import Http


def workers_curve(
    stack: BenchStack, service: Service, counts: list[int], executions: int, clients: int
) -> list[dict[str, Any]]:
    """End-to-end throughput of the service and of raw Celery with each number of workers."""
    points = []
    for count in counts:
        stack.stop_workers("service")
        stack.start_workers(count, "service")
        service.end_to_end(min(200, executions), clients)  # warm-up
        run = service.end_to_end(executions, clients)
        stack.start_workers(count, "raw")
        baseline.end_to_end(stack, min(200, executions))  # warm-up
        raw = baseline.end_to_end(stack, executions)
        stack.stop_workers("raw")
        points.append(
            {
                "workers": count,
                "slots": count * stack.options.concurrency,
                "service_per_second": run["per_second"],
                "raw_per_second": raw["per_second"],
                "ratio": round(run["per_second"] / raw["per_second"], 3),
            }
        )
    stack.stop_workers("service")
    stack.start_workers(stack.options.workers, "service")
    return points


def _timed(service: Service | Http, path: str, times: int) -> list[float]:
    http = service.http if isinstance(service, Service) else service
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        answer = http.request("GET", path)
        if answer.status_code >= 400:
            raise RuntimeError(f"GET {path} -> {answer.status_code}: {answer.text[:300]}")
        spent.append(time.perf_counter() - start)
    return spent


def rows_curve(
    stack: BenchStack, service: Service, levels: list[int], executions: int, clients: int
) -> list[dict[str, Any]]:
    """At each number of stored executions: the cost of running more, and of reading.

    The table is emptied first (earlier phases left thousands of rows), then filled up
    to each level in turn; the executions each level runs are counted in the next."""
    rng = random.Random(3)
    points = []
    operator = Http(stack.base_url, key=stack.operator_key)
    wipe(service.engine)
    for level in sorted(levels):
        start = time.perf_counter()
        added = seed(service.engine, level, rng=rng)
        seeded_in = time.perf_counter() - start
        run = service.end_to_end(executions, clients)
        ids = sample_ids(service.engine, 200)
        graph_id = sample_graph(service.engine)
        reads = []
        for _ in range(200):
            begin = time.perf_counter()
            service.http.ok("GET", f"/api/v1/executions/{rng.choice(ids)}")
            reads.append(time.perf_counter() - begin)
        first = service.http.ok("GET", "/api/v1/executions?limit=50")
        cursor = first["next_cursor"]
        points.append(
            {
                "rows": level,
                "seeded": added,
                "seed_seconds": round(seeded_in, 2),
                "ms_per_execution": round(1000 / run["per_second"], 3),
                "per_second": run["per_second"],
                "status_read": latency_ms(reads),
                "events_read": latency_ms(
                    _timed(service, f"/api/v1/executions/{ids[0]}/events", 50)
                ),
                "list_newest": latency_ms(_timed(service, "/api/v1/executions?limit=50", 50)),
                "list_page_2": latency_ms(
                    _timed(service, f"/api/v1/executions?limit=50&cursor={cursor}", 50)
                ),
                "list_completed": latency_ms(
                    _timed(service, "/api/v1/executions?status=completed&limit=50", 50)
                ),
                "list_queued": latency_ms(
                    _timed(service, "/api/v1/executions?status=queued&limit=50", 50)
                ),
                "list_graph": latency_ms(
                    _timed(service, f"/api/v1/executions?graph_id={graph_id}&limit=50", 50)
                ),
                "queue_stats": latency_ms(_timed(service, "/api/v1/queue/stats", 20)),
                # the first scrape after seeding folds every seeded execution (once)
                "metrics_first": latency_ms(_timed(operator, "/metrics", 1)),
                "metrics": latency_ms(_timed(operator, "/metrics", 20)),
            }
        )
    return points
