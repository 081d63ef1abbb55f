"""Crews that fail, and what their executions report."""

from __future__ import annotations

from typing import Any

from hamcrest import (
    all_of,
    assert_that,
    contains_string,
    equal_to,
    greater_than_or_equal_to,
    has_entries,
    is_not,
    less_than_or_equal_to,
    none,
)

from .failures import kind
from .graphs import graph_definition
from .matchers import has_status, is_finished
from .mock_crewai import failure, task_script
from .world import World

PROVIDER = "https://provider.example/v1"


def retry_settings(
    attempts: int, base: float = 0.05, max_delay: float = 5.0, jitter: float = 0.5
) -> dict[str, Any]:
    return {
        "retry": {
            "max_attempts": attempts,
            "base_delay_seconds": base,
            "max_delay_seconds": max_delay,
            "jitter": jitter,
        }
    }


def failing_graph(
    w: World,
    failure_kind: str,
    attempts: int = 1,
    on_attempts: list[int] | None = None,
    tasks: int = 1,
    failing_task: int = 1,
    at_step: int = 1,
    steps: int = 2,
    step_seconds: float = 0.01,
    base: float = 0.05,
    max_delay: float = 5.0,
    jitter: float = 0.5,
    **details: Any,
) -> dict[str, Any]:
    plans = []
    for index in range(1, tasks + 1):
        fail = (
            failure(failure_kind, at_step=at_step, on_attempts=on_attempts, **details)
            if index == failing_task
            else None
        )
        plans.append(task_script(steps, step_seconds, fail=fail))
    w.graph = w.api.create_graph(
        graph_definition(
            task_plans=plans,
            name=f"fails with {failure_kind}",
            settings=retry_settings(attempts, base, max_delay, jitter),
            provider=PROVIDER,
        )
    )
    return w.graph


def healthy_graph(w: World, steps: int = 2, step_seconds: float = 0.01) -> dict[str, Any]:
    graph = w.api.create_graph(
        graph_definition(
            tasks=1,
            steps=steps,
            step_seconds=step_seconds,
            name="healthy",
            settings=retry_settings(1),
            provider=PROVIDER,
        )
    )
    w.graphs["healthy"] = graph
    return graph


def graph_failing_with(w: World, words: str) -> None:
    failing_graph(w, kind(words))


def fails_within(w: World, seconds: float) -> None:
    ident = w.focus()["id"]
    w.execution = w.await_execution(
        ident,
        is_finished(),
        timeout=seconds,
        what=f"execution {ident} finishing",
    )
    assert_that(w.execution, has_status("failed"))


def error_is(w: World, code: str, category: str) -> None:
    assert_that(w.focus()["error"], has_entries(code=code, category=category))


def error_retryable(w: World, retryable: str) -> None:
    assert retryable in ("retryable", "not retryable"), retryable
    assert_that(w.focus()["error"]["retryable"], equal_to(retryable == "retryable"))


def error_message_readable(w: World) -> None:
    message = w.focus()["error"]["message"]
    assert_that(
        message,
        all_of(
            is_not(contains_string("Traceback")),
            is_not(contains_string('File "')),
            is_not(contains_string("Error:")),
            is_not(contains_string("Exception")),
        ),
    )
    assert 10 <= len(message) <= 300, message


def error_message_is(w: World, text: str) -> None:
    assert_that(w.focus()["error"]["message"], contains_string(text))


def error_names_task(w: World, task: str) -> None:
    assert_that(w.focus()["error"], has_entries(task=task))
    assert_that(w.focus()["error"]["message"], contains_string(task))


def progress_stopped_in(w: World, task: str, low: float, high: float) -> None:
    progress = w.focus()["progress"]
    assert_that(progress["current_task"], equal_to(task))
    assert_that(
        progress["percent"], all_of(greater_than_or_equal_to(low), less_than_or_equal_to(high))
    )


def output_kept(w: World, tasks: list[str]) -> None:
    assert_that([o["task"] for o in w.focus()["outputs"]], equal_to(tasks))


def no_result(w: World) -> None:
    assert_that(w.focus()["result"], none())


def attempts_taken(w: World, count: int) -> None:
    assert_that(w.focus()["attempt"], equal_to(count))
    starts = [e for e in w.api.events(w.focus()["id"]) if e["status"] == "running"]
    assert_that(len(starts), equal_to(count))


# -- secrets ------------------------------------------------------------------------------


def graph_leaking(w: World, failure_kind: str, message: str) -> None:
    failing_graph(w, failure_kind, message=message)


def secret_nowhere(w: World, secret: str) -> None:
    """Not in any API response about the execution, and not in its stored rows."""
    ident = w.focus()["id"]
    responses = [
        w.api.raw("GET", f"/api/v1/executions/{ident}").text,
        w.api.raw("GET", f"/api/v1/executions/{ident}/events").text,
        w.api.raw("GET", "/api/v1/executions").text,
        w.api.raw("GET", "/api/v1/queue/stats").text,
    ]
    for text in responses:
        assert_that(text, is_not(contains_string(secret)))
    assert_that(w.stack.database.dump_execution(ident), is_not(contains_string(secret)))


def history_keeps_detail(w: World, exception: str) -> None:
    events = w.api.events(w.focus()["id"])
    details = [e["details"] or {} for e in events if e["status"] == "failed"]
    assert details, events
    assert_that(details[-1].get("detail") or "", contains_string(exception))


ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4}


def graph_with_failing_task(
    w: World, tasks: int, which: str, words: str, step: str = "first", attempts: int = 1
) -> None:
    failing_graph(
        w,
        kind(words),
        attempts=attempts,
        tasks=tasks,
        failing_task=ORDINALS[which],
        at_step=ORDINALS[step],
        steps=4,
    )


def graph_returning_malformed(w: World) -> None:
    plans = [task_script(2, 0.01), task_script(2, 0.01, output="<malformed>")]
    w.graph = w.api.create_graph(graph_definition(task_plans=plans, name="malformed"))
