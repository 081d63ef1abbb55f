"""Real crewai crews that resume at the task that failed, against the fake provider:
how many model calls the provider saw, for which tasks, and with what context.

The crew (:func:`chain_crew`) has ``n`` tasks, each done by its own agent and given the
output of the task before it as context; task ``i``'s description says ``Part i of the
study`` (:func:`marker`), which appears in its own prompts only (outputs never repeat a
description), so the provider's log tells which task each request was for. The provider
answers task ``i`` with ``Finding i about <topic>.`` (:func:`finding`).
"""

from __future__ import annotations

from typing import Any

from hamcrest import assert_that, contains_string, equal_to, has_entries, has_length

from .builders.graph_definitions import llm
from .crewai_crews import provider
from .faults.fake_llm import Rule, final_answer
from .matchers import has_status, is_finished
from .world import World


def marker(index: int) -> str:
    return f"Part {index} of the study of"


def finding(index: int, topic: str = "octopuses") -> str:
    return f"Finding {index} about {topic}."


def chain_crew(base_url: str, tasks: int, resume: bool = True) -> dict[str, Any]:
    """``tasks`` tasks, each by its own agent, each given the one before as context."""
    return {
        "name": f"a chain of {tasks} tasks",
        "runner": "crewai",
        "agents": [
            {
                "role": f"analyst {i}",
                "goal": "Study {topic} one part at a time",
                "backstory": "A careful analyst.",
                "llm": llm(base_url),
            }
            for i in range(1, tasks + 1)
        ],
        "tasks": [
            {
                "name": f"part {i}",
                "description": f"{marker(i)} {{topic}}.",
                "expected_output": "One sentence",
                "agent": f"analyst {i}",
                **({"context": [f"part {i - 1}"]} if i > 1 else {}),
            }
            for i in range(1, tasks + 1)
        ],
        "settings": {
            "retry": {
                "max_attempts": 2,
                "base_delay_seconds": 0.05,
                "max_delay_seconds": 0.1,
                "jitter": 0.0,
                "resume": resume,
            }
        },
    }


def define_chain(w: World, tasks: int, resume: bool = True) -> None:
    fake = provider(w)
    w.graph = w.api.create_graph(chain_crew(fake.base_url, tasks, resume))
    for index in range(1, tasks + 1):
        fake.answer(final_answer(finding(index)), when=marker(index))


def fails_once_in(w: World, index: int) -> None:
    """The provider answers the first request for task ``index`` with HTTP 500."""
    provider(w).add(
        Rule(kind="error", status=500, error_type="server_error", when=marker(index), times=1)
    )


def _task_of(prompt: str, tasks: int) -> int:
    owned = [i for i in range(1, tasks + 1) if marker(i) in prompt]
    assert_that(owned, has_length(1))
    return owned[0]


def _tasks(w: World) -> int:
    return len(w.the_graph()["definition"]["tasks"])


def calls_per_task(w: World) -> list[int]:
    """The tasks the provider's requests were for, in order."""
    return [_task_of(r.prompt, _tasks(w)) for r in provider(w).chat_requests()]


def called_times(w: World, count: int) -> None:
    """The provider saw ``count`` model calls in all (the figure the issue asks for)."""
    assert_that(
        len(provider(w).chat_requests()), equal_to(count), f"calls per task: {calls_per_task(w)}"
    )


def not_called_again_before(w: World, index: int) -> None:
    """After the failed call, no request was for a task before task ``index``."""
    requests_ = provider(w).chat_requests()
    failed = [n for n, r in enumerate(requests_) if r.reply.startswith("error")]
    assert_that(failed, has_length(1))
    after = [_task_of(r.prompt, _tasks(w)) for r in requests_[failed[0] + 1 :]]
    assert_that(after, equal_to(list(range(index, _tasks(w) + 1))))


def each_task_got_the_finding_before(w: World) -> None:
    """Every request for task i > 1 carried task i-1's output as its context, the
    retried ones included (the re-used output, read back from the store)."""
    for request in provider(w).chat_requests():
        index = _task_of(request.prompt, _tasks(w))
        if index > 1:
            assert_that(request.prompt, contains_string(finding(index - 1)))


def outputs_are_the_findings(w: World) -> None:
    outputs = w.focus()["outputs"]
    assert_that(
        [(o["task"], o["raw"]) for o in outputs],
        equal_to([(f"part {i}", finding(i)) for i in range(1, _tasks(w) + 1)]),
    )
    assert_that(w.focus()["result"], has_entries(raw=finding(_tasks(w))))


def completed_execution(w: World, topic: str) -> None:
    queued = w.api.queue_ok(w.the_graph()["id"], inputs={"topic": topic})
    w.execution = w.await_execution(queued["id"], is_finished(), timeout=30)
    assert_that(w.execution, has_status("completed"))


def rerun_from(w: World, task: str) -> None:
    """Rerun the finished execution from ``task``; wait until the rerun completed."""
    w.executions = [w.focus()]
    response = w.api.raw(
        "POST", f"/api/v1/executions/{w.focus()['id']}/rerun", json={"from_task": task}
    )
    assert_that(response.status_code, equal_to(202), response.text)
    rerun = response.json()
    w.execution = w.await_execution(rerun["id"], is_finished(), timeout=30)
    assert_that(w.execution, has_status("completed"))
