"""The provider policy, in the words of ``features/provider_policy.feature`` and
``features/crewai/provider_policy_in_workers.feature``.

The test stacks' policy (``support/stack_settings.py``) allows the scripted crews'
provider, the fake model provider (with the suite's key variables) and the refused URL;
anything else is outside it. The *listener* (``@fixture.key_listener``) is a second fake
provider on a port of its own, outside the policy: it records a fingerprint of every key
sent to it, and is given the worker's key as the one it accepts, so a crew that reached
it would even succeed. The *worker's keys* are the keys the stack's workers hold: the
one the graphs name (``KEY_ENV``), the rejected one, and the model library's standard
``OPENAI_API_KEY``, which it falls back to for a model that names none.

A graph *stored before the policy narrowed* is written straight into the stack's store,
as an upgrade leaves it behind: the API would refuse it today.
"""

from __future__ import annotations

import copy
import os
import uuid
from typing import Any

from hamcrest import (
    assert_that,
    empty,
    equal_to,
    has_entries,
    has_item,
    has_property,
    is_in,
    is_not,
    only_contains,
)
from sqlalchemy import insert

from execution_service.provider_policy import PLACEHOLDER_KEY
from execution_service.store.models import Graph

from .builders.graph_definitions import graph_definition, llm, one_agent_crew
from .crewai_crews import provider
from .faults.fake_llm import (
    KEY_ENV,
    STANDARD_KEY_ENV,
    WRONG_KEY_ENV,
    FakeLLM,
    Request,
    fingerprint,
    reserve_endpoint,
)
from .stacks import SUITE_OWNER
from .world import World

# an address of the scripted crews' provider, as an attacker might dress it up -> the URL
ADDRESSES = {
    "the allowed address with a user name in it": "https://collector@provider.example/v1",
    "a host that only starts like the allowed one": "https://provider.example.collector.example/v1",
    "the allowed address with more path after it": "https://provider.example/v1/collect",
    "the allowed address over plain http": "http://provider.example/v1",
    "the allowed address on another port": "https://provider.example:8443/v1",
    "the allowed address with a step back in its path": "https://provider.example/v1/../v1",
    "the allowed address in capitals with a trailing slash": "HTTPS://PROVIDER.EXAMPLE:443/v1/",
}


def workers_keys() -> dict[str, str]:
    """The keys the stack's workers hold (their environment is this process's), by
    fingerprint."""
    return {
        fingerprint(os.environ[name]): name
        for name in (KEY_ENV, WRONG_KEY_ENV, STANDARD_KEY_ENV)
        if os.environ.get(name)
    }


def _keys_received(requests: list[Request]) -> list[str]:
    """What each request carried, by name where it is a key of the workers'."""
    mine = workers_keys()
    placeholder = fingerprint(PLACEHOLDER_KEY)
    return [
        mine.get(r.key_fingerprint)
        or ("the placeholder" if r.key_fingerprint == placeholder else "")
        or ("another key" if r.key_sent else "no key")
        for r in requests
    ]


def _define(w: World, definition: dict[str, Any]) -> None:
    """Send the definition, remembering the rows first (to show nothing was written)."""
    w.snapshot()
    w.response = w.api.raw("POST", "/api/v1/graphs", json=definition)
    if w.response.status_code == 201:
        w.graph = w.response.json()


def listener_ready(listener: FakeLLM) -> None:
    listener.reset()


def define_sending_workers_key_to(w: World, listener: FakeLLM) -> None:
    """The key-leak attempt: an agent's model at the listener, with the worker's key."""
    _define(w, one_agent_crew(listener.base_url))


def define_sending_key_to_provider(w: World, key_env: str) -> None:
    """An agent's model at the fake model provider (allowed), with ``key_env``."""
    _define(w, one_agent_crew_with(llm(reserve_endpoint(), key_env)))


def define_managed_by_model_at(w: World, listener: FakeLLM) -> None:
    """A managed crew whose agents are allowed and whose manager's model is at the listener."""
    definition = one_agent_crew(reserve_endpoint())
    definition["process"] = "hierarchical"
    definition["manager_llm"] = llm(listener.base_url)
    _define(w, definition)


def define_scripted_crew_at(w: World, address: str) -> None:
    """A scripted crew whose agents' model is at one of :data:`ADDRESSES`."""
    _define(w, graph_definition(tasks=1, provider=ADDRESSES[address]))


def one_agent_crew_with(model: dict[str, Any]) -> dict[str, Any]:
    definition = one_agent_crew(reserve_endpoint())
    definition["agents"][0]["llm"] = model
    return definition


def refusal_names_field(w: World, field: str) -> None:
    """The refusal's details name ``field`` (and nothing about any other field)."""
    assert w.response is not None
    details = w.response.json()["error"]["details"]
    assert_that(details, has_item(has_entries(field=field)))
    assert_that([d["field"] for d in details], only_contains(equal_to(field)))


def graph_accepted(w: World) -> None:
    assert w.response is not None
    assert_that(w.response, has_property("status_code", 201), w.response.text)


def listener_never_got_workers_key(listener: FakeLLM) -> None:
    """No request reached the listener carrying any key the workers hold."""
    assert_that(
        [r.key_fingerprint for r in listener.log()],
        is_not(has_item(is_in(list(workers_keys())))),
        f"the listener received: {_keys_received(listener.log())}",
    )


def listener_received_nothing(listener: FakeLLM) -> None:
    assert_that(_keys_received(listener.log()), empty(), "requests at the listener")


# -- a graph stored before the policy narrowed ---------------------------------------------------


def _store(w: World, definition: dict[str, Any]) -> None:
    """Write the graph's row straight into the stack's store (what an upgrade leaves),
    owned by the suite's owner (the scenario's client queues it)."""
    ident = uuid.uuid4()
    row = {"id": ident, "owner": SUITE_OWNER, "name": definition["name"], "definition": definition}
    with w.stack.database.engine.begin() as conn:
        conn.execute(insert(Graph).values(**row))
    w.graph = {"id": str(ident), "name": definition["name"], "definition": definition}


def stored_sending_workers_key_to(w: World, listener: FakeLLM) -> None:
    """A stored crew whose agents' models are at the listener, with the worker's key."""
    definition = one_agent_crew(listener.base_url)
    _store(w, definition)


def stored_sending_standard_key_to_provider(w: World) -> None:
    """A stored crew whose agent's model is at the fake provider (allowed), with the
    workers' standard key, which the policy does not allow there."""
    _store(w, one_agent_crew_with(llm(provider(w).base_url, STANDARD_KEY_ENV)))


def provider_never_got_workers_key(w: World) -> None:
    listener_never_got_workers_key(provider(w))


# -- an allowed endpoint, no key named -----------------------------------------------------------


def crew_names_no_key(w: World) -> None:
    """The scenario's crew again, its models naming no ``api_key_env``."""
    assert w.graph is not None, "no crew in this scenario yet"
    definition = copy.deepcopy(w.graph["definition"])
    for agent in definition["agents"]:
        agent["llm"].pop("api_key_env", None)
    w.graph = w.api.create_graph(definition)


def only_placeholder_sent(w: World) -> None:
    """The provider was asked, and every request carried the placeholder, none a key of
    the workers' (the model library's fallback ``OPENAI_API_KEY`` included)."""
    received = _keys_received(provider(w).chat_requests())
    assert_that(received, only_contains(equal_to("the placeholder")))  # and not none
