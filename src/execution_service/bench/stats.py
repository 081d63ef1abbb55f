"""Percentiles and summaries of latency samples."""

from __future__ import annotations

import statistics


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile: always a value that was really observed."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def latency_ms(values: list[float]) -> dict[str, float]:
    """p50/p95/p99/max/mean in milliseconds of samples given in seconds."""
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "p50_ms": round(1000 * percentile(values, 50), 3),
        "p95_ms": round(1000 * percentile(values, 95), 3),
        "p99_ms": round(1000 * percentile(values, 99), 3),
        "max_ms": round(1000 * max(values), 3),
        "mean_ms": round(1000 * statistics.fmean(values), 3),
    }


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
