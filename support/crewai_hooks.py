"""The ``@crewai`` part of the behave hooks: real-crewai scenarios and their fake provider.

``environment.py`` calls these. ``@crewai`` scenarios run real crewai crews (graph
``"runner": "crewai"``) in the stack's workers, against :class:`support.fake_llm.FakeLLM`
running in this process. Without the ``crewai`` extra they are skipped, saying why.

* :func:`prepare` (before the stack starts): puts the provider keys in the environment,
  so worker processes started by the services stack inherit them;
* :func:`skip_reason`: why a ``@crewai`` feature or scenario cannot run here;
* :func:`before_scenario`: starts the fake provider the first time, warms the workers
  up once (each worker process imports crewai once, which takes seconds), and gives
  every scenario a provider with no script and an empty request log;
* :func:`after_all`: stops the provider; returns what it left behind.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import sys
from typing import Any

from hamcrest import has_length

from .fake_llm import KEY_ENV, MISSING_KEY_ENV, WRONG_KEY_ENV, FakeLLM
from .matchers import is_finished
from .polling import eventually

TAG = "crewai"
WARM_UP_SECONDS = 180.0

_provider: FakeLLM | None = None
_warmed_up = False
_told = False


def crewai_installed() -> bool:
    return importlib.util.find_spec("crewai") is not None


def prepare() -> None:
    """Provider keys for this run, in the environment workers are started with."""
    os.environ[KEY_ENV] = f"sk-fake-{secrets.token_hex(16)}"
    os.environ[WRONG_KEY_ENV] = f"sk-wrong-{secrets.token_hex(16)}"
    os.environ.pop(MISSING_KEY_ENV, None)


def skip_reason(tags: Any) -> str | None:
    global _told
    if TAG not in tags or crewai_installed():
        return None
    reason = (
        "@crewai scenarios skipped: the crewai library is not installed here; "
        'install the extra with pip install -e ".[crewai]" to run them'
    )
    if not _told:  # once per run, past behave's output capture: formatters do not show it
        _told = True
        print(reason, file=sys.__stderr__, flush=True)
    return reason


def provider() -> FakeLLM:
    global _provider
    if _provider is None:
        _provider = FakeLLM(api_key=os.environ.get(KEY_ENV) or None)
        _provider.start()
    return _provider


def before_scenario(context: Any, tags: Any) -> None:
    if TAG not in tags:
        return
    fake = provider()
    fake.reset()
    if not _warmed_up:
        _warm_up(context, fake)
        fake.reset()
    context.world.crewai = fake


def _warm_up(context: Any, fake: FakeLLM) -> None:
    """Run a real crew on every worker slot once, so no scenario pays for ``import crewai``."""
    global _warmed_up
    from .crewai_actions import one_agent_crew

    fake.latency = 0.3  # long enough for the work to spread over the worker processes
    api = context.world.api
    graph = api.create_graph(one_agent_crew(fake.base_url))
    started = [api.queue_ok(graph["id"]) for _ in range(2 * context.stack.worker_slots)]
    for execution in started:
        eventually(
            lambda i=execution["id"]: api.execution(i),
            is_finished(),
            timeout=WARM_UP_SECONDS,
            what="the crewai warm-up",
        )
    eventually(fake.chat_requests, has_length(len(started)), timeout=5, what="warm-up requests")
    _warmed_up = True
    context.stack.reset()
    api.reset_circuit_breakers()


def after_all() -> list[str]:
    global _provider
    if _provider is None:
        return []
    fake, _provider = _provider, None
    fake.stop()
    return ["the fake model provider is still running"] if fake.running else []
