"""Crews that fail, and the errors their executions report."""

from __future__ import annotations

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

from .builders.graph_definitions import graph_definition
from .builders.scripted import task_script
from .faults.crew_failures import kind
from .graphs import failing_graph
from .world import World


def graph_failing_with(w: World, words: str) -> None:
    """A graph whose crew fails with the failure the features call ``words``, once."""
    failing_graph(w, kind(words))


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
