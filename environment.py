"""behave hooks: one stack per run, fresh data per scenario, a leftovers check at the end.

The stack is ``embedded`` (default) or ``services`` (``-D stack=services`` or
``EXEC_TEST_STACK=services``). A feature or scenario that only makes sense on one stack
carries behave's active tag ``@use.with_stack=services`` (or ``=embedded``); on the other
stack it is skipped, saying why.

Fixture tags (``@fixture.<name>``, ``support/fixtures.py``) set up what a feature needs
and take it down after it, even when a scenario failed: ``@fixture.fake_model_provider``
gives the ``@crewai`` features a fake model provider, or skips them, saying why, where
the ``crewai`` extra is not installed.

Every run but a dry run writes the living report, ``reports/html/<stack>.html``
(``support/report/``): ``before_all`` adds its formatter, ``after_scenario`` puts a
@performance scenario's thresholds and figures on it.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from behave.fixture import use_fixture_by_tag
from behave.model import Feature, Scenario
from behave.tag_matcher import ActiveTagMatcher

from support import fixtures
from support.client import ApiClient
from support.report import formatter as living_report
from support.report import performance as performance_report
from support.stacks import make_stack
from support.world import World

# the values active tags (@use.with_<category>=<value>) are matched against; before_all
# fills them in
active_tag_values: dict[str, str] = {}
active_tags = ActiveTagMatcher(active_tag_values)


def _interrupt(signum: int, _frame: Any) -> None:
    # behave stops the run on KeyboardInterrupt and still runs after_all (the teardown)
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


def before_all(context: Any) -> None:
    userdata = context.config.userdata
    name = os.environ.get("EXEC_TEST_STACK") or userdata.get("stack", "embedded")
    active_tag_values["stack"] = name
    living_report.add_to_run(context, name)  # reports/html/<stack>.html (behave.ini)
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


def _skipped_for_stack(element: Feature | Scenario, tags: Any) -> bool:
    """Skip ``element`` if its active tags rule out this run's stack; say why."""
    if not active_tags.should_skip_with_tags(tags):
        return False
    wanted = " ".join(f"@{tag}" for tag, _ in active_tags.select_active_tags(tags))
    element.skip(reason=f"{wanted}: this run uses the {active_tag_values['stack']} stack")
    return True


def before_feature(context: Any, feature: Feature) -> None:
    _skipped_for_stack(feature, feature.tags)


def before_scenario(context: Any, scenario: Scenario) -> None:
    if _skipped_for_stack(scenario, scenario.effective_tags):
        return
    context.stack.reset()
    provider = getattr(context, "model_provider", None)  # @fixture.fake_model_provider's
    if provider is not None:
        provider.reset()  # each scenario scripts it afresh
    stack = context.stack
    context.world = World(
        stack=stack, api=ApiClient(stack.base_url, stack.api_key), model_provider=provider
    )
    operator = ApiClient(stack.base_url, stack.operator_key)
    try:
        operator.reset_circuit_breakers()  # the circuits are everyone's: an operator's act
    finally:
        operator.http.close()


def after_scenario(context: Any, scenario: Scenario) -> None:
    world = getattr(context, "world", None)
    if world is not None:
        # the thresholds a @performance scenario checked, against its figures
        performance_report.attach(context, world.checks, world.before.get("figures", {}))
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
