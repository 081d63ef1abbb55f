"""Memory growth: RSS of every service process before and after many executions."""

from __future__ import annotations

from typing import Any

import psutil

from bench.measured_stack import BenchStack
from bench.service_runs import Service

MB = 1024 * 1024


def snapshot(stack: BenchStack) -> dict[str, tuple[int, float]]:
    """name -> (pid, RSS in MB) of the API and of each worker's main and pool processes."""
    found: dict[str, tuple[int, float]] = {}
    for child in stack.children:
        if child.kind not in ("api", "service"):
            continue
        for index, proc in enumerate(child.processes()):
            name = child.name if index == 0 else f"{child.name}/pool-{index}"
            try:
                found[name] = (proc.pid, proc.memory_info().rss / MB)
            except psutil.Error:
                continue
    return found


def rss_growth(
    stack: BenchStack, service: Service, executions: int, clients: int, chunk: int = 2500
) -> dict[str, Any]:
    """Warm up, then run ``executions`` zero-work executions; RSS growth per process."""
    service.end_to_end(max(200, executions // 10), clients)  # warm-up: caches, pools, imports
    before = snapshot(stack)
    done = 0
    while done < executions:
        batch = min(chunk, executions - done)
        service.end_to_end(batch, clients)
        done += batch
    after = snapshot(stack)
    processes = {}
    for name, (pid, rss) in before.items():
        if name not in after:
            continue
        later_pid, later = after[name]
        processes[name] = {
            "rss_before_mb": round(rss, 1),
            "rss_after_mb": round(later, 1),
            "growth_mb": round(later - rss, 2),
            "same_process": pid == later_pid,
        }
    return {
        "executions": executions,
        "processes": processes,
        "max_growth_mb": max((p["growth_mb"] for p in processes.values()), default=0.0),
    }
