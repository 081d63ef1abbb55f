"""The push channels, measured on the benchmark's stack: how long after an execution
completes its event reaches a client following its stream, and a webhook receiver; and
what open streams cost the API's queueing.

* ``stream_latency``: executions of a one-step crew, each followed from its queueing by a
  client of its own (a thread reading ``GET /executions/{id}/stream``). The latency is
  the time the terminal event arrived minus the execution's ``finished_at`` (both wall
  clock, one machine), p50/p95.
* ``webhook_latency``: executions of a one-step crew queued with a webhook for
  ``execution.completed`` to a receiver in this process (on loopback: the benchmark's
  stack allows 127.0.0.1); the delivery's arrival minus ``finished_at``, p50/p95.
* ``queueing_with_streams``: the API's queueing rate with the workers not consuming (as
  ``Service.queueing`` measures it), with no stream open and with ``streams`` open ones
  (quiet: on executions that wait in the queue), one after the other, twice each; the
  ratio of the medians.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import threading
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from bench.service_runs import Service
from bench.stats import median
from execution_service.store.models import Execution
from harness.percentiles import percentile

FINAL_EVENTS = (
    b"event: execution.completed",
    b"event: execution.failed",
    b"event: execution.cancelled",
    b"event: execution.timed_out",
)


class Follower(threading.Thread):
    """A client following one execution's stream until its terminal event (or until
    ``stop`` is set, for a quiet stream)."""

    def __init__(self, base_url: str, key: str, execution_id: str) -> None:
        super().__init__(daemon=True)
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.key = key
        self.execution_id = execution_id
        self.final_at: float | None = None  # wall clock, when the terminal event arrived
        self.opened = threading.Event()
        self.stop = threading.Event()
        self.error: str | None = None
        self.conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        """End a quiet stream from outside (its reader wakes with nothing to read)."""
        self.stop.set()
        sock = self.conn.sock if self.conn is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(2)

    def run(self) -> None:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        self.conn = conn
        try:
            conn.request(
                "GET",
                f"/api/v1/executions/{self.execution_id}/stream",
                headers={"Authorization": f"Bearer {self.key}", "Accept": "text/event-stream"},
            )
            response = conn.getresponse()
            self.opened.set()
            if response.status != 200:
                self.error = f"stream answered {response.status}"
                return
            while not self.stop.is_set():
                line = response.readline()
                if not line:
                    return
                if line.startswith(FINAL_EVENTS):
                    self.final_at = time.time()
                    return
        except Exception as exc:  # a benchmark reports, it does not crash
            self.error = repr(exc)
        finally:
            self.opened.set()
            conn.close()


def _finished_at(service: Service, ids: list[str]) -> dict[str, datetime]:
    with service.engine.connect() as conn:
        rows = conn.execute(
            select(Execution.id, Execution.finished_at).where(Execution.id.in_(ids))
        ).all()
    return {str(i): f for i, f in rows if f is not None}


def stream_latency(service: Service, samples: int) -> dict[str, Any]:
    """Completion to the terminal event at a following client, ``samples`` executions
    queued one at a time (each followed as soon as it is accepted)."""
    graph_id = service.graph(steps=1, step_seconds=0.05, name="stream")
    stack = service.stack
    followers: list[Follower] = []
    for _ in range(samples):
        answer = service.http.ok("POST", f"/api/v1/graphs/{graph_id}/executions", {})
        follower = Follower(stack.base_url, stack.api_key, answer["id"])
        follower.start()
        follower.opened.wait(10)
        followers.append(follower)
        time.sleep(0.05)
    for follower in followers:
        follower.join(60)
    finished = _finished_at(service, [f.execution_id for f in followers])
    latencies = [
        (f.final_at - finished[f.execution_id].timestamp()) * 1000
        for f in followers
        if f.final_at is not None and f.execution_id in finished
    ]
    errors = [f.error for f in followers if f.error]
    return {
        "samples": len(latencies),
        "errors": errors[:3],
        "p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 95), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
    }


def _queue_rate(service: Service, count: int, clients: int) -> float:
    graph_id = service.graph(name="queueing-with-streams")
    load = service.queue(graph_id, count, clients)
    service._drop_queued(graph_id)
    return load.rate


def queueing_with_streams(
    service: Service, count: int, clients: int, streams: int
) -> dict[str, Any]:
    """The queueing rate without and with ``streams`` quiet open streams (alternating,
    two runs each, the workers paused throughout)."""
    stack = service.stack
    stack.pause_consuming()
    quiet_graph = service.graph(name="quiet")
    followers: list[Follower] = []
    without: list[float] = []
    with_streams: list[float] = []
    try:
        for _ in range(2):
            without.append(_queue_rate(service, count, clients))
            for _ in range(streams):
                answer = service.http.ok("POST", f"/api/v1/graphs/{quiet_graph}/executions", {})
                follower = Follower(stack.base_url, stack.api_key, answer["id"])
                follower.start()
                followers.append(follower)
            for follower in followers:
                follower.opened.wait(10)
            with_streams.append(_queue_rate(service, count, clients))
            for follower in followers:
                # cancelled through the API: the stream ends with its terminal event
                service.http.ok("POST", f"/api/v1/executions/{follower.execution_id}/cancel")
            for follower in followers:
                follower.join(10)
                follower.close()
            followers = []
    finally:
        for follower in followers:
            follower.close()
        service._drop_queued(quiet_graph)
        stack.resume_consuming()
    return {
        "streams": streams,
        "executions": count,
        "without_per_second": [round(r, 1) for r in without],
        "with_per_second": [round(r, 1) for r in with_streams],
        "ratio": round(median(with_streams) / median(without), 3) if median(without) else None,
    }


class _Receiver(http.server.BaseHTTPRequestHandler):
    arrivals: dict[str, float] = {}

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        arrived = time.time()
        with contextlib.suppress(ValueError, KeyError):
            ident = json.loads(body)["data"]["execution_id"]
            self.arrivals.setdefault(ident, arrived)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        return


def webhook_latency(service: Service, samples: int) -> dict[str, Any]:
    """Completion to the ``execution.completed`` delivery at a receiver, ``samples``
    executions queued one every 50 ms."""
    _Receiver.arrivals = {}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        graph_id = service.graph(steps=1, step_seconds=0.05, name="webhook")
        body = {"webhooks": [{"url": url, "events": ["execution.completed"]}]}
        ids = []
        for _ in range(samples):
            answer = service.http.ok("POST", f"/api/v1/graphs/{graph_id}/executions", body)
            ids.append(answer["id"])
            time.sleep(0.05)
        deadline = time.monotonic() + 60
        while len(_Receiver.arrivals) < len(ids) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.shutdown()
        server.server_close()
    finished = _finished_at(service, ids)
    latencies = [
        (_Receiver.arrivals[i] - finished[i].timestamp()) * 1000
        for i in ids
        if i in _Receiver.arrivals and i in finished
    ]
    return {
        "samples": len(latencies),
        "missing": len(ids) - len(latencies),
        "p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 95), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
    }
