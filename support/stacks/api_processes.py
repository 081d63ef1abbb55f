"""A second API of the services stack, run as several processes: a named operation.

The stack's own API is one process, which admits the executions of a graph one batch at
a time; only when several API processes queue at once do their transactions race for a
graph's lock (production runs ``execution-service api --workers N``). For the scenarios
about that, :func:`serve_with_api_processes` starts ``execution-service api --workers N
--port <free>`` on the SAME database and broker as the stack, waits until it answers
``/healthz`` and every one of its N processes has started, and points the scenario's
client at it. At the end of the scenario (a behave fixture: even when the scenario
failed) it stops the whole process group and fails if any process is left.

Its processes share one listening socket, and the kernel gives most new connections to
whichever process is awake: :meth:`ApiProcesses.spread_clients` hands out clients
connected evenly over the processes, each process warmed up, so that they really race.

Only the services stack has processes of its own: scenarios using this are tagged
``@use.with_stack=services``.
"""

from __future__ import annotations

import atexit
import contextlib
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import psutil
from behave.fixture import fixture, use_fixture

from harness import processes
from harness.http_client import UNREACHABLE, answers_health
from harness.processes import Child

from ..client import ApiClient
from ..polling import wait_until
from . import Stack, services_stack

START_SECONDS = 90.0  # each process imports the service on its own: slow on a loaded machine
STOP_SECONDS = 15.0
SPREAD_SECONDS = 30.0
# what uvicorn logs once per process, when that process serves requests
STARTED = b"Application startup complete."
NO_GRAPH = "00000000-0000-4000-8000-000000000000"  # no graph has this id: queueing is refused

# what the operations below need, said when a scenario runs them on the wrong stack
NEEDS = "an API of several processes needs processes of its own"


def _warm_up(client: ApiClient) -> bool:
    """Ask to queue an execution of a graph that does not exist; True if refused so."""
    try:
        return client.queue(NO_GRAPH).status_code == 404
    except UNREACHABLE:
        return False


@dataclass
class ApiProcesses:
    """One ``execution-service api --workers N``: its process group and where it listens."""

    child: Child
    base_url: str
    count: int
    key: str  # the API key its clients use

    def healthy(self) -> bool:
        return answers_health(self.base_url)

    def started(self) -> int:
        """How many of its processes have said they serve requests."""
        self.child.log.flush()
        try:
            return self.child.log_path.read_bytes().count(STARTED)
        except OSError:
            return 0

    def ready(self) -> bool:
        return self.started() >= self.count and self.healthy()

    def _servers(self) -> dict[tuple[str, int], int]:
        """For each open connection to the API, by its client's address: the pid serving it."""
        servers: dict[tuple[str, int], int] = {}
        for process in self.child.processes():
            with contextlib.suppress(psutil.Error):
                for connection in process.net_connections("tcp"):
                    if connection.raddr:
                        servers[(connection.raddr.ip, connection.raddr.port)] = process.pid
        return servers

    def spread_clients(self, count: int) -> list[ApiClient]:
        """``count`` clients, connected already, spread evenly over the processes, each
        process warmed up: it has just answered a request to queue an execution.

        The processes share one listening socket and the kernel hands a new connection to
        whichever is awake first: left alone, one process may get nearly all of them. So
        clients are connected (several at once), and each is kept only while the process
        serving it has fewer than its share. Every round, every client asks to queue an
        execution of a graph that does not exist (refused: nothing is queued): it keeps the
        connection from idling out, and a process's first queueing is slow (its database
        pool, its caches, its admission thread), which would keep it out of the race.
        """
        share = -(-count // self.count)
        kept: list[ApiClient] = []
        deadline = time.monotonic() + SPREAD_SECONDS
        with ThreadPoolExecutor(max_workers=16) as pool:
            while True:
                missing = count - len(kept)
                batch = [ApiClient(self.base_url, self.key) for _ in range(min(2 * missing, 64))]
                clients = kept + batch
                answered = list(pool.map(_warm_up, clients))
                servers = self._servers()
                by_process: dict[int, list[ApiClient]] = defaultdict(list)
                kept = []
                for client, ok in zip(clients, answered, strict=True):
                    sock = client.http.conn.sock
                    pid = servers.get(sock.getsockname()[:2]) if ok and sock else None
                    if pid is not None and len(by_process[pid]) < share and len(kept) < count:
                        by_process[pid].append(client)
                        kept.append(client)
                    else:
                        client.http.close()
                if len(kept) == count and not missing:
                    # in turns, one of each process's: users started in order reach them all
                    held = list(by_process.values())
                    return [h[i] for i in range(share) for h in held if i < len(h)]
                if time.monotonic() > deadline:
                    for client in kept:
                        client.http.close()
                    raise RuntimeError(
                        f"could not spread {count} connections over {self.count} API "
                        f"processes within {SPREAD_SECONDS:g} s: "
                        f"{sorted(len(held) for held in by_process.values())}"
                    )

    def stop(self) -> None:
        """SIGTERM the group, SIGKILL what is left after the grace; fail if any survives."""
        processes.stop([self.child], STOP_SECONDS)
        atexit.unregister(self.stop)
        if left := self.child.survivors():
            raise AssertionError(
                f"the API's {self.count} processes left "
                + ", ".join(processes.describe(p) for p in left)
            )


def start_api_processes(stack: Stack, count: int) -> ApiProcesses:
    """Start ``execution-service api --workers <count>`` on the stack's database and
    broker; return once it answers and all ``count`` processes serve requests."""
    services = services_stack(stack, NEEDS)
    port = processes.free_port()
    child = services.launch(
        f"api-{count}-processes-{port}",
        *("api", "--workers", str(count), "--host", "127.0.0.1", "--port", str(port)),
    )
    api = ApiProcesses(child, f"http://127.0.0.1:{port}", count, stack.api_key)
    atexit.register(api.stop)  # the run ends in the middle of a scenario: still stopped
    try:
        ready = wait_until(lambda: not child.alive() or api.ready(), START_SECONDS, 0.1)
        if not child.alive() or not ready:
            raise RuntimeError(
                f"the API with {count} processes was not ready within {START_SECONDS:g} s "
                f"({api.started()} started; exit {child.popen.returncode}); the end of "
                f"{child.log_path}:\n{child.tail()}"
            )
    except BaseException:
        api.stop()
        raise
    return api


@fixture
def _api_processes(context: Any, count: int) -> Iterator[ApiProcesses]:
    api = start_api_processes(context.stack, count)
    try:
        yield api
    finally:
        api.stop()


def serve_with_api_processes(context: Any, count: int) -> None:
    """For the rest of the scenario the scenario's client talks to an API of ``count``
    processes (the stack's database and broker); it is stopped when the scenario ends."""
    api = use_fixture(_api_processes, context, count)
    world = context.world
    world.api.http.close()
    world.api = ApiClient(api.base_url, world.api.key)
    world.api_processes = api
