"""Flower's HTTP API in front of the same Celery settings and broker: the peer a user
who only wants to queue Celery tasks over HTTP would pick instead of the service.

Flower (``flower`` 2.x from the ``peers`` extra, installed beside the service: it imports
``bench.raw_app``, the raw baseline's app, so it publishes with the service's own Celery
settings to the same Redis number) runs as ``celery -A bench.raw_app flower`` with its
API open (``FLOWER_UNAUTHENTICATED_API``). Its ``POST /api/task/async-apply/<task>``
is what is measured: the same load generator as the service's queueing (the same
clients, in a process of their own), publishing to a queue nobody consumes, as the
service's queueing is measured with its workers not consuming. Flower keeps no state,
no history and cannot stop a running task: the figure is the price of an HTTP hop in
front of ``apply_async``.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from bench.baseline import PUBLISH_QUEUE
from bench.load_generator import QueueLoad, queue_in_background
from bench.measured_stack import RAW_APP, RAW_QUEUE, BenchStack, Child
from bench.raw_app import NOOP
from execution_service.priorities import BROKER_PRIORITY, Priority
from harness import processes
from harness.http_client import UNREACHABLE, Http

MISSING = "Flower not installed: pip install -e '.[peers]' brings it (the Flower rows are skipped)"


def available() -> bool:
    return importlib.util.find_spec("flower") is not None


def _healthy(base_url: str) -> bool:
    http = Http(base_url, timeout=1.0)
    try:
        return http.request("GET", "/healthcheck").status_code == 200  # "OK", not JSON
    except UNREACHABLE:
        return False
    finally:
        http.close()


class Flower:
    """One Flower process of the benchmark's stack (started, measured, stopped)."""

    def __init__(self, stack: BenchStack) -> None:
        self.stack = stack
        self.base_url = ""
        self.child: Child | None = None

    def start(self) -> None:
        port = processes.free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        argv = [
            *[processes.console_script("celery") or "celery", "-A", RAW_APP, "flower"],
            *["--address=127.0.0.1", f"--port={port}", "--logging=warning"],
        ]
        env = {**self.stack.env(RAW_QUEUE), "FLOWER_UNAUTHENTICATED_API": "true"}
        log_path = self.stack.logs / "flower.log"
        popen, log = processes.launch(argv, env, log_path)
        self.child = Child("flower", popen, log_path, log, "peer")
        self.stack.children.append(self.child)
        self.stack._wait("Flower", lambda: _healthy(self.base_url), 60)

    def stop(self) -> None:
        if self.child is not None:
            processes.stop([self.child])
            self.stack.children = [c for c in self.stack.children if c is not self.child]
            self.child = None

    def queueing(self, count: int, clients: int) -> dict[str, Any]:
        """``count`` async-apply calls by ``clients`` clients, nobody consuming."""
        # every top-level property but args and kwargs goes to apply_async
        body = {"queue": PUBLISH_QUEUE, "priority": BROKER_PRIORITY[Priority.NORMAL]}
        load: QueueLoad = queue_in_background(
            self.base_url, "", "", count, clients, body, f"/api/task/async-apply/{NOOP}"
        ).result()
        with self.stack.redis_client() as client:
            for key in client.scan_iter(f"{PUBLISH_QUEUE}*"):
                client.delete(key)
        if load.failures:
            raise RuntimeError(f"Flower's async-apply failed: {load.failures[:3]}")
        return {
            "executions": count,
            "clients": clients,
            **load.figures("queue_latency"),
            "latencies": load.latencies,
        }
