"""The order of a benchmark run: the service against raw Celery, on a stack of its own."""

from __future__ import annotations

import os
import platform
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench import (
    baseline,
    chart,
    memory,
    operator_views,
    peer_runs,
    push,
    report,
    scaling,
    user_latency,
)
from bench.cpu import CpuMeter
from bench.measured_stack import BenchStack
from bench.options import BenchOptions
from bench.service_runs import Service
from bench.stats import median


def _say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def _best_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median rate, and every run's rate beside it."""
    rates = [r["per_second"] for r in runs]
    middle = sorted(runs, key=lambda r: r["per_second"])[len(runs) // 2]
    return {**middle, "runs": rates, "per_second": median(rates)}


def _raw_end_to_end(stack: BenchStack, count: int) -> dict[str, Any]:
    meter = CpuMeter(stack)
    meter.start()
    found = baseline.end_to_end(stack, count)
    return {**found, "cpu_ms_per_execution": meter.per_execution(count)}


def _raw(stack: BenchStack, options: BenchOptions) -> dict[str, Any]:
    _say(f"raw Celery: {options.workers} workers x {options.concurrency}, prefork")
    stack.start_workers(options.workers, "raw")
    try:
        baseline.end_to_end(stack, 200)  # warm-up
        publish = _best_of(
            [baseline.publish_rate(stack, options.executions) for _ in range(options.repeat)]
        )
        _say(f"  apply_async publish: {publish['per_second']:,.0f}/s {publish['runs']}")
        e2e = _best_of([_raw_end_to_end(stack, options.executions) for _ in range(options.repeat)])
        _say(f"  no-op end to end: {e2e['per_second']:,.0f}/s {e2e['runs']}")
        _say(f"  CPU ms per task: {e2e['cpu_ms_per_execution']}")
        idle = user_latency.raw_publish_to_start(stack, options.latency_samples)
        _say(f"  publish to start, idle: {idle['publish_to_start']}")
    finally:
        stack.stop_workers("raw")
    return {"publish": publish, "end_to_end": e2e, "idle": idle}


def _service(stack: BenchStack, service: Service, options: BenchOptions) -> dict[str, Any]:
    slots = options.workers * options.concurrency
    _say(f"service: {options.workers} workers x {options.concurrency}, {options.clients} clients")
    service.end_to_end(200, options.clients)  # warm-up
    e2e = _best_of(
        [service.end_to_end(options.executions, options.clients) for _ in range(options.repeat)]
    )
    _say(f"  zero-work end to end: {e2e['per_second']:,.0f}/s {e2e['runs']}")
    _say(f"  CPU ms per execution: {e2e['cpu_ms_per_execution']}")
    idle = user_latency.service_answer_to_running(service, options.latency_samples)
    _say(
        f"  idle: answer to running {idle['answer_to_running']}; "
        f"to completed {idle['answer_to_completed']}"
    )
    probe_ids = [str(i) for i in _recent_ids(service, 500)]
    queueing = _best_of(
        [
            service.queueing(options.executions, options.clients, probe_ids)
            for _ in range(options.repeat)
        ]
    )
    status = queueing["status_read_under_load"]
    _say(
        f"  API queueing: {queueing['per_second']:,.0f}/s {queueing['runs']}; status reads "
        f"p50/p95/p99 {status.get('p50_ms')}/{status.get('p95_ms')}/{status.get('p99_ms')} ms"
    )
    _say(f"  CPU ms per queued execution: {queueing['cpu_ms_per_execution']}")
    _say(f"  workers draining a full queue: {queueing['drain_per_second']:,.0f}/s")
    _say(f"  CPU ms per drained execution: {queueing['drain_cpu_ms_per_execution']}")
    cancel = service.cancel_latency(options.cancels, slots)
    _say(f"  cancel to stopped: {cancel['cancel_to_stopped']}")
    timeout = service.timeout_accuracy(options.timeouts, slots)
    _say(f"  deadline to timed_out: {timeout['deadline_to_timed_out']}")
    streamed = push.stream_latency(service, options.stream_samples)
    _say(
        f"  completion to a stream client: p50/p95 {streamed['p50_ms']}/{streamed['p95_ms']} ms "
        f"({streamed['samples']} executions)"
    )
    hooked = push.webhook_latency(service, options.stream_samples)
    _say(
        f"  completion to a webhook receiver: p50/p95 {hooked['p50_ms']}/{hooked['p95_ms']} ms "
        f"({hooked['samples']} executions, {hooked['missing']} missing)"
    )
    with_streams = push.queueing_with_streams(
        service, options.executions, options.clients, options.streams
    )
    _say(
        f"  API queueing with {options.streams} open streams: "
        f"{with_streams['with_per_second']}/s against {with_streams['without_per_second']}/s "
        f"without (ratio {with_streams['ratio']})"
    )
    scraped = operator_views.end_to_end_scraped(
        stack, service, options.executions, options.clients, options.metrics_path
    )
    _say(
        f"  GET /metrics every second during an end-to-end run: p50/p95 "
        f"{scraped['latency'].get('p50_ms')}/{scraped['latency'].get('p95_ms')} ms "
        f"({scraped['scrapes']} scrapes; one kept in {scraped['kept']})"
    )
    events: dict[str, Any] = {}
    if options.task_events:
        events = operator_views.task_events_cost(
            stack, service, options.executions, options.clients
        )
        _say(
            f"  end to end with task events off/on: {events['per_second_off']}/s against "
            f"{events['per_second_on']}/s (ratio {events['ratio_on_to_off']})"
        )
    _say(f"  memory: {options.rss_executions:,} executions")
    mem = memory.rss_growth(stack, service, options.rss_executions, options.clients)
    _say(f"  largest RSS growth: {mem['max_growth_mb']} MB")
    return {
        "end_to_end": e2e,
        "idle": idle,
        "queueing": queueing,
        "cancel": cancel,
        "timeout": timeout,
        "stream": {"completion_to_client": streamed, "queueing_with_streams": with_streams},
        "webhook": {"completion_to_receiver": hooked},
        "memory": mem,
        "metrics_scrape": scraped,
        "task_events": events,
    }


def _recent_ids(service: Service, count: int) -> list[str]:
    page = service.http.ok("GET", f"/api/v1/executions?limit={min(count, 500)}")
    return [item["id"] for item in page["items"]]


def run(options: BenchOptions) -> int:
    results: dict[str, Any] = {
        "meta": {
            "started": datetime.now(UTC).isoformat(),
            "host": platform.node(),
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "options": {k: str(v) for k, v in vars(options).items()},
        }
    }
    stack = BenchStack(options)
    samples: dict[str, list[float]] = {}
    _say(f"starting the stack (logs: {stack.logs})")
    try:
        stack.start()
        service = Service(stack)
        samples = service.samples
        results["raw"] = _raw(stack, options)
        results["service"] = _service(stack, service, options)
        results["ratios"] = {
            "end_to_end": round(
                results["service"]["end_to_end"]["per_second"]
                / results["raw"]["end_to_end"]["per_second"],
                3,
            ),
            "queueing": round(
                results["service"]["queueing"]["per_second"]
                / results["raw"]["publish"]["per_second"],
                3,
            ),
            "workers_draining": round(
                results["service"]["queueing"]["drain_per_second"]
                / results["raw"]["end_to_end"]["per_second"],
                3,
            ),
        }
        results["peers"] = {}
        if options.peers:
            _say("peers: Flower's async-apply, alternating with the service's queueing")
            results["peers"]["flower"] = peer_runs.flower_rounds(stack, service, options, _say)
            _say("peers: Prefect 3 (its own server and runner)")
            results["peers"]["prefect"] = peer_runs.prefect_run(stack, options, _say)
        results["ratios"].update(peer_runs.ratios(results))
        results["scaling"] = {}
        if options.scaling:
            _say(f"scaling with workers: {options.scaling}")
            results["scaling"]["workers"] = scaling.workers_curve(
                stack, service, options.scaling, options.scaling_executions, options.clients
            )
        if options.rows:
            _say(f"cost against rows stored: {options.rows}")
            results["scaling"]["rows"] = scaling.rows_curve(
                stack, service, options.rows, options.rows_executions, options.clients
            )
        service.close()
    finally:
        _say("taking the stack down")
        stack.stop()
    results["queue_stats_at_most_rows"] = report.queue_stats_at_most_rows(results)
    results["targets"] = report.judge(results)
    report.write_json(results, options.json_path)
    drawn = chart.draw(results, samples, options.chart_path)
    print(report.table(results))
    print(f"\nJSON: {options.json_path}")
    print(
        f"chart: {options.chart_path}"
        if drawn
        else "chart: not drawn (pip install -e '.[bench]' brings matplotlib)"
    )
    return 0
