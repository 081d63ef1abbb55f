"""Figures the scenarios measure: percentiles, and a JSON report beside the JUnit ones."""

from __future__ import annotations

import fcntl
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

from harness.percentiles import percentile

REPORTS = Path(os.environ.get("EXEC_TEST_REPORTS", "reports"))


def summary(values: list[float]) -> dict[str, float]:
    return {
        "count": len(values),
        "min": min(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "max": max(values),
        "mean": statistics.fmean(values),
    }


def record(
    name: str,
    stack: str,
    figures: dict[str, Any],
    file: str = "measurements.json",
    show: bool = False,
) -> None:
    """Print the figures and merge them into ``reports/<file>`` under ``stack``/``name``.

    behave captures what a step prints (it shows it only when the step fails, and in the
    JUnit report); ``show`` also writes the line to the terminal the run started in.
    """
    line = f"{name} [{stack}]: " + ", ".join(
        f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()
    )
    print(line)
    if show and sys.stdout is not sys.__stdout__ and sys.__stdout__ is not None:
        sys.__stdout__.write(f"      | {line}\n")
        sys.__stdout__.flush()
    REPORTS.mkdir(parents=True, exist_ok=True)
    path = REPORTS / file
    # two runs (one per stack) may write the same file at once: one at a time
    with (REPORTS / f".{file}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        data.setdefault(stack, {})[name] = figures
        path.write_text(json.dumps(data, indent=2, sort_keys=True))
