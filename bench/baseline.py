"""Raw Celery on the same broker, pool and concurrency: what the service is measured against."""

from __future__ import annotations

import time
from typing import Any

from bench.measured_stack import RAW_QUEUE, BenchStack
from bench.raw_app import DONE_KEY, NOOP
from execution_service.priorities import BROKER_PRIORITY, Priority

PUBLISH_QUEUE = "bench_publish"  # nobody consumes it: publishing alone is timed


def _send(stack: BenchStack, queue: str) -> None:
    assert stack.raw_celery is not None
    stack.raw_celery.send_task(NOOP, queue=queue, priority=BROKER_PRIORITY[Priority.NORMAL])


def publish_rate(stack: BenchStack, count: int) -> dict[str, Any]:
    """``apply_async`` back to back from one thread, nobody consuming: messages per second."""
    _send(stack, PUBLISH_QUEUE)  # the connection and the queue exist before the clock starts
    start = time.perf_counter()
    for _ in range(count):
        _send(stack, PUBLISH_QUEUE)
    spent = time.perf_counter() - start
    with stack.redis_client() as client:
        for key in client.scan_iter(f"{PUBLISH_QUEUE}*"):
            client.delete(key)
    return {"messages": count, "seconds": round(spent, 3), "per_second": round(count / spent, 1)}


def end_to_end(stack: BenchStack, count: int, timeout: float = 600.0) -> dict[str, Any]:
    """Publish ``count`` no-op tasks and time until the workers have run the last one."""
    with stack.redis_client() as client:
        client.set(DONE_KEY, 0)
        start = time.perf_counter()
        for _ in range(count):
            _send(stack, RAW_QUEUE)
        published = time.perf_counter()
        deadline = start + timeout
        while int(client.get(DONE_KEY) or 0) < count:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"raw Celery ran {client.get(DONE_KEY)} of {count} tasks")
            time.sleep(0.002)
        spent = time.perf_counter() - start
    return {
        "tasks": count,
        "seconds": round(spent, 3),
        "publish_seconds": round(published - start, 3),
        "per_second": round(count / spent, 1),
    }
