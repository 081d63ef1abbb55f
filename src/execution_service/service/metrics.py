"""The service's own series for ``GET /metrics`` (Prometheus): executions, the queue,
the workers, the circuit breakers and token usage, built at each scrape.

They are read from the database (``store/metric_reads.py``: why and at what cost) and
from the circuit breakers' shared state, not kept in this process: every API process
answers the same values, and a scrape sees the executions of every API and worker
process. The HTTP series are another matter: each API process counts its own requests
(``api/metrics.py``).

Series (prefix ``execution_service_``):

========================================  =========  ==================================
``executions{status,priority}``           gauge      executions by status (ended ones
                                                     as counted: a row deleted later
                                                     is still counted)
``queue_depth{priority}``                 gauge      queued executions
``queue_oldest_age_seconds``              gauge      age of the oldest queued (0: none)
``running{worker}``                       gauge      running executions per worker
                                                     (every worker seen recently, 0 too)
``workers_online``, ``worker_slots``      gauge      workers seen recently, their slots
``executions_finished_total{status,       counter    ended executions
error_code}``                                        (``error_code="none"``: no error)
``retries_total``                         counter    attempts started after the first
``queue_wait_seconds{priority}``          histogram  queueing to first start
``run_seconds{status}``                   histogram  first start to end (retries in)
``circuit_breaker_state{name,state}``     gauge      1 for the circuit's state, else 0
``circuit_breaker_failures{name}``        gauge      provider failures in a row
``tokens_total{kind}``                    counter    model tokens used, prompt and
                                                     completion (executions' usage)
``model_calls_total``                     counter    model calls made
========================================  =========  ==================================
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from execution_service.breaker import get_breaker
from execution_service.config import get_settings
from execution_service.metric_rollup import NO_ERROR
from execution_service.priorities import Priority
from execution_service.status import Status
from execution_service.store.metric_reads import ExecutionMetrics, execution_metrics
from execution_service.store.models import utcnow

PREFIX = "execution_service_"
BREAKER_STATES = ("closed", "open", "half_open")


def _families(found: ExecutionMetrics, now: datetime) -> Iterator[Metric]:
    executions = GaugeMetricFamily(
        PREFIX + "executions",
        "Executions stored, by status and priority.",
        labels=["status", "priority"],
    )
    by = {**found.totals.executions_by(), **found.active}
    for status in Status:
        for priority in Priority:
            executions.add_metric([status.value, priority.value], by.get((status, priority), 0))
    yield executions

    depth = GaugeMetricFamily(
        PREFIX + "queue_depth", "Queued executions, by priority.", labels=["priority"]
    )
    for priority in Priority:
        depth.add_metric([priority.value], found.active.get((Status.QUEUED, priority), 0))
    yield depth

    oldest = found.oldest_queued_at
    age = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
    yield GaugeMetricFamily(
        PREFIX + "queue_oldest_age_seconds",
        "Seconds the oldest queued execution has waited (0 when none is queued).",
        value=age,
    )

    running = GaugeMetricFamily(
        PREFIX + "running", "Running executions, by worker.", labels=["worker"]
    )
    for worker in sorted(set(found.workers) | set(found.running_by_worker)):
        running.add_metric([worker], found.running_by_worker.get(worker, 0))
    yield running
    yield GaugeMetricFamily(
        PREFIX + "workers_online", "Workers seen recently.", value=len(found.workers)
    )
    yield GaugeMetricFamily(
        PREFIX + "worker_slots",
        "Pool slots of the workers seen recently.",
        value=sum(found.workers.values()),
    )

    finished = CounterMetricFamily(
        PREFIX + "executions_finished",
        "Executions ended, by status and error code (none: no error).",
        labels=["status", "error_code"],
    )
    for (ended, code), count in sorted(found.totals.finished_by().items()):
        finished.add_metric([ended, code if code != NO_ERROR else "none"], count)
    yield finished
    yield CounterMetricFamily(
        PREFIX + "retries",
        "Attempts started after an execution's first.",
        value=found.totals.retries(),
    )

    waits = HistogramMetricFamily(
        PREFIX + "queue_wait_seconds",
        "Seconds from queueing to the first start, by priority.",
        labels=["priority"],
    )
    for level, histogram in sorted(found.totals.queue_wait_by_priority().items()):
        waits.add_metric([level], histogram.cumulative(), histogram.total)
    yield waits
    runs = HistogramMetricFamily(
        PREFIX + "run_seconds",
        "Seconds from the first start to the end, retries included, by final status.",
        labels=["status"],
    )
    for ended, histogram in sorted(found.totals.run_by_status().items()):
        runs.add_metric([ended], histogram.cumulative(), histogram.total)
    yield runs


def _breakers() -> Iterator[Metric]:
    state = GaugeMetricFamily(
        PREFIX + "circuit_breaker_state",
        "1 for the state each model provider's circuit is in, 0 for the others.",
        labels=["name", "state"],
    )
    failures = GaugeMetricFamily(
        PREFIX + "circuit_breaker_failures",
        "Provider failures in a row, by circuit.",
        labels=["name"],
    )
    for circuit in get_breaker().states():
        for name in BREAKER_STATES:
            state.add_metric([circuit.name, name], 1 if circuit.state == name else 0)
        failures.add_metric([circuit.name], circuit.failures)
    yield state
    yield failures


def _tokens(found: ExecutionMetrics) -> Iterator[Metric]:
    """Model tokens and calls of every execution (their ``usage``), counted like the
    other totals: folded once ended, read live while running or within the fold lag."""
    used = found.totals.tokens()
    tokens = CounterMetricFamily(
        PREFIX + "tokens", "Model tokens used by executions, by kind.", labels=["kind"]
    )
    for kind in ("prompt", "completion"):
        tokens.add_metric([kind], used[kind])
    yield tokens
    yield CounterMetricFamily(
        PREFIX + "model_calls", "Model calls made by executions.", value=used["calls"]
    )


class ServiceCollector(Collector):
    """The series above, read at each ``collect`` (each scrape)."""

    def collect(self) -> Iterator[Metric]:
        settings = get_settings()
        began = time.perf_counter()
        found = execution_metrics(
            lag=settings.metrics_fold_lag_seconds,
            workers_within=max(5.0, 5 * settings.reaper_interval),
        )
        took = time.perf_counter() - began
        yield from _families(found, utcnow())
        yield from _breakers()
        yield from _tokens(found)
        # what this scrape cost: the database's share, and the ended executions it read
        # one by one (those within the fold lag) or folded into the stored totals
        yield GaugeMetricFamily(
            PREFIX + "metrics_read_seconds",
            "Seconds this scrape spent reading the execution series from the database.",
            value=took,
        )
        yield GaugeMetricFamily(
            PREFIX + "metrics_window_executions",
            "Ended executions this scrape read one by one (ended within the fold lag).",
            value=found.window,
        )
        yield GaugeMetricFamily(
            PREFIX + "metrics_folded_executions",
            "Ended executions this scrape folded into the stored totals.",
            value=found.folded,
        )
