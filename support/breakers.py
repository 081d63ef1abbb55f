"""The circuit breaker around provider calls, seen through the API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from hamcrest import (
    all_of,
    assert_that,
    contains_inanyorder,
    equal_to,
    greater_than,
    has_entries,
    has_item,
    less_than_or_equal_to,
)

from .builders.graph_definitions import PROVIDER, graph_definition, retry_settings
from .executions import failed_one_after_another, run_to_end
from .graphs import failing_graph
from .matchers import has_status, is_finished
from .polling import eventually
from .world import World


def circuit_name(base_url: str) -> str:
    """The circuit breaker's name for a provider: the host (and port) of its base URL."""
    return urlsplit(base_url).netloc


CIRCUIT = circuit_name(PROVIDER)


def policy_is(w: World, threshold: int, cooldown: float) -> None:
    assert_that(
        w.api.circuit_breakers(),
        has_entries(failure_threshold=threshold, cooldown_seconds=cooldown),
    )


def circuit(w: World, name: str = CIRCUIT) -> dict[str, Any]:
    """The circuit called ``name`` as the API shows it; closed if the API lists none yet."""
    for item in w.api.circuit_breakers()["items"]:
        if item["name"] == name:
            return dict(item)
    return {"name": name, "state": "closed", "failures": 0, "retry_in": None}


def provider_down(w: World) -> None:
    w.graphs["down"] = failing_graph(w, "service_unavailable")


def provider_rejects_key(w: World) -> None:
    w.graphs["down"] = failing_graph(w, "auth_failed")


def healthy(w: World, step_seconds: float = 0.01, steps: int = 2) -> None:
    """A graph on the same provider whose crew works: ``w.graphs["healthy"]``."""
    w.graphs["healthy"] = w.api.create_graph(
        graph_definition(
            tasks=1,
            steps=steps,
            step_seconds=step_seconds,
            name="healthy",
            settings=retry_settings(1),
            provider=PROVIDER,
        )
    )


def healthy_retried(w: World, attempts: int) -> None:
    w.graphs["healthy"] = w.api.create_graph(
        graph_definition(
            tasks=1,
            name="healthy, retried",
            provider=PROVIDER,
            settings={
                "retry": {"max_attempts": attempts, "base_delay_seconds": 0.05, "jitter": 0.0}
            },
        )
    )


def failed_in_a_row(w: World, count: int) -> None:
    failed_one_after_another(w, w.graphs["down"]["id"], count)


def healthy_completed(w: World) -> None:
    assert_that(run_to_end(w, w.graphs["healthy"]["id"]), has_status("completed"))


def opened_by_failures(w: World) -> None:
    provider_down(w)
    threshold = w.api.circuit_breakers()["failure_threshold"]
    failed_in_a_row(w, threshold)
    is_open(w)


def is_open(w: World) -> None:
    assert_that(circuit(w), has_entries(state="open", retry_in=greater_than(0)))


def stats_show_open(w: World) -> None:
    breakers = w.api.stats()["circuit_breakers"]
    assert_that(breakers, has_item(has_entries(name=CIRCUIT, state="open")))


def is_closed(w: World) -> None:
    assert_that(circuit(w), has_entries(state="closed"))


def closed_without_failures(w: World) -> None:
    assert_that(circuit(w), has_entries(state="closed", failures=0))


def crew_never_ran(w: World) -> None:
    execution = w.focus()
    assert_that(execution["progress"], has_entries(percent=0, current_task=None))
    assert_that(execution["outputs"], equal_to([]))


def cool_down_passed(w: World) -> None:
    cooldown = w.api.circuit_breakers()["cooldown_seconds"]
    eventually(
        lambda: circuit(w),
        has_entries(state="open", retry_in=0),
        timeout=cooldown + 2,
        what="the cool-down ending",
    )


def queue_healthy(w: World, count: int = 1) -> None:
    for _ in range(count):
        w.execution = w.api.queue_ok(w.graphs["healthy"]["id"])
        w.executions.append(w.execution)


def queue_down(w: World) -> None:
    w.execution = w.api.queue_ok(w.graphs["down"]["id"])


def half_open_during_trial(w: World) -> None:
    eventually(
        lambda: circuit(w)["state"], equal_to("half_open"), timeout=5, what="the circuit half-open"
    )


def one_trial_completes(w: World) -> None:
    ids = [e["id"] for e in w.executions[-3:]]
    finished = [w.await_execution(i, is_finished(), timeout=15) for i in ids]
    outcomes = [(e["status"], (e["error"] or {}).get("code")) for e in finished]
    assert_that(
        outcomes,
        contains_inanyorder(
            ("completed", None), ("failed", "CIRCUIT_OPEN"), ("failed", "CIRCUIT_OPEN")
        ),
    )
    closed_without_failures(w)


def open_again(w: World) -> None:
    cooldown = w.api.circuit_breakers()["cooldown_seconds"]
    assert_that(
        circuit(w),
        has_entries(
            state="open",
            retry_in=all_of(greater_than(cooldown / 2), less_than_or_equal_to(cooldown)),
        ),
    )


def first_attempt_waited(w: World) -> None:
    events = w.api.events(w.focus()["id"])
    retry = next(e for e in events if e["status"] == "retrying")
    assert_that(retry["details"], has_entries(code="CIRCUIT_OPEN"))
    assert_that(retry["details"]["delay_seconds"], greater_than(0.5))


def provider_down_after_work(w: World) -> None:
    w.graphs["down"] = failing_graph(w, "service_unavailable", steps=4, step_seconds=0.1, at_step=3)


def fail_at_once(w: World, count: int) -> None:
    started = [w.api.queue_ok(w.graphs["down"]["id"]) for _ in range(count)]
    w.executions = [w.await_execution(e["id"], is_finished(), timeout=15) for e in started]
    for execution in w.executions:
        assert_that(execution, has_status("failed"))


def failed_on_both_workers(w: World) -> None:
    workers = [e["worker"] for e in w.executions]
    per_worker = {name: workers.count(name) for name in set(workers)}
    assert_that(len(per_worker), equal_to(2))
    assert_that(max(per_worker.values()), less_than_or_equal_to(2))


def healthy_fails_fast(w: World, code: str) -> None:
    healthy(w)
    execution = run_to_end(w, w.graphs["healthy"]["id"])
    assert_that(execution["error"], has_entries(code=code))
    crew_never_ran(w)
