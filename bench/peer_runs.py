"""The peers a user would pick instead, measured in the same run as the service.

* Flower's async-apply (``bench/flower_peer.py``): alternating rounds of the service's
  queueing (its workers not consuming) and Flower's, ``--repeat`` of each, the same
  clients and counts; the medians and their ratio.
* Prefect 3 (``bench/prefect_peer.py``): submit rate, zero-work end to end, submit
  answer to start and to end on an idle server, cancel to stopped.

Either is skipped with a line saying why when it is not installed (``--no-peers`` skips
both). Ratios are service / peer: above 1 the service is faster for rates, below 1 the
service is faster for latencies.
"""

from __future__ import annotations

import time
from typing import Any

from bench import flower_peer, prefect_peer
from bench.load_generator import QueueLoad
from bench.measured_stack import BenchStack
from bench.options import BenchOptions
from bench.service_runs import Service
from bench.stats import latency_ms, median


def _service_queueing(service: Service, count: int, clients: int) -> dict[str, Any]:
    """The service's queueing alone (no status probe, no drain timed), workers paused."""
    graph_id = service.graph(name="against flower")
    service.stack.pause_consuming()
    try:
        load: QueueLoad = service.queue(graph_id, count, clients)
    finally:
        service._drop_queued(graph_id)
        service.stack.resume_consuming()
    return {
        "per_second": round(load.rate, 1),
        "queue_latency": latency_ms(load.latencies),
        "latencies": load.latencies,
    }


def flower_rounds(
    stack: BenchStack, service: Service, options: BenchOptions, say: Any
) -> dict[str, Any]:
    if not flower_peer.available():
        say(f"  {flower_peer.MISSING}")
        return {"skipped": flower_peer.MISSING}
    flower = flower_peer.Flower(stack)
    ours: list[dict[str, Any]] = []
    theirs: list[dict[str, Any]] = []
    try:
        flower.start()
    except RuntimeError as exc:  # a peer failing must not lose the service's figures
        flower.stop()
        say(f"  Flower did not start: {exc}")
        return {"error": str(exc)}
    try:
        flower.queueing(min(200, options.executions), options.clients)  # warm-up
        for _ in range(options.repeat):
            ours.append(_service_queueing(service, options.executions, options.clients))
            theirs.append(flower.queueing(options.executions, options.clients))
            say(
                f"  queueing: service {ours[-1]['per_second']:,.0f}/s, "
                f"Flower async-apply {theirs[-1]['per_second']:,.0f}/s"
            )
            time.sleep(1.0)  # the workers drop what the service's round left queued
    finally:
        flower.stop()
    service.samples["Flower async-apply call"] = theirs[len(theirs) // 2]["latencies"]
    service_rate = median([r["per_second"] for r in ours])
    flower_rate = median([r["per_second"] for r in theirs])
    return {
        "service_per_second": service_rate,
        "service_runs": [r["per_second"] for r in ours],
        "per_second": flower_rate,
        "runs": [r["per_second"] for r in theirs],
        "queue_latency": theirs[len(theirs) // 2]["queue_latency"],
        "service_queue_latency": ours[len(ours) // 2]["queue_latency"],
        "ratio": round(service_rate / flower_rate, 3) if flower_rate else None,
    }


def prefect_run(stack: BenchStack, options: BenchOptions, say: Any) -> dict[str, Any]:
    python, found = prefect_peer.find_python(options.prefect_python, options.logs)
    say(f"  {found}")
    if python is None:
        return {"skipped": found}
    counts = {
        # Prefect creates a few dozen runs a second: a smaller count says as much
        "submit": min(options.executions, 5 * options.peer_runs),
        "clients": options.clients,
        "end_to_end": options.peer_runs,
        "latency": options.peer_samples,
        "cancels": options.peer_samples,
    }
    return {
        "environment": found,
        **prefect_peer.run_peer(stack, python, options.workers * options.concurrency, counts, say),
    }


def _ratio(ours: Any, theirs: Any) -> float | None:
    if not isinstance(ours, int | float) or not isinstance(theirs, int | float) or not theirs:
        return None
    return float(f"{ours / theirs:.4g}")  # significant digits: a latency ratio may be 1e-5


def ratios(results: dict[str, Any]) -> dict[str, float | None]:
    """Service / peer, for the table, the JSON and the targets."""
    service = results.get("service", {})
    peers = results.get("peers", {})
    flower = peers.get("flower", {})
    prefect = peers.get("prefect", {})
    idle = service.get("idle", {})
    return {
        "queueing_vs_flower": flower.get("ratio"),
        "submit_vs_prefect": _ratio(
            service.get("queueing", {}).get("per_second"),
            prefect.get("submit", {}).get("per_second"),
        ),
        "end_to_end_vs_prefect": _ratio(
            service.get("end_to_end", {}).get("per_second"),
            prefect.get("end_to_end", {}).get("per_second"),
        ),
        "submit_to_start_p50_vs_prefect": _ratio(
            idle.get("answer_to_running", {}).get("p50_ms"),
            prefect.get("idle", {}).get("answer_to_running", {}).get("p50_ms"),
        ),
        "submit_to_completed_p50_vs_prefect": _ratio(
            idle.get("answer_to_completed", {}).get("p50_ms"),
            prefect.get("idle", {}).get("answer_to_completed", {}).get("p50_ms"),
        ),
        "cancel_to_stopped_p50_vs_prefect": _ratio(
            service.get("cancel", {}).get("cancel_to_stopped", {}).get("p50_ms"),
            prefect.get("cancel", {}).get("cancel_to_stopped", {}).get("p50_ms"),
        ),
        "submit_to_start_p50_vs_raw": _ratio(
            idle.get("answer_to_running", {}).get("p50_ms"),
            results.get("raw", {}).get("idle", {}).get("publish_to_start", {}).get("p50_ms"),
        ),
    }
