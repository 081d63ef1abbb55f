"""Resuming at the task that failed (``execution_service.resume``): which stored outputs
an attempt re-uses, and the runner starting the crew there (with the scripted library:
the same adapter code as real crewai, the library under it scripted)."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest

from execution_service.config import Settings, get_settings, use_settings
from execution_service.crews.crewai.runner import CrewAIRunner
from execution_service.crews.interface import RunContext, TaskResult, current_run
from execution_service.crews.scripted.script import starts_folder
from execution_service.graph import GraphSpec
from execution_service.resume import leading_outputs, plan_resume, task_index
from execution_service.service import reruns
from execution_service.service.refusals import InvalidRequest


def spec(tasks: int = 4, resume: bool = True, process: str = "sequential") -> GraphSpec:
    return GraphSpec.model_validate(
        {
            "name": "chain",
            "runner": "scripted",
            "process": process,
            "agents": [{"role": "a", "goal": "g", "backstory": "b"}],
            "tasks": [
                {
                    "name": f"t{i}",
                    "description": f"part {i}",
                    "expected_output": "x",
                    "agent": "a",
                    **({"context": [f"t{i - 1}"]} if i > 1 else {}),
                }
                for i in range(1, tasks + 1)
            ],
            "settings": {"retry": {"resume": resume}},
            "script": {
                "default": {"steps": 1, "step_seconds": 0},
                "tasks": [
                    {"steps": 1, "step_seconds": 0, "output": f"out {i}"}
                    for i in range(1, tasks + 1)
                ],
                "record_starts": True,
            },
        }
    )


def out(*indexes: int) -> list[dict[str, Any]]:
    return [{"task": f"t{i}", "agent": "a", "raw": f"stored {i}"} for i in indexes]


def test_a_retry_reuses_the_leading_tasks_with_an_output() -> None:
    plan = plan_resume(spec(), out(1, 2))
    assert [o["task"] for o in plan.reused] == ["t1", "t2"]
    assert plan.start_index == 2
    assert plan.details == {"reused_tasks": ["t1", "t2"], "resumed_from": "t3"}
    assert plan.note is not None and "t1, t2" in plan.note and "t3" in plan.note


def test_nothing_stored_is_a_plain_start() -> None:
    assert plan_resume(spec(), None).reused == []
    assert plan_resume(spec(), None).note is None
    assert plan_resume(spec(), []).details is None


def test_the_last_task_always_runs() -> None:
    assert plan_resume(spec(), out(1, 2, 3, 4)).start_index == 3


def test_outputs_out_of_place_stop_the_reuse() -> None:
    shuffled = [*out(1), *out(3)]
    assert [o["task"] for o in leading_outputs(spec(), shuffled)] == ["t1"]
    assert leading_outputs(spec(), [{"task": "t1", "raw": None}]) == []
    assert leading_outputs(spec(), ["not an output"]) == []  # type: ignore[list-item]


def test_resume_off_restarts_and_says_so() -> None:
    plan = plan_resume(spec(resume=False), out(1, 2))
    assert plan.reused == []
    assert plan.details == {"restarted": "resume_off", "reused_tasks": []}


def test_a_hierarchical_crew_restarts_and_says_so() -> None:
    plan = plan_resume(spec(process="hierarchical"), out(1, 2))
    assert plan.reused == []
    assert plan.details == {"restarted": "hierarchical", "reused_tasks": []}
    assert plan_resume(spec(process="hierarchical"), None).note is None


def test_a_rerun_keeps_the_tasks_before_its_start_even_with_resume_off() -> None:
    # a rerun from t3 whose first attempt got as far as t3: the retry restarts at t3
    plan = plan_resume(spec(resume=False), out(1, 2, 3), from_task="t3")
    assert [o["task"] for o in plan.reused] == ["t1", "t2"]
    assert plan.details == {
        "reused_tasks": ["t1", "t2"],
        "resumed_from": "t3",
        "restarted": "resume_off",
    }
    # with resume on it goes on from where the rerun's attempt failed
    assert plan_resume(spec(), out(1, 2, 3), from_task="t3").start_index == 3


def test_task_index_by_label() -> None:
    assert task_index(spec(), "t2") == 1
    assert task_index(spec(), "nope") is None


@pytest.fixture()
def scripted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = get_settings()
    use_settings(Settings(scripted_runner_enabled=True, default_runner="scripted"))
    yield
    use_settings(before)


class Hooks:
    def __init__(self) -> None:
        self.reports: list[tuple[float, str | None, TaskResult | None]] = []

    def progress(
        self,
        percent: float,
        current_task: str | None,
        message: str | None,
        task_output: TaskResult | None = None,
    ) -> None:
        self.reports.append((percent, current_task, task_output))

    def should_stop(self) -> bool:
        return False

    def usage_changed(self, ledger: Any) -> None:
        pass


def _run(
    graph: GraphSpec, reused: list[TaskResult], attempt: int = 2
) -> tuple[Any, Hooks, list[str]]:
    ident = uuid.uuid4()
    hooks = Hooks()
    token = current_run.set(RunContext(ident, attempt, graph))
    try:
        result = CrewAIRunner().run(graph, {}, hooks, reused)
    finally:
        current_run.reset(token)
    ran = (starts_folder() / f"{ident}.{attempt}").read_text().split()
    return result, hooks, ran


def test_the_runner_starts_at_the_first_task_not_reused(scripted: Any) -> None:
    reused = [TaskResult("t1", "a", "stored 1"), TaskResult("t2", "a", "stored 2")]
    result, hooks, ran = _run(spec(), reused)
    assert ran == ["t3", "t4"]  # each by its own script, found by name
    assert [(t.name, t.raw) for t in result.tasks] == [
        ("t1", "stored 1"),
        ("t2", "stored 2"),
        ("t3", "out 3"),
        ("t4", "out 4"),
    ]
    assert result.raw == "out 4"
    assert min(percent for percent, _, _ in hooks.reports) >= 50.0  # starts at 2 of 4


def test_a_hierarchical_crew_runs_every_task_whatever_is_offered(scripted: Any) -> None:
    reused = [TaskResult("t1", "a", "stored 1")]
    result, _, ran = _run(spec(process="hierarchical"), reused)
    assert ran == ["t1", "t2", "t3", "t4"]
    assert [t.raw for t in result.tasks] == ["out 1", "out 2", "out 3", "out 4"]


# -- a rerun's from_task (service/reruns.py) ------------------------------------------------


def _refusal(graph: GraphSpec, outputs: Any, from_task: str) -> str:
    with pytest.raises(InvalidRequest) as refused:
        reruns._reused(graph, outputs, from_task)
    assert refused.value.details == [{"field": "from_task", "message": ANY}]
    return refused.value.message


def test_a_rerun_reuses_the_outputs_before_its_task() -> None:
    stored = {"tasks": out(1, 2, 3)}
    assert [o["task"] for o in reruns._reused(spec(), stored, "t3")] == ["t1", "t2"]
    assert reruns._reused(spec(), stored, "t1") == []
    assert reruns._reused(spec(), None, None) == []


def test_a_rerun_from_an_unknown_task_is_refused_naming_the_tasks() -> None:
    message = _refusal(spec(), {"tasks": out(1, 2)}, "t9")
    assert message.startswith("from_task: 't9' is not a task") and "'t1', 't2'" in message


def test_a_rerun_past_a_task_without_output_is_refused_naming_it() -> None:
    assert "'t2'" in _refusal(spec(), {"tasks": out(1)}, "t3")
    assert "'t1'" in _refusal(spec(), None, "t2")


def test_a_hierarchical_crew_cannot_be_rerun_from_a_later_task() -> None:
    assert "hierarchical" in _refusal(spec(process="hierarchical"), {"tasks": out(1, 2)}, "t2")
