"""The one percentile the benchmark and the acceptance suite report figures with."""

from __future__ import annotations

from collections.abc import Sequence


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: always a value that was really observed (no interpolation).

    No values, no percentile: raises ``ValueError``. A NaN would be worse: it would travel
    into a report as if it were a figure, and every comparison with it is False, so a
    target like ``p95 < 250 ms`` would read as missed for a reason nobody sees. A caller
    that may have no samples checks first (the benchmark's summaries report ``count: 0``).
    """
    ordered = sorted(values)
    if not ordered:
        raise ValueError("the percentile of no values")
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]
