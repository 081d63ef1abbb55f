"""Summaries of latency samples: p50/p95/p99/max/mean, with the harness's percentile."""

from __future__ import annotations

import statistics

from harness.percentiles import percentile


def latency_ms(values: list[float]) -> dict[str, float]:
    """p50/p95/p99/max/mean in milliseconds of samples given in seconds; ``count: 0``
    alone when there are none (a percentile of nothing is not a figure)."""
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
    """The median, or NaN for no values (the rates it is taken of are printed, not judged)."""
    return statistics.median(values) if values else float("nan")
