"""behave hooks: one stack per run, fresh data per scenario, a leftovers check at the end."""

from __future__ import annotations

import os
from typing import Any

from behave.model import Scenario

from support.client import ApiClient
from support.stack import make_stack
from support.world import World


def before_all(context: Any) -> None:
    userdata = context.config.userdata
    name = os.environ.get("EXEC_TEST_STACK") or userdata.get("stack", "embedded")
    context.stack = make_stack(name, dict(userdata))
    try:
        context.stack.start()
    except BaseException:
        context.stack.stop()
        raise


def before_scenario(context: Any, scenario: Scenario) -> None:
    context.stack.reset()
    context.world = World(stack=context.stack, api=ApiClient(context.stack.base_url))


def after_scenario(context: Any, scenario: Scenario) -> None:
    world = getattr(context, "world", None)
    if world is not None:
        world.api.http.close()


def after_all(context: Any) -> None:
    stack = getattr(context, "stack", None)
    if stack is None:
        return
    try:
        stack.reset()
        problems = stack.leftovers()
    finally:
        stack.stop()
    if problems:
        raise AssertionError("the run left things behind:\n  " + "\n  ".join(problems))
