"""The arithmetic of the execution series of ``GET /metrics``: pure, no SQL, no I/O.

The execution series are derived from the database at scrape time (see
``store/metric_reads.py`` for how and why), never from per-process counters, so every API
process answers the same numbers however many API and worker processes there are. This
module holds what turns stored rows into those numbers:

* :class:`Histogram`: counts per bucket (not cumulative) plus the sum of the values, the
  shape kept in the database and merged across rows; :meth:`Histogram.cumulative` gives
  Prometheus' ``le`` buckets.
* :class:`Tally`: one label set's executions, retries (attempts started after the first),
  queue-wait and run-time histograms.
* :class:`Totals`: tallies keyed by ``(status, priority, error_code)``; finished
  executions are added with :meth:`Totals.add_finished`, still running or retrying ones
  with :meth:`Totals.add_started` (their queue wait and retries only: their run time is
  observed when they end). Every execution is added exactly once per scrape, whether it
  was folded into the stored totals, is in the recent window, or is still active, so the
  counters only grow.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

QUEUE_WAIT_BUCKETS: tuple[float, ...] = (
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
)  # fmt: skip
"""Seconds from queueing to the first start."""

RUN_BUCKETS: tuple[float, ...] = (
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
    7200.0, 21600.0,
)  # fmt: skip
"""Seconds from the first start to the end (retries and their waits included)."""

NO_ERROR = ""
"""The stored ``error_code`` of an execution that ended without one (``none`` as a label)."""


def bucket_layout() -> dict[str, list[float]]:
    """The bounds the stored totals were counted with: totals kept with other bounds are
    counted again from the rows (``store/metric_reads.py``)."""
    return {"queue_wait": list(QUEUE_WAIT_BUCKETS), "run": list(RUN_BUCKETS)}


@dataclass
class Histogram:
    bounds: tuple[float, ...]
    # one count per bound, then the count above the last bound (+Inf)
    counts: list[int] = field(default_factory=list)
    total: float = 0.0

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = [0] * (len(self.bounds) + 1)
        if len(self.counts) != len(self.bounds) + 1:
            raise ValueError("a histogram needs one count per bound, plus one above them")

    def observe(self, value: float) -> None:
        value = max(0.0, value)
        for index, bound in enumerate(self.bounds):
            if value <= bound:
                self.counts[index] += 1
                break
        else:
            self.counts[-1] += 1
        self.total += value

    def merge(self, other: Histogram) -> None:
        if other.bounds != self.bounds:
            raise ValueError("histograms with different bounds cannot be merged")
        self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]
        self.total += other.total

    @property
    def count(self) -> int:
        return sum(self.counts)

    def cumulative(self) -> list[tuple[str, int]]:
        """Prometheus' buckets: ``(le, observations <= le)``, ending with ``+Inf``."""
        running = 0
        answer = []
        for bound, count in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += count
            answer.append(("+Inf" if bound == float("inf") else _number(bound), running))
        return answer


def _number(bound: float) -> str:
    return repr(float(bound))


def _seconds(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()


@dataclass
class Tally:
    executions: int = 0
    retries: int = 0
    queue_wait: Histogram = field(default_factory=lambda: Histogram(QUEUE_WAIT_BUCKETS))
    run: Histogram = field(default_factory=lambda: Histogram(RUN_BUCKETS))
    # the model calls' usage of these executions (their ``usage`` documents' counts)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model_calls: int = 0

    def add_usage(self, usage: Any) -> None:
        """Add an execution's usage document (``executions.usage``; None: no call)."""
        if isinstance(usage, dict):
            self.prompt_tokens += _count(usage.get("prompt_tokens"))
            self.completion_tokens += _count(usage.get("completion_tokens"))
            self.model_calls += _count(usage.get("model_calls"))

    def merge(self, other: Tally) -> None:
        self.executions += other.executions
        self.retries += other.retries
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.model_calls += other.model_calls
        self.queue_wait.merge(other.queue_wait)
        self.run.merge(other.run)

    def stored(self) -> dict[str, Any]:
        """The columns of a stored totals row (``execution_totals``)."""
        return {
            "executions": self.executions,
            "retries": self.retries,
            "queue_wait_counts": list(self.queue_wait.counts),
            "queue_wait_sum": self.queue_wait.total,
            "run_counts": list(self.run.counts),
            "run_sum": self.run.total,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "model_calls": self.model_calls,
        }

    @classmethod
    def from_stored(
        cls,
        executions: int,
        retries: int,
        queue_wait_counts: Sequence[int],
        queue_wait_sum: float,
        run_counts: Sequence[int],
        run_sum: float,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        model_calls: int = 0,
    ) -> Tally:
        return cls(
            executions,
            retries,
            Histogram(QUEUE_WAIT_BUCKETS, list(queue_wait_counts), queue_wait_sum),
            Histogram(RUN_BUCKETS, list(run_counts), run_sum),
            prompt_tokens,
            completion_tokens,
            model_calls,
        )


def _count(value: Any) -> int:
    """A count from a usage document: anything but a positive integer is 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


Key = tuple[str, str, str]
"""(status, priority, error_code); error_code is ``NO_ERROR`` when there is none."""


@dataclass(frozen=True)
class FinishedRow:
    status: str
    priority: str
    error_code: str | None
    attempt: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime
    usage: dict[str, Any] | None = None


@dataclass(frozen=True)
class StartedRow:
    """A running or retrying execution: started, not ended."""

    status: str
    priority: str
    attempt: int
    created_at: datetime
    started_at: datetime
    usage: dict[str, Any] | None = None


@dataclass
class Totals:
    tallies: dict[Key, Tally] = field(default_factory=dict)

    def _tally(self, key: Key) -> Tally:
        tally = self.tallies.get(key)
        if tally is None:
            tally = self.tallies[key] = Tally()
        return tally

    def add_finished(self, rows: Iterable[FinishedRow]) -> None:
        for row in rows:
            tally = self._tally((row.status, row.priority, row.error_code or NO_ERROR))
            tally.executions += 1
            tally.retries += max(0, row.attempt - 1)
            tally.add_usage(row.usage)
            if row.started_at is not None:
                tally.queue_wait.observe(_seconds(row.started_at, row.created_at))
                tally.run.observe(_seconds(row.finished_at, row.started_at))

    def add_started(self, rows: Iterable[StartedRow]) -> None:
        """Still active: their queue wait and retries so far (not counted as executions
        here: the live counts by status come from a count of their own)."""
        for row in rows:
            tally = self._tally((row.status, row.priority, NO_ERROR))
            tally.retries += max(0, row.attempt - 1)
            tally.add_usage(row.usage)
            tally.queue_wait.observe(_seconds(row.started_at, row.created_at))

    def merge(self, other: Totals) -> None:
        for key, tally in other.tallies.items():
            self._tally(key).merge(tally)

    def finished_by(self) -> dict[tuple[str, str], int]:
        """Executions ended, by (status, error code)."""
        answer: dict[tuple[str, str], int] = {}
        for (status, _priority, code), tally in self.tallies.items():
            if tally.executions:
                answer[(status, code)] = answer.get((status, code), 0) + tally.executions
        return answer

    def executions_by(self) -> dict[tuple[str, str], int]:
        """Executions ended, by (status, priority)."""
        answer: dict[tuple[str, str], int] = {}
        for (status, priority, _code), tally in self.tallies.items():
            if tally.executions:
                answer[(status, priority)] = answer.get((status, priority), 0) + tally.executions
        return answer

    def retries(self) -> int:
        return sum(tally.retries for tally in self.tallies.values())

    def tokens(self) -> dict[str, int]:
        """Model tokens used, by kind (``prompt``, ``completion``), and the model calls."""
        tallies = self.tallies.values()
        return {
            "prompt": sum(t.prompt_tokens for t in tallies),
            "completion": sum(t.completion_tokens for t in tallies),
            "calls": sum(t.model_calls for t in tallies),
        }

    def queue_wait_by_priority(self) -> dict[str, Histogram]:
        answer: dict[str, Histogram] = {}
        for (_status, priority, _code), tally in self.tallies.items():
            answer.setdefault(priority, Histogram(QUEUE_WAIT_BUCKETS)).merge(tally.queue_wait)
        return answer

    def run_by_status(self) -> dict[str, Histogram]:
        answer: dict[str, Histogram] = {}
        for (status, _priority, _code), tally in self.tallies.items():
            if tally.run.count:
                answer.setdefault(status, Histogram(RUN_BUCKETS)).merge(tally.run)
        return answer
