"""behave fixtures, used by tag (``@fixture.<name>``; ``environment.py``'s ``before_tag``).

``@fixture.fake_model_provider`` (the ``@crewai`` features in ``features/crewai/``): real
crewai crews (graph ``"runner": "crewai"``) run in the stack's workers against
:class:`support.faults.fake_llm.FakeLLM`, running in this process. Tagged on a feature,
the fixture lives as long as the feature:

* without the ``crewai`` extra the feature is skipped, saying why (once on the terminal);
* it starts a fake provider and hands it to the scenarios (``context.model_provider``;
  each scenario starts with it unscripted, see ``environment.py``);
* the first time in a run it warms the workers up: each worker process imports crewai
  once, which takes seconds, and no scenario should pay for that;
* at the end of the feature it stops the provider, even when a scenario failed.

``@fixture.key_listener`` (``features/provider_policy.feature``) gives a feature a second
fake provider outside the stacks' provider policy (``context.key_listener``), stopped
with the feature.

:func:`prepare_provider_keys` runs before the stack starts (worker processes inherit the
keys, among them a standard ``OPENAI_API_KEY`` the model library could fall back to); the
fake provider serves on the port reserved for it (``fake_llm.reserve_endpoint``), the one
the stacks' provider policy allows; :func:`leftovers` reports a provider left running, for
the end-of-run check.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import sys
from collections.abc import Callable, Iterator
from typing import Any

from behave.fixture import fixture
from hamcrest import has_length

from .builders.graph_definitions import one_agent_crew
from .client import ApiClient
from .faults.database import DatabaseOutage, SchemaBehind
from .faults.fake_llm import (
    KEY_ENV,
    MISSING_KEY_ENV,
    STANDARD_KEY_ENV,
    WRONG_KEY_ENV,
    FakeLLM,
    reserve_endpoint,
    reserved_port,
)
from .matchers import is_finished
from .polling import eventually
from .stacks import Stack

WARM_UP_SECONDS = 180.0
SKIP_WITHOUT_CREWAI = (
    "@crewai scenarios skipped: the crewai library is not installed here; "
    'install the test extra (pip install -c constraints.txt -e ".[test]": it includes '
    "crewai) to run them"
)

_providers: list[FakeLLM] = []
_warmed_up = False
_told = False


def crewai_installed() -> bool:
    return importlib.util.find_spec("crewai") is not None


def prepare_provider_keys() -> None:
    """Provider keys for this run, in the environment workers are started with."""
    os.environ[KEY_ENV] = f"sk-fake-{secrets.token_hex(16)}"
    os.environ[WRONG_KEY_ENV] = f"sk-wrong-{secrets.token_hex(16)}"
    os.environ[STANDARD_KEY_ENV] = f"sk-worker-{secrets.token_hex(16)}"
    os.environ.pop(MISSING_KEY_ENV, None)
    reserve_endpoint()


def _skip_without_crewai(context: Any) -> None:
    global _told
    context.feature.skip(reason=SKIP_WITHOUT_CREWAI)
    if not _told:  # once per run, past behave's output capture: formatters do not show it
        _told = True
        print(SKIP_WITHOUT_CREWAI, file=sys.__stderr__, flush=True)


@fixture
def fake_model_provider(context: Any) -> Iterator[FakeLLM | None]:
    """A fake model provider for the feature, on workers that have imported crewai."""
    if not crewai_installed():
        _skip_without_crewai(context)
        yield None
        return
    fake = FakeLLM(api_key=os.environ.get(KEY_ENV) or None)
    fake.start(port=reserved_port())
    _providers.append(fake)
    try:
        if not _warmed_up:
            _warm_up(context.stack, fake)
        context.model_provider = fake
        yield fake
    finally:
        fake.stop()


@fixture
def key_listener(context: Any) -> Iterator[FakeLLM]:
    """A listener outside the stacks' provider policy (``features/provider_policy.feature``):
    a second fake provider, on a port of its own, recording every key sent to it. It
    accepts the workers' key, as a collector of keys would."""
    listener = FakeLLM(api_key=os.environ.get(KEY_ENV) or None)
    listener.start()
    _providers.append(listener)
    try:
        context.key_listener = listener
        yield listener
    finally:
        listener.stop()


def _warm_up(stack: Stack, fake: FakeLLM) -> None:
    """Run a real crew on every worker slot once, so no scenario pays for ``import crewai``."""
    global _warmed_up
    stack.reset()  # the slots free: nothing left of the scenario before
    fake.latency = 0.3  # long enough for the work to spread over the worker processes
    api = ApiClient(stack.base_url, stack.api_key)
    try:
        graph = api.create_graph(one_agent_crew(fake.base_url))
        started = [api.queue_ok(graph["id"]) for _ in range(2 * stack.worker_slots)]
        for execution in started:
            eventually(
                lambda i=execution["id"]: api.execution(i),
                is_finished(),
                timeout=WARM_UP_SECONDS,
                what="the crewai warm-up",
            )
        eventually(fake.chat_requests, has_length(len(started)), timeout=5, what="warm-up requests")
    finally:
        api.http.close()
    _warmed_up = True
    fake.reset()


def leftovers() -> list[str]:
    """The fake providers still running (each feature's should have stopped with it)."""
    return [
        f"the fake model provider at {p.base_url} is still running" for p in _providers if p.running
    ]


@fixture
def database_outage(context: Any) -> Iterator[DatabaseOutage | None]:
    """``@fixture.database_outage`` (``features/lifecycle.feature``, services stack): the
    suite's own database can be taken down (``context.database_outage``); it is back
    after the scenario, even when the scenario failed."""
    if context.stack.name != "services":
        yield None  # the scenario is skipped on this stack (its @use.with_stack tag)
        return
    outage = DatabaseOutage(context.stack)
    context.database_outage = outage
    try:
        yield outage
    finally:
        outage.end()


@fixture
def schema_behind(context: Any) -> Iterator[SchemaBehind]:
    """``@fixture.schema_behind``: the database's schema can be set one migration behind
    (``context.schema_behind``); it is put back after the scenario."""
    behind = SchemaBehind(context.stack)
    context.schema_behind = behind
    try:
        yield behind
    finally:
        behind.end()


@fixture
def command_line(context: Any) -> Iterator[Any]:
    """``@fixture.command_line`` (``features/command_line.feature``): the engineer's
    workspace (``context.command_line``, ``support/command_line.py``): a folder for graph
    files and data folders, and the processes started there, all gone at the end."""
    from .command_line import CommandLine

    workspace = CommandLine()
    context.command_line = workspace
    try:
        yield workspace
    finally:
        workspace.close()


FIXTURES: dict[str, Callable[..., Any]] = {
    "fixture.command_line": command_line,
    "fixture.fake_model_provider": fake_model_provider,
    "fixture.key_listener": key_listener,
    "fixture.database_outage": database_outage,
    "fixture.schema_behind": schema_behind,
}
"""The fixture tags the features may use, for ``behave.fixture.use_fixture_by_tag``."""
