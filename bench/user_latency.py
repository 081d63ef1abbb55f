"""Latency a user feels, on an idle stack: one zero-work execution at a time, from the
queue request's answer to ``running`` (its ``started_at``) and to ``completed`` (its
``finished_at``), against raw Celery's publish-to-start of a no-op task (from
``apply_async`` returning to the task's first line, noted by the task in Redis).

The service publishes before it answers, so a worker may start an execution before its
answer has reached the client (answer to running near zero, even below): the request's
sending to ``running`` is given too, as is the ``apply_async`` call's start to the task's
start for raw Celery.

Samples are taken one after the other, nothing else running; the times are the ones the
service and the task record (same host, same clock), so how often the benchmark looks
for them changes nothing but its own load.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

from bench.measured_stack import RAW_QUEUE, BenchStack
from bench.raw_app import STAMP, STARTED_KEY
from bench.service_runs import Service
from bench.stats import latency_ms
from execution_service.priorities import BROKER_PRIORITY, Priority


def raw_publish_to_start(stack: BenchStack, samples: int, timeout: float = 30.0) -> dict[str, Any]:
    """Raw Celery workers running: ``samples`` stamp tasks, each published once the last
    one has started."""
    assert stack.raw_celery is not None
    spent: list[float] = []
    from_call: list[float] = []
    with stack.redis_client() as client:
        client.delete(STARTED_KEY)
        for _ in range(samples):
            token = uuid.uuid4().hex
            called = time.time()
            stack.raw_celery.send_task(
                STAMP, args=[token], queue=RAW_QUEUE, priority=BROKER_PRIORITY[Priority.NORMAL]
            )
            published = time.time()
            deadline = time.monotonic() + timeout
            while (started := client.hget(STARTED_KEY, token)) is None:
                if time.monotonic() > deadline:
                    raise RuntimeError("a raw stamp task never started")
                time.sleep(0.001)
            spent.append(float(started) - published)
            from_call.append(float(started) - called)
        client.delete(STARTED_KEY)
    return {
        "samples": samples,
        "publish_to_start": latency_ms(spent),
        "call_to_start": latency_ms(from_call),
    }


def _when(text: str | None) -> float:
    assert text is not None
    return datetime.fromisoformat(text).timestamp()


def service_answer_to_running(
    service: Service, samples: int, timeout: float = 30.0
) -> dict[str, Any]:
    """The service's workers consuming, nothing else queued: ``samples`` zero-work
    executions, each queued once the last one has completed."""
    graph_id = service.graph(name="idle latency")
    path = f"/api/v1/graphs/{graph_id}/executions"
    to_running: list[float] = []
    to_completed: list[float] = []
    from_request: list[float] = []
    for _ in range(samples):
        sent = time.time()
        ident = service.http.ok("POST", path, {})["id"]
        answered = time.time()
        deadline = time.monotonic() + timeout
        while (found := service.http.ok("GET", f"/api/v1/executions/{ident}"))["status"] not in (
            "completed",
            "failed",
            "cancelled",
            "timed_out",
        ):
            if time.monotonic() > deadline:
                raise RuntimeError(f"execution {ident} never ended")
            time.sleep(0.002)
        if found["status"] != "completed":
            raise RuntimeError(f"execution {ident} ended {found['status']}")
        to_running.append(_when(found["started_at"]) - answered)
        to_completed.append(_when(found["finished_at"]) - answered)
        from_request.append(_when(found["started_at"]) - sent)
    service.samples["answer to running (idle)"] = to_running
    return {
        "samples": samples,
        "answer_to_running": latency_ms(to_running),
        "answer_to_completed": latency_ms(to_completed),
        "request_to_running": latency_ms(from_request),
    }
