"""behave hooks: one stack per run, fresh data per scenario, a leftovers check at the end.

The stack is ``embedded`` (default) or ``services`` (``-D stack=services`` or
``EXEC_TEST_STACK=services``). Scenarios tagged ``@services_only`` / ``@embedded_only``
are skipped, with the reason, on the other stack. ``@crewai`` scenarios (real crewai
crews against a fake model provider, ``support/crewai_hooks.py``) are skipped, with the
reason, where the ``crewai`` extra is not installed.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from behave.model import Feature, Scenario

from support import crewai_hooks
from support.client import ApiClient
from support.stack import make_stack
from support.world import World

# tag -> the only stack its scenarios can run on
STACK_ONLY_TAGS = {"services_only": "services", "embedded_only": "embedded"}


def _interrupt(signum: int, _frame: Any) -> None:
    # behave stops the run on KeyboardInterrupt and still runs after_all (the teardown)
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


def before_all(context: Any) -> None:
    userdata = context.config.userdata
    name = os.environ.get("EXEC_TEST_STACK") or userdata.get("stack", "embedded")
    context.stack_started = False
    crewai_hooks.prepare()  # before any worker process starts: they inherit the provider keys
    context.stack = make_stack(name, dict(userdata))
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        context.stack.start()
    except BaseException:
        context.stack.stop()
        raise
    context.stack_started = True


def _wrong_stack(context: Any, tags: Any) -> str | None:
    here = context.stack.name
    for tag, only in STACK_ONLY_TAGS.items():
        if tag in tags and here != only:
            return f"@{tag}: runs on the {only} stack only, this run uses the {here} stack"
    return None


def before_feature(context: Any, feature: Feature) -> None:
    reason = _wrong_stack(context, feature.tags) or crewai_hooks.skip_reason(feature.tags)
    if reason:
        feature.skip(reason=reason)


def before_scenario(context: Any, scenario: Scenario) -> None:
    reason = _wrong_stack(context, scenario.effective_tags) or crewai_hooks.skip_reason(
        scenario.effective_tags
    )
    if reason:
        scenario.skip(reason=reason)
        return
    context.stack.reset()
    context.world = World(stack=context.stack, api=ApiClient(context.stack.base_url))
    context.world.api.reset_circuit_breakers()
    crewai_hooks.before_scenario(context, scenario.effective_tags)


def after_scenario(context: Any, scenario: Scenario) -> None:
    world = getattr(context, "world", None)
    if world is not None:
        world.api.http.close()


def after_all(context: Any) -> None:
    stack = getattr(context, "stack", None)
    if stack is None:
        return
    problems: list[str] = []
    try:
        if context.stack_started:
            stack.reset()
            problems += stack.leftovers()
    finally:
        stack.stop()
        problems += stack.verify_clean()
        problems += crewai_hooks.after_all()
    if problems:
        raise AssertionError("the run left things behind:\n  " + "\n  ".join(problems))
