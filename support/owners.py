"""Owners and their API keys, as a caller and as the operator meet them: requests with no
key or a bad one, another owner's graphs and executions, listings and statistics scoped
to the caller, operator-only acts, an owner's own limit.

The scenario's own client (``w.api``) is the suite's owner; ``w.others`` holds the
clients of the other owners a scenario brings in, by name. Keys are made and revoked
with the operator's command line (``execution-service keys ...``), as an operator would.
"""

from __future__ import annotations

import secrets
from typing import Any

from hamcrest import (
    assert_that,
    contains_inanyorder,
    contains_string,
    equal_to,
    has_entries,
    is_not,
)

from harness.http_client import Response
from harness.processes import free_port

from .breakers import CIRCUIT, circuit
from .builders.graph_definitions import graph_definition
from .client import ApiClient
from .matchers import has_status, is_error
from .polling import eventually
from .stacks import issue_key
from .world import World


def other_owner(w: World, owner: str) -> ApiClient:
    """A client for ``owner``, with a key of its own (made once per scenario)."""
    if owner not in w.others:
        key = issue_key(w.stack, owner)
        w.others[owner] = ApiClient(w.stack.base_url, key.secret)
        w.key_ids[owner] = key.id
    return w.others[owner]


def _client(w: World, owner: str) -> ApiClient:
    return w.api if owner == "I" else w.others[owner]


# -- no key, a wrong key, a revoked key -----------------------------------------------------


def _once(w: World, key: str | None, method: str, path: str) -> Response:
    """One request with ``key`` (None: no key), on a connection of its own."""
    client = ApiClient(w.stack.base_url, key)
    try:
        return client.raw(method, path)
    finally:
        client.http.close()


def list_without_key(w: World) -> None:
    w.response = _once(w, None, "GET", "/api/v1/executions")


def list_with_unknown_key(w: World) -> None:
    # shaped like a real key: refused for not being one, not for its looks
    w.response = _once(w, "cex_" + secrets.token_urlsafe(32), "GET", "/api/v1/executions")


def refused_unauthenticated(w: World, says: str) -> None:
    assert w.response is not None
    assert_that(w.response, is_error(401, "UNAUTHENTICATED"))
    challenge = w.response.headers.get("WWW-Authenticate") or ""
    assert_that(challenge, contains_string("Bearer"))
    if says == "invalid":
        assert_that(challenge, contains_string('error="invalid_token"'))
        assert_that(w.response.json()["error"]["message"], contains_string("not valid"))
    else:
        assert_that(w.response.json()["error"]["message"], contains_string("Bearer"))


def revoke(w: World, owner: str) -> None:
    answer = w.stack.operator("keys", "revoke", w.key_ids[owner])
    assert answer.code == 0, f"keys revoke failed ({answer.code}): {answer.err}"


def refused_within(w: World, owner: str, seconds: float) -> None:
    """The owner's requests are refused 401 within ``seconds`` (each API process trusts a
    key it looked up for a moment)."""
    client = w.others[owner]
    eventually(
        lambda: client.raw("GET", "/api/v1/executions"),
        is_error(401, "UNAUTHENTICATED"),
        timeout=seconds,
        what=f"{owner}'s requests after its key was revoked",
    )


def still_stored(w: World, owner: str) -> None:
    """The revoked owner's graph is still stored (a new key of the owner's reads it)."""
    fresh = ApiClient(w.stack.base_url, issue_key(w.stack, owner).secret)
    try:
        found = fresh.get_graph(w.graphs[owner]["id"])
        assert_that(found.status_code, equal_to(200))
    finally:
        fresh.http.close()


# -- another owner's graph and execution ------------------------------------------------------


def owner_defines_graph(w: World, owner: str) -> None:
    client = other_owner(w, owner)
    w.graphs[owner] = client.create_graph(graph_definition(tasks=1, name=f"{owner}'s"))
    w.snapshot()


GRAPH_ACTS = {
    "look up": lambda api, ident: api.get_graph(ident),
    "queue an execution of": lambda api, ident: api.queue(ident),
    "delete": lambda api, ident: api.raw("DELETE", f"/api/v1/graphs/{ident}"),
}


def act_on_graph(w: World, act: str, owner: str) -> None:
    w.response = GRAPH_ACTS[act](w.api, w.graphs[owner]["id"])


def graph_untouched(w: World, owner: str) -> None:
    """The owner still reads its graph, and no execution was queued for it."""
    client = w.others[owner]
    graph = w.graphs[owner]
    assert_that(client.get_graph(graph["id"]).status_code, equal_to(200))
    assert_that(client.list(graph_id=graph["id"])["items"], equal_to([]))
    assert_that(w.stack.database.counts(), has_entries(executions=w.before["rows"]["executions"]))


def owner_has_waiting_execution(w: World, owner: str) -> None:
    """Every worker slot busy with my long executions, and one of ``owner``'s queued
    behind them (so that cancelling or raising its priority would change it)."""
    from .busy_workers import occupy_workers

    occupy_workers(w)
    client = other_owner(w, owner)
    graph = client.create_graph(graph_definition(tasks=1, name=f"{owner}'s"))
    w.graphs[owner] = graph
    w.execution = client.queue_ok(graph["id"], priority="low")
    w.before["theirs"] = client.execution(w.execution["id"])


EXECUTION_ACTS = {
    "read": lambda api, ident: api.raw("GET", f"/api/v1/executions/{ident}"),
    "read the history of": lambda api, ident: api.raw("GET", f"/api/v1/executions/{ident}/events"),
    "cancel": lambda api, ident: api.cancel(ident),
    "raise the priority of": lambda api, ident: api.raw(
        "PATCH", f"/api/v1/executions/{ident}", json={"priority": "high"}
    ),
}


def act_on_execution(w: World, act: str) -> None:
    w.response = EXECUTION_ACTS[act](w.api, w.focus()["id"])


def execution_untouched(w: World, owner: str) -> None:
    """The owner's execution reads as it did: same status, priority and history."""
    client = w.others[owner]
    before = w.before["theirs"]
    now = client.execution(before["id"])
    assert_that(now, has_entries(status=before["status"], priority=before["priority"]))
    assert_that([e["status"] for e in client.events(before["id"])], equal_to(["queued"]))


# -- listings and statistics ---------------------------------------------------------------


def completed_executions(w: World, owner: str, count: int) -> None:
    client = w.api if owner == "I" else other_owner(w, owner)
    graph = client.create_graph(graph_definition(tasks=1, steps=1, step_seconds=0.01))
    w.graphs[owner] = graph
    made = [client.queue_ok(graph["id"]) for _ in range(count)]
    for execution in made:
        eventually(
            lambda i=execution["id"]: client.execution(i),
            has_status("completed"),
            timeout=20,
            what=f"{owner}'s execution {execution['id']}",
        )
    w.before[f"ids of {owner}"] = [e["id"] for e in made]


def listing_shows_only(w: World, owner: str) -> None:
    """``owner`` lists exactly its own executions."""
    client = _client(w, owner)
    listed = [e["id"] for e in client.list(limit=500)["items"]]
    assert_that(listed, contains_inanyorder(*w.before[f"ids of {owner}"]))


def statistics_count_only(w: World, owner: str) -> None:
    client = _client(w, owner)
    mine = len(w.before[f"ids of {owner}"])
    stats = client.stats()
    assert_that(
        stats,
        has_entries(
            completed_last_minute=mine,
            by_status=has_entries(completed=mine, queued=0, running=0),
        ),
    )


def listing_by_their_graph_is_empty(w: World, owner: str) -> None:
    assert_that(w.api.list(graph_id=w.graphs[owner]["id"])["items"], equal_to([]))


# -- the operator's acts ----------------------------------------------------------------------


def reset_circuit(w: World, as_operator: bool) -> None:
    path = f"/api/v1/circuit-breakers/{CIRCUIT}/reset"
    key = w.stack.operator_key if as_operator else w.api.key
    w.response = _once(w, key, "POST", path)


def circuit_is(w: World, state: str) -> None:
    assert_that(circuit(w)["state"], equal_to(state))


def refused_forbidden(w: World, code: str) -> None:
    assert w.response is not None
    assert_that(w.response, is_error(403, code))
    assert_that(w.response.json()["error"]["message"], contains_string("operator"))


def reset_accepted(w: World) -> None:
    assert w.response is not None
    assert_that(w.response.status_code, equal_to(204))


def owner_limit(w: World, owner: str, limit: int) -> None:
    other_owner(w, owner)
    answer = w.stack.operator("owners", "limit", owner, "--max-active", str(limit))
    assert answer.code == 0, f"owners limit failed ({answer.code}): {answer.err}"


def owner_runs_long(w: World, owner: str, count: int) -> None:
    client = w.others[owner]
    graph = client.create_graph(graph_definition(tasks=1, steps=600, step_seconds=0.1))
    w.graphs[owner] = graph
    for _ in range(count):
        client.queue_ok(graph["id"])


def owner_queues_one_more(w: World, owner: str) -> None:
    w.response = w.others[owner].queue(w.graphs[owner]["id"])


def refused_for_owner_limit(w: World, owner: str, limit: int) -> None:
    assert w.response is not None
    assert_that(w.response, is_error(429, "QUEUE_LIMIT_REACHED"))
    assert_that(w.response.headers.get("Retry-After"), is_not(None))
    error = w.response.json()["error"]
    assert_that(error["details"], has_entries(limit_of="owner", limit=limit, active=limit))
    assert_that(error["message"], contains_string(owner))


def i_can_still_queue(w: World) -> None:
    graph = w.api.create_graph(graph_definition(tasks=1, steps=1, step_seconds=0.01))
    queued: Response = w.api.queue(graph["id"])
    assert_that(queued.status_code, equal_to(202))


# -- the operator's settings ------------------------------------------------------------------


def start_api_without_keys_on_shared_database(w: World) -> None:
    port = str(free_port())
    w.before["command"] = w.stack.operator(
        "api", "--port", port, env={"EXEC_AUTH": "disabled"}, timeout=30
    )


def refused_to_start(w: World, naming: str) -> None:
    answer: Any = w.before["command"]
    assert_that(answer.code, is_not(equal_to(0)))
    assert_that(answer.err, contains_string(naming))
