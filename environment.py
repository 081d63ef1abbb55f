"""behave hooks: one stack per run, fresh data per scenario, a leftovers check at the end.

The stack is ``embedded`` (default) or ``services`` (``-D stack=services`` or
``EXEC_TEST_STACK=services``). Scenarios tagged ``@services_only`` / ``@embedded_only``
are skipped, with the reason, on the other stack.

Fixture tags (``@fixture.<name>``, ``support/fixtures.py``) set up what a feature needs
and take it down after it, even when a scenario failed: ``@fixture.fake_model_provider``
gives the ``@crewai`` features a fake model provider, or skips them, saying why, where
the ``crewai`` extra is not installed.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from behave.fixture import use_fixture_by_tag
from behave.model import Feature, Scenario

from support import fixtures
from support.client import ApiClient
from support.stacks import make_stack
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
    fixtures.prepare_provider_keys()  # before any worker process starts: they inherit them
    context.stack = make_stack(name, dict(userdata))
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        context.stack.start()
    except BaseException:
        context.stack.stop()
        raise
    context.stack_started = True


def before_tag(context: Any, tag: str) -> None:
    if tag.startswith("fixture."):
        use_fixture_by_tag(tag, context, fixtures.FIXTURES)


def _wrong_stack(context: Any, tags: Any) -> str | None:
    here = context.stack.name
    for tag, only in STACK_ONLY_TAGS.items():
        if tag in tags and here != only:
            return f"@{tag}: runs on the {only} stack only, this run uses the {here} stack"
    return None


def before_feature(context: Any, feature: Feature) -> None:
    reason = _wrong_stack(context, feature.tags)
    if reason:
        feature.skip(reason=reason)


def before_scenario(context: Any, scenario: Scenario) -> None:
    reason = _wrong_stack(context, scenario.effective_tags)
    if reason:
        scenario.skip(reason=reason)
        return
    context.stack.reset()
    provider = getattr(context, "model_provider", None)  # @fixture.fake_model_provider's
    if provider is not None:
        provider.reset()  # each scenario scripts it afresh
    context.world = World(
        stack=context.stack, api=ApiClient(context.stack.base_url), model_provider=provider
    )
    context.world.api.reset_circuit_breakers()


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
        problems += fixtures.leftovers()
    if problems:
        raise AssertionError("the run left things behind:\n  " + "\n  ".join(problems))
