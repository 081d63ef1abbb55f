"""Whether a crew started at all, seen from what the crew itself does.

A worker that runs the crew of an execution that was cancelled while queued cannot be
seen through the execution: every write the crew's worker tries is refused (the
execution is no longer running), so the API shows a cancelled execution that never
started. The crew's own side effect shows it: a scripted crew whose script says
``record_starts`` leaves a file named after the execution and attempt in the scripted
crews' starts folder (``execution_service.crews.scripted.script.starts_folder``, on this
machine: both stacks' workers run here) the moment it starts, before its first step.

(A real crewai crew's calls to the fake model provider would not do: the worker's
watcher sees within ``stop_check_interval`` that the execution is not running and stops
the crew before its first model call.)

The check first runs a later execution of the same crew to its end and sees its start
recorded: the means of observation works, and the queue has moved past the cancelled
execution's message. Then, for a while longer, no start of the cancelled one may appear.
"""

from __future__ import annotations

from typing import Any

from hamcrest import assert_that, equal_to

from execution_service.crews.scripted.script import starts_folder

from .builders.graph_definitions import graph_definition
from .matchers import has_status, is_finished
from .polling import consistently
from .world import World

# how long after the later execution finished the cancelled one's crew must still show
# nothing: a worker that wrongly ran it would have started it before the later one
QUIET_SECONDS = 1.0


def recording_graph(w: World) -> None:
    """A short scripted crew that records each time it starts: the scenario's graph."""
    definition = graph_definition(tasks=1, name="records its starts")
    definition["script"]["record_starts"] = True
    w.graph = w.api.create_graph(definition)


def recorded_starts(execution_id: str) -> list[int]:
    """The attempts whose crew started, as the scripted crew recorded them."""
    return sorted(int(path.suffix[1:]) for path in starts_folder().glob(f"{execution_id}.*"))


def _forget_starts(*execution_ids: str) -> None:
    for execution_id in execution_ids:
        for path in starts_folder().glob(f"{execution_id}.*"):
            path.unlink(missing_ok=True)


def _later_execution(w: World, **body: Any) -> dict[str, Any]:
    """Queue another execution of the scenario's graph and wait until it completed."""
    later = w.api.queue_ok(w.the_graph()["id"], **body)
    finished = w.await_execution(
        later["id"], is_finished(), timeout=30, what="a later execution of the same crew"
    )
    assert_that(finished, has_status("completed"))
    return finished


def scripted_crew_never_started(w: World) -> None:
    """The focus's crew never started, though a later execution's crew did."""
    ident = w.focus()["id"]
    later = _later_execution(w)
    try:
        assert_that(recorded_starts(later["id"]), equal_to([1]))
        consistently(
            lambda: recorded_starts(ident),
            equal_to([]),
            duration=QUIET_SECONDS,
            what="no start recorded by the crew of the cancelled execution",
        )
    finally:
        _forget_starts(ident, later["id"])
