"""How an execution's progress moves, as a user watching it sees it: within every task,
and across attempts when a retry starts the crew over.

The samples are the ``GET /executions/{id}`` answers taken while watching it
(``executions.watch_until_finished``). Progress is written at most every
``EXEC_PROGRESS_WRITE_INTERVAL`` seconds (0.25 s on both test stacks), so the crews here
take long enough per task for several writes to land while each task runs.
"""

from __future__ import annotations

import itertools
from typing import Any

from hamcrest import (
    assert_that,
    equal_to,
    greater_than,
    greater_than_or_equal_to,
    has_entries,
    has_length,
)

from .graphs import failing_graph
from .matchers import has_status
from .world import World

# the retried crew: 3 tasks of 4 steps of 150 ms; its last task fails at its last step on
# the first attempt only, so attempt 1 ends at about 93 % and attempt 2 spends ~1.5 s
# below that on its way up
RETRIED_TASKS = 3
RETRIED_STEPS = 4
RETRIED_STEP_SECONDS = 0.15
# a second attempt is watched from its start: at least this many answers while it ran
SAMPLES_OF_SECOND_ATTEMPT = 5


def _running(w: World) -> list[dict[str, Any]]:
    return [s for s in w.samples if s["status"] == "running"]


def rose_within_every_task(w: World) -> None:
    """For each task k of n, the answers naming it as the task in progress show at least
    two different percentages inside its share of the work, (k-1)/n exclusive to k/n.

    A percentage frozen at the task's start until the task ends shows at most one (the
    task's end), and the task's start is outside its share.
    """
    names = [t["name"] for t in w.the_graph()["definition"]["tasks"]]
    total = len(names)
    within: dict[str, list[float]] = {}
    for index, name in enumerate(names):
        low, high = round(100 * index / total, 2), round(100 * (index + 1) / total, 2)
        within[name] = sorted(
            {
                s["progress"]["percent"]
                for s in _running(w)
                if s["progress"]["current_task"] == name and low < s["progress"]["percent"] <= high
            }
        )
    answers = [(s["progress"]["current_task"], s["progress"]["percent"]) for s in _running(w)]
    seen = [answer for answer, _ in itertools.groupby(answers)]
    assert_that(
        within,
        has_entries({name: has_length(greater_than_or_equal_to(2)) for name in names}),
        f"distinct percentages inside each task's share; (task, percent) while it ran: {seen}",
    )
    print(
        "percentages seen within each task's share: "
        + "; ".join(f"{name}: {values}" for name, values in within.items())
    )


# -- a retry that starts the crew over --------------------------------------------------------


def fails_late_then_succeeds(w: World) -> None:
    """A crew whose last task fails near its end, transiently, on the first attempt only;
    retried at once (no jitter), it succeeds on its second."""
    failing_graph(
        w,
        "service_unavailable",
        attempts=2,
        on_attempts=[1],
        tasks=RETRIED_TASKS,
        failing_task=RETRIED_TASKS,
        at_step=RETRIED_STEPS,
        steps=RETRIED_STEPS,
        step_seconds=RETRIED_STEP_SECONDS,
        base=0.05,
        jitter=0.0,
    )


def completed_on_second_attempt(w: World) -> None:
    assert_that(w.focus(), has_status("completed"))
    assert_that(w.focus()["attempt"], equal_to(2))


def watched_both_attempts(w: World) -> None:
    """The samples cover the first attempt late in its last task, and the second attempt
    running from its start: what the never-going-down check is about."""
    names = [t["name"] for t in w.the_graph()["definition"]["tasks"]]
    late_share = 100 * (len(names) - 1) / len(names)
    first = [s["progress"]["percent"] for s in w.samples if s["attempt"] == 1]
    assert_that(max(first, default=0.0), greater_than(late_share))
    second = [s for s in _running(w) if s["attempt"] == 2]
    assert_that(len(second), greater_than_or_equal_to(SAMPLES_OF_SECOND_ATTEMPT))
    print(
        f"attempt 1 reached {max(first):.2f} %; {len(second)} answers while attempt 2 ran, "
        f"from {second[0]['progress']['percent']:.2f} %"
    )
