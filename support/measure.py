"""Figures the scenarios measure: percentiles, and a JSON report beside the JUnit ones."""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path
from typing import Any

REPORTS = Path(os.environ.get("EXEC_TEST_REPORTS", "reports"))


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: a real observed value)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "count": len(values),
        "min": min(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "max": max(values),
        "mean": statistics.fmean(values),
    }


def record(name: str, stack: str, figures: dict[str, Any], file: str = "measurements.json") -> None:
    """Print the figures and merge them into ``reports/<file>`` under ``stack``/``name``."""
    print(
        f"{name} [{stack}]: "
        + ", ".join(
            f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()
        )
    )
    REPORTS.mkdir(parents=True, exist_ok=True)
    path = REPORTS / file
    data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    data.setdefault(stack, {})[name] = figures
    path.write_text(json.dumps(data, indent=2, sort_keys=True))
