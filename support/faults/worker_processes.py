"""Named operations on the services stack's worker processes: the faults the worker-loss
features inject, kept together the way Celery's smoke tests keep ``WorkerKill`` and
``WorkerRestart``, and the graceful stop an orchestrator does (``WorkerStop``).

Only the services stack has worker processes of their own (the embedded stack's worker
runs inside the test process): scenarios using these are tagged
``@use.with_stack=services``.
"""

from __future__ import annotations

import contextlib
import signal
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import psutil

from ..polling import wait_until
from ..stacks import Stack, services_stack

SHUTDOWN_SECONDS = 30.0

# what the operations below need, said when a scenario runs them on the wrong stack
NEEDS = "killing or restarting a worker needs worker processes of their own"


def kill_pool_processes(stack: Stack, hostname: str) -> int:
    """WorkerKill: SIGKILL the pool processes of one worker, as the OOM killer would.

    Its main process lives on and forks new ones. Returns how many were killed.
    """
    main = psutil.Process(services_stack(stack, NEEDS).worker_process(hostname).popen.pid)
    pool = main.children(recursive=True)
    for process in pool:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    return len(pool)


def restart_workers(stack: Stack) -> datetime:
    """WorkerRestart: stop every worker the way an operator does (SIGTERM: warm shutdown)
    and, once none is left, start them all again: whatever they held must be back in Redis.

    Returns the moment no worker was left.
    """
    services = services_stack(stack, NEEDS)
    workers = [services.worker_process(name) for name in services.worker_names]
    for child in workers:
        child.signal_group(signal.SIGTERM)
    if not wait_until(lambda: not any(c.survivors() for c in workers), SHUTDOWN_SECONDS, 0.05):
        raise RuntimeError(f"the workers did not shut down within {SHUTDOWN_SECONDS:g} s")
    all_down = datetime.now(UTC)
    for child in workers:
        services.forget(child)
    for name in services.worker_names:
        services.start_worker(name)
    services.wait_for_workers("the restarted workers")
    return all_down


@dataclass(frozen=True)
class GracefulStop:
    """When the worker was told to stop, and when its process had exited."""

    hostname: str
    signalled_at: datetime
    exited_at: datetime
    seconds: float


def stop_gracefully(stack: Stack, hostname: str, restart: bool = True) -> GracefulStop:
    """WorkerStop: SIGTERM to one worker's main process only, as Kubernetes or an operator's
    ``kill`` does (Celery's warm shutdown; the worker tells its pool processes itself),
    and wait for the whole worker to exit. Then (``restart``) start it again, so the
    stack has its workers for the next scenario. Returns the times of the stop."""
    services = services_stack(stack, NEEDS)
    child = services.worker_process(hostname)
    signalled_at = datetime.now(UTC)
    started = time.monotonic()
    with contextlib.suppress(ProcessLookupError):
        child.popen.send_signal(signal.SIGTERM)
    if not wait_until(lambda: not child.survivors(), SHUTDOWN_SECONDS, 0.02):
        raise RuntimeError(f"{hostname} did not stop within {SHUTDOWN_SECONDS:g} s of SIGTERM")
    stop = GracefulStop(hostname, signalled_at, datetime.now(UTC), time.monotonic() - started)
    services.forget(child)
    if restart:
        services.start_worker(hostname)
        services.wait_for_workers(f"{hostname}, started again")
    return stop
