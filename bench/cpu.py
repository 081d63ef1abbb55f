"""Where the CPU goes: CPU time per execution, by process, over one throughput run.

On a 2-core machine every throughput figure here is bound by CPU, so the cost of one
execution in CPU milliseconds, split between the API, the workers, PostgreSQL, Redis
and the load generator, says more than the rate and is much steadier than it.

PostgreSQL is counted as the backends connected to the benchmark's database; Redis as
the whole server (other programs using it at the same time are counted too).
"""

from __future__ import annotations

import contextlib
from typing import Any

import psutil

from bench.measured_stack import BenchStack


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


class CpuMeter:
    """``start()`` before a run, ``per_execution(n)`` after it."""

    def __init__(self, stack: BenchStack) -> None:
        self.stack = stack
        self._before: dict[int, float] = {}
        self._bench_before = 0.0

    def _groups(self) -> dict[str, list[psutil.Process]]:
        groups: dict[str, list[psutil.Process]] = {"api": [], "workers": []}
        for child in self.stack.children:
            groups["api" if child.kind == "api" else "workers"] += child.processes()
        groups["postgres"] = [
            p for pid in self.stack.backend_pids() if (p := _process(pid)) is not None
        ]
        groups["redis"] = [
            p for p in psutil.process_iter(["name"]) if p.info["name"] == "redis-server"
        ]
        return groups

    def _bench(self) -> float:
        """This process and its load generators (counted once they have ended)."""
        times = psutil.Process().cpu_times()
        return float(times.user + times.system + times.children_user + times.children_system)

    def _now(self) -> dict[int, float]:
        found: dict[int, float] = {}
        for procs in self._groups().values():
            for proc in procs:
                with contextlib.suppress(psutil.Error):
                    found[proc.pid] = _cpu(proc)
        return found

    def start(self) -> None:
        self._before = self._now()
        self._bench_before = self._bench()

    def per_execution(self, executions: int) -> dict[str, Any]:
        """CPU milliseconds per execution of each group since ``start()``."""
        spent: dict[str, float] = {}
        for name, procs in self._groups().items():
            total = 0.0
            for proc in procs:
                with contextlib.suppress(psutil.Error):
                    total += _cpu(proc) - self._before.get(proc.pid, 0.0)
            spent[name] = total
        # the bench process's children include the service's processes once reaped: none
        # are reaped during a run, so what is added is the load generators'
        spent["load generator"] = self._bench() - self._bench_before
        per = {name: round(1000 * seconds / executions, 3) for name, seconds in spent.items()}
        per["total"] = round(sum(per.values()), 3)
        return per


def _process(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except psutil.Error:
        return None
