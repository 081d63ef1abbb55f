"""Named operations on the services stack's API process: killed outright (SIGKILL, as an
OOM killer or a lost machine would: no shutdown, requests in flight cut off, a batch
perhaps committed and not yet published) and started again on the same address.

Only the services stack runs its API as a process of its own: scenarios using these are
tagged ``@use.with_stack=services``.
"""

from __future__ import annotations

import signal

from harness.http_client import answers_health

from ..polling import wait_until
from ..stacks import Stack, services_stack

NEEDS = "killing the API needs an API process of its own"
START_SECONDS = 30.0


def kill_api(stack: Stack) -> None:
    """ApiKill: SIGKILL the API's process group; return once nothing of it is left."""
    services = services_stack(stack, NEEDS)
    child = services.api_process()
    child.signal_group(signal.SIGKILL)
    if not wait_until(lambda: not child.survivors(), 10.0, 0.02):
        raise RuntimeError("the killed API process is still there")
    services.forget(child)


def start_api_again(stack: Stack) -> None:
    """ApiRestart: start the API again on the same address; return once it answers."""
    services = services_stack(stack, NEEDS)
    child = services.start_api()
    up = wait_until(lambda: not child.alive() or answers_health(stack.base_url), START_SECONDS)
    if not child.alive() or not up:
        raise RuntimeError(f"the API did not come back within {START_SECONDS:g} s:\n{child.tail()}")
