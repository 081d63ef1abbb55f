"""The options of the benchmark (``python -m bench``, ``execution-service bench``)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path


def _counts(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


@dataclass
class BenchOptions:
    postgres: str = "postgresql://postgres@127.0.0.1:5432"
    redis: str = "redis://127.0.0.1:6379"
    workers: int = 2
    concurrency: int = 2
    api_workers: int = 1
    executions: int = 2000
    clients: int = 16
    repeat: int = 3
    cancels: int = 40
    timeouts: int = 40
    stream_samples: int = 50  # executions followed by a stream client, for the latency
    streams: int = 100  # quiet open streams beside the queueing rate
    rss_executions: int = 10_000
    scaling: list[int] = field(default_factory=lambda: [1, 2, 4])
    scaling_executions: int = 1000
    rows: list[int] = field(default_factory=lambda: [100, 1_000, 10_000, 100_000, 1_000_000])
    rows_executions: int = 300
    latency_samples: int = 50  # one at a time on an idle stack: answer to running/completed
    peers: bool = True  # Flower and Prefect beside the service (each skipped when absent)
    prefect_python: str | None = None  # the Python of an environment with Prefect 3
    peer_runs: int = 100  # Prefect's zero-work runs end to end (each one a process)
    peer_samples: int = 10  # Prefect's idle latency and cancel samples
    log_level: str = "WARNING"
    json_path: Path = Path("reports/bench.json")
    chart_path: Path = Path("reports/bench.png")
    logs: Path = Path("reports/bench")
    # GET /metrics scraped every second during an end-to-end run; one scrape kept here
    metrics_path: Path = Path("reports/bench-metrics.txt")
    # end to end with the workers' Celery task events off and on (EXEC_TASK_EVENTS)
    task_events: bool = True


QUICK = {
    "executions": 500,
    "repeat": 1,
    "cancels": 12,
    "timeouts": 12,
    "stream_samples": 20,
    "rss_executions": 1000,
    "scaling_executions": 300,
    "rows": [100, 10_000],
    "rows_executions": 100,
    "latency_samples": 20,
    "peer_runs": 20,
    "peer_samples": 5,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = BenchOptions()
    add = parser.add_argument
    add("--quick", action="store_true", help="small counts: a run of about a minute")
    add(
        "--accounting",
        action="store_true",
        help="only the worker's usage accounting per model call (no stack, seconds)",
    )
    add("--postgres", default=d.postgres, help="PostgreSQL server (a fresh database is made)")
    add("--redis", default=d.redis, help="Redis server (a free database number is claimed)")
    add("--workers", type=int, default=d.workers, help="worker processes")
    add("--concurrency", type=int, default=d.concurrency, help="prefork slots per worker")
    add("--api-workers", type=int, default=d.api_workers, help="API processes (uvicorn workers)")
    add("--executions", type=int, default=None, help=f"per throughput run ({d.executions})")
    add("--clients", type=int, default=d.clients, help="concurrent API clients")
    add("--repeat", type=int, default=None, help=f"runs per figure, median kept ({d.repeat})")
    add("--cancels", type=int, default=None, help=f"cancel latency samples ({d.cancels})")
    add("--timeouts", type=int, default=None, help=f"timeout accuracy samples ({d.timeouts})")
    add(
        "--stream-samples",
        type=int,
        default=None,
        help=f"executions followed by a stream client ({d.stream_samples})",
    )
    add("--streams", type=int, default=None, help=f"open streams beside queueing ({d.streams})")
    add(
        "--rss-executions",
        type=int,
        default=None,
        help=f"executions for the memory growth check ({d.rss_executions})",
    )
    add("--scaling", default=None, help="worker counts for the scaling curve (1,2,4; '' skips)")
    add("--rows", default=None, help="stored rows for the cost curve (100,...,1000000; '' skips)")
    add(
        "--latency-samples",
        type=int,
        default=None,
        help=f"idle answer-to-running samples, service and raw ({d.latency_samples})",
    )
    add("--no-peers", dest="peers", action="store_false", help="skip Flower and Prefect")
    add("--prefect-python", default=None, help="Python of an environment with Prefect 3")
    add("--peer-runs", type=int, default=None, help=f"Prefect runs end to end ({d.peer_runs})")
    add(
        "--peer-samples",
        type=int,
        default=None,
        help=f"Prefect idle latency and cancel samples ({d.peer_samples})",
    )
    add("--log-level", default=d.log_level, help="log level of the service and raw workers")
    add("--json", dest="json_path", type=Path, default=d.json_path)
    add("--chart", dest="chart_path", type=Path, default=d.chart_path)
    add("--logs", type=Path, default=d.logs, help="where the processes' logs go")
    add("--metrics-out", dest="metrics_path", type=Path, default=d.metrics_path)
    add(
        "--no-task-events",
        dest="task_events",
        action="store_false",
        help="skip the cost of Celery's task events (EXEC_TASK_EVENTS, for Flower)",
    )


def from_args(args: argparse.Namespace) -> BenchOptions:
    options = BenchOptions(
        postgres=args.postgres.rstrip("/"),
        redis=args.redis.rstrip("/"),
        workers=args.workers,
        concurrency=args.concurrency,
        api_workers=args.api_workers,
        clients=args.clients,
        log_level=args.log_level,
        peers=args.peers,
        prefect_python=args.prefect_python,
        json_path=args.json_path,
        chart_path=args.chart_path,
        logs=args.logs,
        metrics_path=args.metrics_path,
        task_events=args.task_events,
    )
    if args.quick:
        for key, value in QUICK.items():
            setattr(options, key, value)
    for key in (
        "executions",
        "repeat",
        "cancels",
        "timeouts",
        "rss_executions",
        "stream_samples",
        "streams",
        "latency_samples",
        "peer_runs",
        "peer_samples",
    ):
        if getattr(args, key) is not None:
            setattr(options, key, getattr(args, key))
    if args.scaling is not None:
        options.scaling = _counts(args.scaling)
    if args.rows is not None:
        options.rows = _counts(args.rows)
    return options
