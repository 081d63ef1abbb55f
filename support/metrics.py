"""``GET /metrics`` as Prometheus reads it: scraped with an operator's key, parsed with
prometheus_client's own parser, each series looked up by name and labels.

The execution, queue and worker series come from the database: once the executions a
scenario made have ended (or wait, or run), a scrape shows exactly them. The HTTP
series belong to the API process and live as long as it does (across scenarios): a
scenario compares them with what they were before its requests, and polls, as a
request is counted just after its answer is sent.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hamcrest import (
    assert_that,
    contains_string,
    equal_to,
    greater_than,
    greater_than_or_equal_to,
    less_than,
)
from prometheus_client.parser import text_string_to_metric_families

from .builders.graph_definitions import graph_definition
from .client import ApiClient
from .matchers import has_status
from .polling import eventually
from .world import World

PREFIX = "execution_service_"
UNKNOWN_EXECUTION = "00000000-0000-4000-8000-000000000000"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _operator(w: World) -> ApiClient:
    return ApiClient(w.stack.base_url, w.stack.operator_key)


def scrape(w: World) -> Samples:
    """Every sample of a scrape, by (sample name, labels)."""
    response = _operator(w).raw("GET", "/metrics")
    assert_that(response.status_code, equal_to(200), response.text[:500])
    assert_that(response.headers["content-type"], contains_string("text/plain"))
    found: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample ``PREFIX + name`` with exactly these labels (0 when absent)."""
    return samples.get((PREFIX + name, frozenset(labels.items())), 0.0)


def _matching(samples: Samples, name: str, **labels: str) -> dict[frozenset[Any], float]:
    """Samples named ``PREFIX + name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return {
        key[1]: found
        for key, found in samples.items()
        if key[0] == PREFIX + name and wanted <= set(key[1])
    }


# --- ended executions ---------------------------------------------------------------


def finished_counted(w: World, completed: int, failed: int, code: str) -> None:
    samples = scrape(w)
    assert_that(
        {
            "completed": value(
                samples, "executions_finished_total", status="completed", error_code="none"
            ),
            "failed": value(samples, "executions_finished_total", status="failed", error_code=code),
            "by status": {
                s: value(samples, "executions", status=s, priority="normal")
                for s in ("completed", "failed")
            },
        },
        equal_to(
            {
                "completed": completed,
                "failed": failed,
                "by status": {"completed": completed, "failed": failed},
            }
        ),
    )


def run_times_counted(w: World, completed: int, failed: int) -> None:
    """The run-time histogram holds each ended execution once (its +Inf bucket and its
    count), and its sum is positive."""
    samples = scrape(w)
    for status, count in (("completed", completed), ("failed", failed)):
        assert_that(value(samples, "run_seconds_count", status=status), equal_to(count))
        assert_that(value(samples, "run_seconds_bucket", status=status, le="+Inf"), equal_to(count))
        assert_that(value(samples, "run_seconds_sum", status=status), greater_than(0))


def queue_waits_counted(w: World, count: int, priority: str) -> None:
    samples = scrape(w)
    assert_that(value(samples, "queue_wait_seconds_count", priority=priority), equal_to(count))
    buckets = _matching(samples, "queue_wait_seconds_bucket", priority=priority)
    ordered = [found for _labels, found in sorted(buckets.items(), key=_bound)]
    assert_that(ordered, equal_to(sorted(ordered)), "cumulative buckets never decrease")


def _bound(item: tuple[frozenset[Any], float]) -> float:
    return float(dict(item[0])["le"])


def retries_counted(w: World, retries: int) -> None:
    assert_that(value(scrape(w), "retries_total"), equal_to(retries))


def tokens_counted(w: World, prompt: int, completion: int, calls: int) -> None:
    """The token and model-call counters say what the executions' usage says."""
    samples = scrape(w)
    assert_that(
        {
            "prompt": value(samples, "tokens_total", kind="prompt"),
            "completion": value(samples, "tokens_total", kind="completion"),
            "calls": value(samples, "model_calls_total"),
        },
        equal_to({"prompt": prompt, "completion": completion, "calls": calls}),
    )


def counts_stay_after_folding(w: World) -> None:
    """Scraped again once every ended execution is folded into the stored totals
    (``metrics_fold_lag_seconds``, 0.5 s in the suite): the same counts, none twice."""
    before = _execution_series(scrape(w))
    eventually(
        lambda: value(scrape(w), "metrics_window_executions"),
        equal_to(0),
        timeout=10,
        what="every ended execution folded into the stored totals",
    )
    assert_that(_execution_series(scrape(w)), equal_to(before))


def _execution_series(samples: Samples) -> Samples:
    names = tuple(
        PREFIX + s for s in ("executions", "retries", "queue_wait_seconds", "run_seconds")
    )
    return {key: found for key, found in samples.items() if key[0].startswith(names)}


# --- the queue and the workers --------------------------------------------------------


def queued_by_priority(w: World, counts: dict[str, int]) -> None:
    samples = scrape(w)
    assert_that(
        {p: value(samples, "queue_depth", priority=p) for p in counts},
        equal_to({p: float(c) for p, c in counts.items()}),
    )
    assert_that(
        {p: value(samples, "executions", status="queued", priority=p) for p in counts},
        equal_to({p: float(c) for p, c in counts.items()}),
    )


def every_slot_running_per_worker(w: World) -> None:
    """Every slot runs an execution, and each worker's count is that of the running
    executions naming it (as the API shows them)."""
    samples = scrape(w)
    running = _matching(samples, "running")
    by_worker = {dict(labels)["worker"]: found for labels, found in running.items() if found}
    listed = Counter(e["worker"] for e in w.api.list(status="running", limit=500)["items"])
    assert_that(by_worker, equal_to({name: float(n) for name, n in listed.items()}))
    assert_that(sum(by_worker.values()), equal_to(w.stack.worker_slots))
    assert_that(value(samples, "workers_online"), greater_than_or_equal_to(1))
    assert_that(value(samples, "worker_slots"), greater_than_or_equal_to(w.stack.worker_slots))


def oldest_wait_shown(w: World) -> None:
    age = value(scrape(w), "queue_oldest_age_seconds")
    assert_that(age, greater_than(0))
    assert_that(age, less_than(120))


# --- the circuit breakers -----------------------------------------------------------


def circuit_shown(w: World, state: str) -> None:
    samples = scrape(w)
    states = {
        dict(labels)["state"]: found
        for labels, found in _matching(samples, "circuit_breaker_state").items()
    }
    assert_that(states.get(state), equal_to(1.0), f"the circuits' states: {states}")


# --- HTTP -----------------------------------------------------------------------------


def _requests(samples: Samples, method: str, route: str, status: str) -> float:
    return value(samples, "http_requests_total", method=method, route=route, status=status)


def look_up_unknown_execution(w: World, times: int) -> None:
    """Read an execution that does not exist ``times`` times (each a 404), noting the
    HTTP counts before."""
    w.before["metrics"] = scrape(w)
    for _ in range(times):
        assert_that(w.api.raw("GET", f"/api/v1/executions/{UNKNOWN_EXECUTION}").status_code, 404)


def queue_and_complete(w: World, count: int) -> None:
    w.before["metrics"] = scrape(w)
    graph = w.api.create_graph(graph_definition(tasks=1))
    for _ in range(count):
        execution = w.api.queue_ok(graph["id"])
        w.await_execution(execution["id"], has_status("completed"), timeout=20)


def requests_counted(w: World, more: int, method: str, route: str, status: str) -> None:
    before = _requests(w.before["metrics"], method, route, status)
    eventually(
        lambda: _requests(scrape(w), method, route, status) - before,
        equal_to(more),
        timeout=5,
        what=f"{more} more {method} {route} answered {status}",
    )
    samples = scrape(w)
    count = value(
        samples, "http_request_duration_seconds_count", method=method, route=route, status=status
    )
    assert_that(count, equal_to(_requests(samples, method, route, status)))


# --- who may scrape -------------------------------------------------------------------


def scraped_by(w: World, who: str) -> None:
    keys = {"an owner's key": w.stack.api_key, "no key": None}
    w.response = ApiClient(w.stack.base_url, keys[who]).raw("GET", "/metrics")
