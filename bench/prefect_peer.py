"""Prefect 3 with its own local server and runner: the orchestrator a user who wants to
queue work over HTTP, watch it and cancel it could pick instead of the service.

Prefect pins its own versions of libraries the service also uses (pydantic, FastAPI,
SQLAlchemy, ...), so it runs from an environment of its own and is driven over HTTP
only: the benchmark imports nothing of it. The environment is found in this order:
``--prefect-python``; this interpreter, when ``prefect`` 3 is importable in it (the
``peers`` extra); ``<--logs>/prefect-venv`` (``reports/bench/prefect-venv``, made by
``python3.11 -m venv reports/bench/prefect-venv && reports/bench/prefect-venv/bin/pip
install 'prefect>=3,<4'``). Without one, the Prefect rows are skipped with a line
saying so.

What runs (all started and taken down by the benchmark):

* ``prefect server start`` on a free port, no UI, its database a fresh PostgreSQL
  database ``<the bench's database>_prefect`` on the same server as the service's (so
  the sweep of dead runs drops it too), its home a folder under the run's logs;
* ``python bench/prefect_flows.py <slots>``: Prefect's runner (``prefect.serve``)
  serving a zero-work flow and a flow of 100 ms steps, at most as many runs at once as
  the service has worker slots, polling its server every ``PREFECT_RUNNER_POLL_FREQUENCY``
  (1 s here; Prefect's default is 10 s). Prefect starts every flow run in a process of
  its own: that is its design, and most of what its figures show.

Measured over Prefect's REST API (``/api``), like the service's: the submit rate of
``POST /deployments/{id}/create_flow_run`` by the same load generator and clients (the
runs scheduled far ahead, so that nobody consumes them, as the service's queueing is
measured); the end-to-end rate of zero-work runs (from the first submit to the last
``end_time``); on an idle server, submit answer to ``start_time`` and to ``end_time``;
and for a running flow, the cancel request (``set_state`` CANCELLING) to the CANCELLED
state the runner sets once it has killed the flow's process.
"""

from __future__ import annotations

import contextlib
import random
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.load_generator import QueueLoad, queue_in_background
from bench.measured_stack import ROOT, BenchStack, Child
from bench.stats import latency_ms
from harness import processes, scratch
from harness.http_client import UNREACHABLE, Http

FLOWS = ROOT / "bench" / "prefect_flows.py"
TERMINAL = ["COMPLETED", "FAILED", "CRASHED", "CANCELLED"]
FAR_AHEAD = "2999-01-01T00:00:00Z"


def _version(python: str) -> str | None:
    try:
        found = subprocess.run(
            [python, "-c", "import prefect; print(prefect.__version__)"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    except OSError:
        return None
    version = found.stdout.strip()
    return version if found.returncode == 0 and version.startswith("3.") else None


def find_python(chosen: str | None, logs: Path) -> tuple[str | None, str]:
    """The Python of an environment with Prefect 3, and what was found (or why not)."""
    candidates = [chosen] if chosen else [sys.executable, str(logs / "prefect-venv/bin/python")]
    for python in candidates:
        if python and Path(python).exists() and (version := _version(python)):
            return python, f"Prefect {version} ({python})"
    made = logs / "prefect-venv"
    return None, (
        "Prefect 3 not found: the Prefect rows are skipped (make its own environment with "
        f"`python3.11 -m venv {made} && {made}/bin/pip install 'prefect>=3,<4'`, "
        "or pass --prefect-python)"
    )


def _stamp(text: str | None) -> float | None:
    return None if not text else datetime.fromisoformat(text).timestamp()


class Prefect:
    """One Prefect server and one runner serving the benchmark's two flows."""

    def __init__(self, stack: BenchStack, python: str, slots: int) -> None:
        self.stack = stack
        self.python = python
        self.slots = slots
        self.db_name = f"{stack.db_name}_prefect"
        self.base_url = ""
        self.children: list[Child] = []
        self.deployments: dict[str, str] = {}
        self._created_database = False
        self._tags = 0

    # -- processes ----------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        netloc = urlsplit(self.stack.options.postgres).netloc
        base = {
            k: v
            for k, v in self.stack.env().items()
            if not k.startswith(("EXEC_", "PREFECT_", "PYTHONPATH"))
        }
        return {
            **base,
            "PREFECT_HOME": str(self.stack.logs / "prefect-home"),
            "PREFECT_API_URL": self.base_url,
            "PREFECT_API_DATABASE_CONNECTION_URL": (
                f"postgresql+asyncpg://{netloc}/{self.db_name}"
            ),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_RUNNER_POLL_FREQUENCY": "1",
            "PREFECT_LOGGING_LEVEL": "WARNING",
        }

    def _spawn(self, name: str, argv: list[str]) -> None:
        log_path = self.stack.logs / f"{name}.log"
        popen, log = processes.launch(argv, self._env(), log_path, cwd=ROOT)
        child = Child(name, popen, log_path, log, "peer")
        self.children.append(child)
        self.stack.children.append(child)

    def _healthy(self) -> bool:
        http = Http(self.base_url, timeout=2.0)
        try:
            return http.call("GET", "/health")[0] == 200
        except (*UNREACHABLE, ValueError):
            return False
        finally:
            http.close()

    def _deployment(self, flow: str) -> str | None:
        http = Http(self.base_url)
        try:
            status, answer = http.call("GET", f"/deployments/name/{flow}/{flow}")
        except (*UNREACHABLE, ValueError):
            return None
        finally:
            http.close()
        return str(answer["id"]) if status == 200 else None

    def start(self) -> None:
        with self.stack._admin() as conn:
            scratch.create_database(conn, self.db_name, "bench")
            self._created_database = True
        port = processes.free_port()
        self.base_url = f"http://127.0.0.1:{port}/api"
        prefect = str(Path(self.python).parent / "prefect")
        self._spawn(
            "prefect-server",
            [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"],
        )
        self.stack._wait("the Prefect server", self._healthy, 180)
        self._spawn("prefect-runner", [self.python, str(FLOWS), str(self.slots)])
        for flow in ("noop", "steps"):
            self.stack._wait(
                f"Prefect's {flow} deployment", lambda f=flow: self._deployment(f) is not None, 120
            )
            self.deployments[flow] = str(self._deployment(flow))

    def stop(self) -> None:
        processes.stop(self.children)
        self.stack.children = [c for c in self.stack.children if c not in self.children]
        self.children = []
        if self._created_database:
            with self.stack._admin() as conn:
                scratch.drop_database(conn, self.db_name)
            self._created_database = False

    # -- the API --------------------------------------------------------------------------

    def _tag(self, what: str) -> str:
        self._tags += 1
        return f"bench-{what}-{self._tags}"

    def _submit_path(self, flow: str) -> str:
        return f"/deployments/{self.deployments[flow]}/create_flow_run"

    def _runs(self, http: Http, tag: str, types: list[str]) -> int:
        body = {"flow_runs": {"tags": {"all_": [tag]}, "state": {"type": {"any_": types}}}}
        return int(http.ok("POST", "/flow_runs/count", body))

    def _last_end(self, http: Http, tag: str) -> float:
        body = {"flow_runs": {"tags": {"all_": [tag]}}, "sort": "END_TIME_DESC", "limit": 1}
        found = http.ok("POST", "/flow_runs/filter", body)
        return float(_stamp(found[0]["end_time"]) or 0.0)

    # -- measurements ---------------------------------------------------------------------

    def submit_rate(self, count: int, clients: int) -> dict[str, Any]:
        """``count`` flow runs created by ``clients`` clients, scheduled far ahead (nobody
        runs them, as the service's queueing is measured with its workers not consuming)."""
        body = {
            "tags": [self._tag("submit")],
            "state": {"type": "SCHEDULED", "state_details": {"scheduled_time": FAR_AHEAD}},
        }
        load: QueueLoad = queue_in_background(
            self.base_url, "", "", count, clients, body, self._submit_path("noop")
        ).result()
        if load.failures:
            raise RuntimeError(f"Prefect's create_flow_run failed: {load.failures[:3]}")
        return {
            "runs": count,
            "clients": clients,
            **load.figures("submit_latency"),
        }

    def end_to_end(self, count: int, clients: int, timeout: float = 900.0) -> dict[str, Any]:
        """``count`` zero-work runs submitted by ``clients`` clients, to the last one ended."""
        tag = self._tag("e2e")
        load: QueueLoad = queue_in_background(
            self.base_url, "", "", count, clients, {"tags": [tag]}, self._submit_path("noop")
        ).result()
        if load.failures:
            raise RuntimeError(f"Prefect's create_flow_run failed: {load.failures[:3]}")
        http = Http(self.base_url)
        try:
            deadline = time.monotonic() + timeout
            while (ended := self._runs(http, tag, TERMINAL)) < count:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Prefect ended {ended} of {count} runs in {timeout:g} s")
                time.sleep(0.5)
            completed = self._runs(http, tag, ["COMPLETED"])
            spent = self._last_end(http, tag) - load.started
        finally:
            http.close()
        return {
            "runs": count,
            "completed": completed,
            "seconds": round(spent, 3),
            "per_second": round(count / spent, 2),
        }

    def _wait_run(
        self, http: Http, ident: str, types: tuple[str, ...], timeout: float = 120.0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            found: dict[str, Any] = http.ok("GET", f"/flow_runs/{ident}")
            if (found.get("state") or {}).get("type") in types:
                return found
            if time.monotonic() > deadline:
                raise RuntimeError(f"Prefect's flow run {ident} never reached {types}")
            time.sleep(0.02)

    def idle_latency(self, samples: int) -> dict[str, Any]:
        """One zero-work run at a time: the submit's answer to ``start_time`` and to
        ``end_time`` (the times Prefect records for the run's states)."""
        to_start: list[float] = []
        to_end: list[float] = []
        http = Http(self.base_url)
        try:
            for _ in range(samples):
                run = http.ok("POST", self._submit_path("noop"), {"tags": [self._tag("idle")]})
                answered = time.time()
                found = self._wait_run(http, str(run["id"]), tuple(TERMINAL))
                to_start.append(float(_stamp(found["start_time"]) or answered) - answered)
                to_end.append(float(_stamp(found["end_time"]) or answered) - answered)
        finally:
            http.close()
        return {
            "samples": samples,
            "answer_to_running": latency_ms(to_start),
            "answer_to_completed": latency_ms(to_end),
        }

    def cancel_latency(self, samples: int) -> dict[str, Any]:
        """Runs of the 100 ms-step flow cancelled while running: from the cancel request
        to the CANCELLED state the runner sets once the flow's process is gone."""
        rng = random.Random(11)
        answers: list[float] = []
        stops: list[float] = []
        http = Http(self.base_url)
        try:
            for _ in range(samples):
                run = http.ok("POST", self._submit_path("steps"), {"tags": [self._tag("cancel")]})
                ident = str(run["id"])
                self._wait_run(http, ident, ("RUNNING",))
                time.sleep(rng.uniform(0.0, 0.1))
                sent = time.time()
                start = time.perf_counter()
                http.ok(
                    "POST",
                    f"/flow_runs/{ident}/set_state",
                    {"state": {"type": "CANCELLING", "name": "Cancelling"}, "force": True},
                )
                answers.append(time.perf_counter() - start)
                found = self._wait_run(http, ident, ("CANCELLED", "CRASHED", "FAILED"), 60)
                stops.append(float(_stamp(found["state"]["timestamp"]) or sent) - sent)
        finally:
            http.close()
        return {
            "samples": samples,
            "answer": latency_ms(answers),
            "cancel_to_stopped": latency_ms(stops),
        }


def run_peer(
    stack: BenchStack, python: str, slots: int, counts: dict[str, int], say: Any
) -> dict[str, Any]:
    """Start Prefect, measure it, take it down; the figures (or the error that stopped it)."""
    peer = Prefect(stack, python, slots)
    found: dict[str, Any] = {}
    try:
        peer.start()
        peer.end_to_end(min(10, counts["end_to_end"]), 4)  # warm-up
        found["submit"] = peer.submit_rate(counts["submit"], counts["clients"])
        say(f"  Prefect submit: {found['submit']['per_second']:,.1f}/s")
        found["end_to_end"] = peer.end_to_end(counts["end_to_end"], counts["clients"])
        say(f"  Prefect zero-work end to end: {found['end_to_end']['per_second']:,.2f}/s")
        found["idle"] = peer.idle_latency(counts["latency"])
        say(f"  Prefect answer to running: {found['idle']['answer_to_running']}")
        found["cancel"] = peer.cancel_latency(counts["cancels"])
        say(f"  Prefect cancel to stopped: {found['cancel']['cancel_to_stopped']}")
    except Exception as exc:  # a peer failing must not lose the service's figures
        found["error"] = f"{type(exc).__name__}: {exc}"
        say(f"  Prefect stopped: {found['error']}")
    finally:
        with contextlib.suppress(Exception):
            peer.stop()
    return found
