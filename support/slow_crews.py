"""Crews that work slowly but are healthy: their workers must not be taken for lost.

A worker proves it is alive by the execution's heartbeat, written every
``heartbeat_interval`` while the crew runs, whether or not the crew reports progress;
the reaper takes a running execution whose heartbeat is older than
``heartbeat_timeout`` for lost (``WORKER_LOST``) and runs it again. A crew whose one
step lasts longer than that timeout reports no progress for the whole time: only the
heartbeat keeps it. The timings are the test stacks' (``support/stack_settings.py``).
"""

from __future__ import annotations

from .graphs import define
from .stack_settings import OVERRIDES
from .world import World

# how much longer than the heartbeat timeout the step lasts: several reaper rounds, so
# a worker that is taken for lost is caught even on a loaded machine
BEYOND_TIMEOUT = 1.5


def single_step_beyond_heartbeat_timeout(w: World) -> None:
    """A graph of one task of one step, longer than ``heartbeat_timeout`` (and so many
    heartbeat intervals), which may be tried twice: a second attempt would be seen."""
    timeout = float(OVERRIDES["heartbeat_timeout"])
    interval = float(OVERRIDES["heartbeat_interval"])
    step = timeout + BEYOND_TIMEOUT
    assert step >= 4 * interval, "the step must outlast several heartbeat intervals"
    define(
        w,
        tasks=1,
        steps=1,
        step_ms=step * 1000,
        name="one slow step",
        settings={"retry": {"max_attempts": 2, "base_delay_seconds": 0.05}},
    )
