"""Which tasks an attempt re-uses instead of running them again: pure, no SQL.

A sequential crew's tasks run in order, and the worker records each task's output as
it finishes (``executions.outputs``). When an attempt starts and outputs are stored
already (an earlier attempt failed in task k, was handed back or its worker was lost;
or the execution is a rerun from task k of an earlier one, which starts with that
execution's outputs of the tasks before k), the attempt re-uses the outputs of the
leading tasks that have one, as their outputs and as the context of later tasks, and
the crew starts at the first task without one. :func:`plan_resume` decides.

* ``settings.retry.resume`` (default true) turns this off for retries: a retry then
  restarts from the first task, or, for a rerun, from the task the rerun named.
* A hierarchical crew's manager decides the order of the work, so no task's place is
  known: it always restarts from scratch (and the history says so).
* The last task always runs: a crew that failed after all its tasks had an output
  (its own end failed) is not taken for finished.

Matching is by position and name: a stored output counts for task i only when it is
the i-th stored one and names task i (a graph's tasks never change).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from execution_service.graph import GraphSpec


@dataclass(frozen=True)
class ResumePlan:
    """What an attempt re-uses: the stored outputs of its first ``len(reused)`` tasks
    (as recorded: ``{"task", "agent", "raw"}``), and what its history says about it
    (``note``, ``details``; None: nothing to say, a plain start)."""

    reused: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None
    details: dict[str, Any] | None = None

    @property
    def start_index(self) -> int:
        """The index of the first task the crew runs."""
        return len(self.reused)


def task_index(spec: GraphSpec, name: str) -> int | None:
    """The index of the task called ``name`` (its label: its name, else ``task <n>``)."""
    for index in range(len(spec.tasks)):
        if spec.task_label(index) == name:
            return index
    return None


def leading_outputs(spec: GraphSpec, stored: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The stored outputs of the crew's leading tasks: output i names task i, in order;
    at most all tasks but the last."""
    found: list[dict[str, Any]] = []
    for index, output in enumerate((stored or [])[: len(spec.tasks) - 1]):
        if not isinstance(output, dict) or output.get("task") != spec.task_label(index):
            break
        if not isinstance(output.get("raw"), str):
            break
        found.append(output)
    return found


def plan_resume(
    spec: GraphSpec,
    stored: list[dict[str, Any]] | None,
    from_task: str | None = None,
) -> ResumePlan:
    """What an attempt of ``spec`` re-uses, given the outputs stored so far and, for a
    rerun, the task it starts from (``from_task``: the tasks before it are always
    re-used, whatever ``settings.retry.resume`` says)."""
    leading = leading_outputs(spec, stored)
    fixed = task_index(spec, from_task) if from_task is not None else None
    fixed = min(fixed or 0, len(leading))
    if spec.process == "hierarchical":
        if not leading:
            return ResumePlan()
        return ResumePlan(
            note="a hierarchical crew restarts from scratch: no stored output is re-used",
            details={"restarted": "hierarchical", "reused_tasks": []},
        )
    reused = leading if spec.settings.retry.resume else leading[:fixed]
    if not reused:
        if leading:
            return ResumePlan(
                note="settings.retry.resume is false: restarting from the first task",
                details={"restarted": "resume_off", "reused_tasks": []},
            )
        return ResumePlan()
    names = [str(output["task"]) for output in reused]
    start = spec.task_label(len(reused))
    details: dict[str, Any] = {"reused_tasks": names, "resumed_from": start}
    if not spec.settings.retry.resume and len(leading) > len(reused):
        details["restarted"] = "resume_off"
    return ResumePlan(
        reused=list(reused),
        note=f"re-using the stored outputs of {', '.join(names)}; starting at {start}",
        details=details,
    )
