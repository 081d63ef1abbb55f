"""Retries that resume at the task that failed, and reruns from a task, with the scripted
crew: what its record of tasks run shows, and what the history and the outputs say.

The crews here record what they run (``record_starts``): each attempt leaves a file
named ``<execution id>.<attempt>`` in the scripted crews' starts folder, holding the
names of the tasks it ran, one a line (``crews/scripted/library.py``). Both stacks'
workers run on this machine, so the suite reads it directly.
"""

from __future__ import annotations

from typing import Any

from hamcrest import (
    assert_that,
    contains_string,
    equal_to,
    greater_than,
    has_entries,
    has_item,
    has_length,
    is_not,
)

from execution_service.crews.scripted.script import starts_folder

from .builders.graph_definitions import graph_definition, retry_settings
from .builders.scripted import failure, task_script
from .event_stream import read_stream
from .matchers import has_status, is_finished
from .owners import other_owner
from .world import World


def _define(
    w: World,
    tasks: int,
    failing_task: int | None = None,
    on_attempts: list[int] | None = None,
    error: str = "server_error",
    resume: bool | None = None,
    process: str | None = None,
) -> None:
    plans = []
    for index in range(1, tasks + 1):
        fail = failure(error, on_attempts=on_attempts) if index == failing_task else None
        plans.append(
            task_script(2, 0.01, output=f"output of part {index} about {{topic}}", fail=fail)
        )
    settings = retry_settings(3, base=0.05, max_delay=0.2)
    if resume is not None:
        settings["retry"]["resume"] = resume
    definition = graph_definition(task_plans=plans, name="resumable", settings=settings)
    definition["script"]["record_starts"] = True
    if process is not None:
        definition["process"] = process
    w.graph = w.api.create_graph(definition)


def failing_once_in(w: World, tasks: int, failing: int, resume: bool | None = None) -> None:
    """A crew of ``tasks`` tasks whose task ``failing`` fails (transiently) on attempt 1."""
    _define(w, tasks, failing, on_attempts=[1], resume=resume)


def managed_failing_once_in(w: World, tasks: int, failing: int) -> None:
    """The same crew, run by a manager (hierarchical)."""
    _define(w, tasks, failing, on_attempts=[1], process="hierarchical")


def failed_for_good_in(w: World, tasks: int, failing: int) -> None:
    """A failed execution of a crew whose task ``failing`` fails permanently (a bad
    request, never retried)."""
    _define(w, tasks, failing, error="bad_request")
    queue_and_finish(w, "failed")


def completed_execution(w: World, tasks: int) -> None:
    """A finished, completed execution of a crew of ``tasks`` tasks, queued with labels."""
    _define(w, tasks)
    queue_and_finish(w, "completed")


def queue_and_finish(w: World, status: str) -> None:
    queued = w.api.queue_ok(
        w.the_graph()["id"],
        inputs={"topic": "octopuses"},
        priority="high",
        metadata={"customer": "acme"},
    )
    w.execution = w.await_execution(queued["id"], is_finished(), timeout=20)
    assert_that(w.execution, has_status(status))
    w.executions = [w.execution]


def tasks_run(execution_id: str, attempt: int) -> list[str]:
    """The tasks the crew of this attempt ran, in order, as it recorded them."""
    record = starts_folder() / f"{execution_id}.{attempt}"
    assert record.exists(), f"attempt {attempt} of {execution_id} never started a crew"
    return [line for line in record.read_text(encoding="utf-8").splitlines() if line]


def _labels(w: World) -> list[str]:
    return [task["name"] for task in w.the_graph()["definition"]["tasks"]]


def attempt_ran(w: World, attempt: int, first: str, last: str) -> None:
    """Attempt ``attempt`` ran exactly the tasks from ``first`` to ``last``, in order."""
    labels = _labels(w)
    expected = labels[labels.index(first) : labels.index(last) + 1]
    assert_that(tasks_run(w.focus()["id"], attempt), equal_to(expected))


def outputs_in_task_order(w: World) -> None:
    """Every task has its output, once, in the order of the tasks, from its own script."""
    outputs = w.focus()["outputs"]
    assert_that([o["task"] for o in outputs], equal_to(_labels(w)))
    for index, output in enumerate(outputs, start=1):
        assert_that(output["raw"], equal_to(f"output of part {index} about octopuses"))
    assert_that(w.focus()["result"], has_entries(raw=outputs[-1]["raw"]))


def _start_of(w: World, execution_id: str, attempt: int) -> dict[str, Any]:
    events = w.api.events(execution_id)
    starts = [e for e in events if e["status"] == "running" and e["attempt"] == attempt]
    assert_that(starts, has_length(1))
    return starts[0]


def history_names_reused(w: World, attempt: int, tasks: list[str]) -> None:
    """The start of attempt ``attempt`` in the history names the tasks it re-used."""
    start = _start_of(w, w.focus()["id"], attempt)
    assert_that(start["details"], has_entries(reused_tasks=tasks))
    for task in tasks:
        assert_that(start["message"], contains_string(task))


def stream_names_reused(w: World, tasks: list[str]) -> None:
    """The execution's event stream has a ``task.reused`` event for each of ``tasks``,
    with the output the execution shows for it, after the retry's start."""
    events = read_stream(w, w.focus()["id"]).events
    names = [name for _, name, _ in events]
    reused = [data for _, name, data in events if name == "task.reused"]
    assert_that([data["task"] for data in reused], equal_to(tasks))
    outputs = {o["task"]: o for o in w.focus()["outputs"]}
    for data in reused:
        assert_that(data, has_entries(raw=outputs[data["task"]]["raw"]))
    retry = names.index("execution.retrying")
    assert_that(names.index("task.reused"), greater_than(retry))


def history_says_restarted(w: World, attempt: int, why: str) -> None:
    """The start of attempt ``attempt`` says it restarted from scratch, and why."""
    start = _start_of(w, w.focus()["id"], attempt)
    assert_that(start["details"], has_entries(restarted=why, reused_tasks=[]))


# -- reruns ---------------------------------------------------------------------------------


def _rerun_path(execution_id: str) -> str:
    return f"/api/v1/executions/{execution_id}/rerun"


def rerun(w: World, from_task: str | None, owner: str | None = None) -> None:
    """Rerun the scenario's execution from ``from_task`` (None: from the start), as
    ``owner`` (None: the execution's owner)."""
    client = w.api if owner is None else other_owner(w, owner)
    w.snapshot()
    body = {} if from_task is None else {"from_task": from_task}
    w.response = client.raw("POST", _rerun_path(w.focus()["id"]), json=body)


def rerun_accepted(w: World, seconds: float, status: str = "completed") -> None:
    """The rerun was accepted (202) and ends ``status`` within ``seconds``; it is the
    focus now."""
    assert w.response is not None
    assert_that(w.response.status_code, equal_to(202), w.response.text)
    rerun_ = w.response.json()
    assert_that(w.response.headers.get("location"), equal_to(f"/api/v1/executions/{rerun_['id']}"))
    w.execution = w.await_execution(rerun_["id"], is_finished(), timeout=seconds)
    assert_that(w.execution, has_status(status))


def linked_to_original(w: World, from_task: str) -> None:
    original = w.executions[0]
    assert_that(w.focus(), has_entries(rerun_of=original["id"], rerun_from_task=from_task))
    assert_that(w.focus()["id"], is_not(equal_to(original["id"])))


def carries_over(w: World) -> None:
    """The rerun has the original's graph, inputs, priority and metadata."""
    original = w.executions[0]
    for key in ("graph_id", "inputs", "priority", "metadata", "timeout_seconds"):
        assert_that(w.focus()[key], equal_to(original[key]), key)
    assert_that(w.focus()["attempt"], equal_to(1))


def reused_outputs_of_original(w: World, tasks: list[str]) -> None:
    """The rerun's outputs of ``tasks`` are the original's, and its history says so."""
    original = {o["task"]: o for o in w.executions[0]["outputs"]}
    mine = {o["task"]: o for o in w.focus()["outputs"]}
    for task in tasks:
        assert_that(mine[task], equal_to(original[task]))
    history_names_reused(w, 1, tasks)


def running_execution(w: World) -> None:
    """An execution of a crew whose first task takes a while: running, not finished."""
    _define(w, 2)
    definition = w.the_graph()["definition"]
    definition["script"]["tasks"][0]["step_seconds"] = 1.0
    w.graph = w.api.create_graph(definition)
    queued = w.api.queue_ok(w.the_graph()["id"], inputs={"topic": "octopuses"})
    w.execution = w.await_execution(queued["id"], has_status("running"), timeout=10)
    w.executions = [w.execution]


def original_untouched(w: World) -> None:
    """The original execution is as it was."""
    now = w.api.execution(w.executions[0]["id"])
    assert_that(now, equal_to(w.executions[0]))


def no_rerun_listed(w: World) -> None:
    """No listed execution names the original as the one it reruns."""
    items = w.api.list(limit=500)["items"]
    assert_that([i.get("rerun_of") for i in items], is_not(has_item(w.executions[0]["id"])))
