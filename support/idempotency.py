"""Queueing with an ``Idempotency-Key``: sending a request again, with another body, from
another owner, from many clients at once, and after the key's keeping time.

``w.before["answers"]`` keeps the answers of this scenario's keyed requests, in order
(each ``(status, body, Location)``); ``w.before["rows"]`` what was stored before the
request under test.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from hamcrest import (
    all_of,
    assert_that,
    contains_string,
    equal_to,
    has_entries,
    has_length,
    is_not,
)
from sqlalchemy import select, update

from execution_service.config import Settings
from execution_service.store.models import IdempotencyKey

from .client import ApiClient
from .crowd import Timings, crowd
from .executions import nothing_written
from .matchers import has_status, is_error
from .owners import other_owner
from .world import World

HEADER = "Idempotency-Key"


def _queue(api: ApiClient, graph_id: str, key: str, topic: str) -> Any:
    return api.raw(
        "POST",
        f"/api/v1/graphs/{graph_id}/executions",
        json={"inputs": {"topic": topic}},
        headers={HEADER: key},
    )


def _keep(w: World, response: Any) -> None:
    w.response = response
    answers = w.before.setdefault("answers", [])
    answers.append((response.status_code, response.json(), response.headers.get("Location")))
    if response.status_code == 202:
        w.execution = response.json()
        w.executions.append(w.execution)


def queue_with_key(w: World, topic: str, key: str) -> None:
    """Queue an execution of the graph about ``topic``, naming the request ``key``."""
    w.before["rows"] = w.stack.database.counts()
    _keep(w, _queue(w.api, w.the_graph()["id"], key, topic))


def owner_queues_with_key(w: World, owner: str, key: str) -> None:
    graph_id = w.graphs[owner]["id"]
    _keep(w, _queue(other_owner(w, owner), graph_id, key, "octopuses"))


# what an execution's answer says of it that never changes once it is queued
_FIXED = ("id", "graph_id", "inputs", "priority", "timeout_seconds", "max_attempts", "created_at")


def _fixed(execution: dict[str, Any]) -> dict[str, Any]:
    return {name: execution[name] for name in _FIXED}


def answered_with_the_first(w: World, status: int = 200) -> None:
    """The last answer is ``status`` with the first keyed request's execution and its
    Location (as it is now: the completed scenario shows the status moved on; here the
    crew may be running meanwhile, so the fields that never change are compared)."""
    (first_status, first, _), *_, (last_status, last, location) = w.before["answers"]
    assert_that(first_status, equal_to(202))
    assert_that(last_status, equal_to(status))
    assert_that(_fixed(last), equal_to(_fixed(w.api.execution(first["id"]))))
    assert_that(location, equal_to(f"/api/v1/executions/{first['id']}"))


def answered_completed(w: World) -> None:
    """The last answer is the first request's execution as it is now: completed, with
    its result (the first answer said queued)."""
    answered_with_the_first(w)
    first, last = w.before["answers"][0][1], w.before["answers"][-1][1]
    assert_that(first, has_status("queued"))
    assert_that(last, all_of(has_status("completed"), has_entries(result=is_not(None))))
    assert_that(last, equal_to(w.api.execution(first["id"])))


def graph_has_executions(w: World, count: int, owner: str = "I") -> None:
    api = w.api if owner == "I" else w.others[owner]
    graph = w.graph if owner == "I" else w.graphs[owner]
    assert graph is not None
    assert_that(api.list(graph_id=graph["id"], limit=500)["items"], has_length(count))


def refused_as_reused(w: World) -> None:
    """409 IDEMPOTENCY_KEY_REUSED naming the header and the execution holding the key;
    no execution or key stored (the first execution's history may grow meanwhile: it
    runs)."""
    assert w.response is not None
    assert_that(w.response, is_error(409, "IDEMPOTENCY_KEY_REUSED"))
    error = w.response.json()["error"]
    assert_that(error["message"], contains_string(HEADER))
    first = w.before["answers"][0][1]
    assert_that(error["details"], equal_to({"header": HEADER, "execution_id": first["id"]}))
    stored = w.stack.database.counts()
    for table in ("executions", "idempotency_keys"):
        assert_that(stored[table], equal_to(w.before["rows"][table]), table)


def refused_naming_header(w: World) -> None:
    """422 VALIDATION_ERROR naming the header; nothing stored."""
    assert w.response is not None
    assert_that(w.response, is_error(422, "VALIDATION_ERROR"))
    (detail,) = w.response.json()["error"]["details"]
    assert_that(detail["field"], equal_to(HEADER))
    nothing_written(w)


def owners_have_their_own(w: World, owner: str) -> None:
    """Both keyed requests were accepted, each as an execution of its own owner."""
    (mine_status, mine, _), (theirs_status, theirs, _) = w.before["answers"]
    assert_that((mine_status, theirs_status), equal_to((202, 202)))
    assert_that(theirs["id"], is_not(equal_to(mine["id"])))
    assert_that(theirs["graph_id"], equal_to(w.graphs[owner]["id"]))
    graph_has_executions(w, 1)
    graph_has_executions(w, 1, owner)


def clients_at_once(w: World, clients: int, topic: str, key: str) -> None:
    """``clients`` users send the same keyed request, all at the same moment."""
    graph_id = w.the_graph()["id"]
    answers: list[tuple[int, Any, str | None]] = []

    def user(api: ApiClient, timings: Timings) -> None:
        response = _queue(api, graph_id, key, topic)
        with timings.lock:
            answers.append(
                (response.status_code, response.json(), response.headers.get("Location"))
            )

    timings = crowd(w.api, [user] * clients)
    assert_that(timings.failures, equal_to([]))
    w.before["answers"] = answers


def one_accepted_others_replayed(w: World, replayed: int) -> None:
    answers = w.before["answers"]
    assert_that(Counter(status for status, _, _ in answers), equal_to({202: 1, 200: replayed}))
    assert_that({body["id"] for _, body, _ in answers}, has_length(1))
    assert_that({location for _, _, location in answers}, has_length(1))
    graph_has_executions(w, 1)


def key_used_long_ago(w: World, key: str) -> None:
    """The request that used ``key`` is older than the keeping time (its stored time is
    moved back a day and an hour past the service's default keeping time, which neither
    test stack changes)."""
    keep = Settings.model_fields["idempotency_keep_seconds"].default
    with w.stack.database.engine.begin() as conn:
        (used_at,) = conn.execute(
            select(IdempotencyKey.created_at).where(IdempotencyKey.key == key)
        ).scalars()
        conn.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.key == key)
            .values(created_at=used_at - timedelta(seconds=keep + 3600))
        )


def accepted_as_new(w: World) -> None:
    """The last keyed request made a new execution (202), not the first one's."""
    (_, first, _), *_, (last_status, last, location) = w.before["answers"]
    assert_that(last_status, equal_to(202))
    assert_that(last["id"], is_not(equal_to(first["id"])))
    assert_that(location, equal_to(f"/api/v1/executions/{last['id']}"))
    assert_that(last, has_status("queued", "running", "completed"))
