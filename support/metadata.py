"""Metadata on executions: queueing with it, seeing it back, listing and cancelling by it.

Metadata is written in the scenarios as ``customer=acme, plan=gold`` (``(none)``: none).
The scenario's own executions are ``w.executions`` (their answers, with their metadata);
another owner's are kept as ``w.graphs[owner]["executions"]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from hamcrest import (
    assert_that,
    contains_inanyorder,
    empty,
    equal_to,
    has_entries,
    has_item,
    has_length,
    is_not,
    none,
)

from harness.http_client import Response

from .builders.graph_definitions import graph_definition
from .client import ApiClient, ApiError
from .matchers import has_status
from .owners import other_owner
from .polling import eventually
from .world import World

BULK_CANCEL = "/api/v1/executions/cancel"


def labels(text: str) -> dict[str, str]:
    """``customer=acme, plan=gold`` (or ``customer=acme and plan=gold``) as a dict;
    ``(none)``: no metadata."""
    text = text.strip()
    if text in ("", "(none)"):
        return {}
    pairs = [p.strip() for p in text.replace(" and ", ", ").split(",") if p.strip()]
    return dict(pair.split("=", 1) for pair in pairs)


def _includes(execution: dict[str, Any], wanted: dict[str, str]) -> bool:
    return all(execution["metadata"].get(k) == v for k, v in wanted.items())


def _queue(w: World, metadata: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {"metadata": metadata} if metadata else {}
    execution = w.api.queue_ok(w.the_graph()["id"], **body)
    w.executions.append(execution)
    w.execution = execution
    return execution


def _filters(metadata: dict[str, str]) -> dict[str, str]:
    return {f"metadata.{key}": value for key, value in metadata.items()}


# -- queueing with metadata and seeing it back --------------------------------------------


def queue_with(w: World, text: str) -> None:
    _queue(w, labels(text))


def shown_everywhere(w: World, text: str) -> None:
    """The queueing answer, the execution read back and a listing by it all show it."""
    expected = labels(text)
    answer = w.focus()
    assert_that(answer["metadata"], equal_to(expected), "the queueing answer")
    assert_that(w.api.execution(answer["id"])["metadata"], equal_to(expected), "the execution")
    listed = w.api.list(**_filters(expected))["items"]
    assert_that([e["id"] for e in listed], equal_to([answer["id"]]), "the listing by it")
    assert_that(listed[0]["metadata"], equal_to(expected), "the listing")


def without_shows_none(w: World) -> None:
    answer = _queue(w, {})
    assert_that(answer["metadata"], equal_to({}))
    assert_that(w.api.execution(answer["id"])["metadata"], equal_to({}))


def queue_as_table(w: World, rows: Iterable[Any]) -> None:
    """``rows``: a table of ``metadata`` and ``count``; each row's count of executions of
    the scenario's graph, queued with its metadata."""
    for row in rows:
        for _ in range(int(row["count"])):
            _queue(w, labels(row["metadata"]))


def other_owner_queues(w: World, owner: str, count: int, text: str) -> None:
    """Another owner queues ``count`` executions of a graph of its own with the same
    metadata (they wait behind busy workers, or run: either way, not the scenario's)."""
    client = other_owner(w, owner)
    graph = client.create_graph(graph_definition(tasks=1, name=f"{owner}'s"))
    metadata = labels(text)
    graph["executions"] = [
        client.queue_ok(graph["id"], metadata=metadata)["id"] for _ in range(count)
    ]
    graph["client"] = owner
    w.graphs[owner] = graph


def queue_and_cancel(w: World, text: str) -> None:
    execution = _queue(w, labels(text))
    answer = w.api.cancel(execution["id"])
    assert_that(answer.status_code, equal_to(200), answer.text)


# -- listing by metadata ------------------------------------------------------------------------


def list_by(w: World, text: str, size: int, status: str | None = None) -> None:
    """Every page of my executions with the metadata, ``size`` at a time."""
    w.pages = []
    params: dict[str, Any] = {"limit": size, "status": status, **_filters(labels(text))}
    while True:
        page = w.api.list(**params)
        w.pages.append(page["items"])
        if not page["next_cursor"]:
            return
        params["cursor"] = page["next_cursor"]
        assert len(w.pages) <= 100, "paging does not end"


def see_exactly(w: World, count: int, text: str, pages: int) -> None:
    """Exactly my executions whose metadata include ``text``: each once, newest first, in
    ``pages`` pages; never another owner's."""
    wanted = labels(text)
    expected = [e["id"] for e in w.executions if _includes(e, wanted)]
    assert_that(expected, has_length(count), "the scenario's own count")
    seen = [e for page in w.pages for e in page]
    ids = [e["id"] for e in seen]
    assert_that(sorted({i for i in ids if ids.count(i) > 1}), empty(), "listed more than once")
    assert_that(ids, contains_inanyorder(*expected))
    stamps = [(e["created_at"], e["id"]) for e in seen]
    assert_that(stamps, equal_to(sorted(stamps, reverse=True)), "newest first")
    for execution in seen:
        assert_that(execution["metadata"], has_entries(wanted))
    assert_that(w.pages, has_length(pages))


def list_cancelled_by(w: World, text: str) -> None:
    list_by(w, text, 50, status="cancelled")


def see_that_cancelled(w: World) -> None:
    """Only the execution cancelled last (the focus) is listed."""
    listed = [e["id"] for page in w.pages for e in page]
    assert_that(listed, equal_to([w.focus()["id"]]))


# -- bad metadata, bad filters --------------------------------------------------------------

_BAD: dict[str, Any] = {
    "a metadata key with a space": {"my key": "acme"},
    "a metadata key of 65 characters": {"k" * 65: "acme"},
    "a metadata value of 513 characters": {"note": "x" * 513},
    "a metadata value that is a number": {"order": 17},
    "a metadata value with a NUL character": {"note": "a\x00b"},
    "21 metadata keys": {f"key{i}": "v" for i in range(21)},
    "metadata that is a list": ["customer", "acme"],
}


def queue_bad(w: World, name: str) -> None:
    """Remember the rows as they are, then queue with the bad metadata ``name``."""
    w.snapshot()
    w.response = w.api.queue(w.the_graph()["id"], metadata=_BAD[name])


def list_with_query(w: World, query: str) -> None:
    w.response = w.api.raw("GET", f"/api/v1/executions?{query}")


# -- bulk cancel -----------------------------------------------------------------------------


def busy_half_and_half(w: World, first: str, second: str) -> None:
    """One long execution per worker slot, half with the metadata ``first`` and half with
    ``second``, every one running (each crew stops within a step when asked)."""
    graph = w.api.create_graph(graph_definition(tasks=1, steps=600, step_seconds=0.1, name="long"))
    slots = w.stack.worker_slots
    w.blockers = [
        w.api.queue_ok(graph["id"], metadata=labels(first if i < slots // 2 else second))
        for i in range(slots)
    ]
    ids = [b["id"] for b in w.blockers]
    eventually(
        lambda: [w.api.execution(i)["status"] for i in ids],
        equal_to(["running"] * len(ids)),
        timeout=15,
        what="every worker slot busy",
    )


def cancel_by_filter(w: World, body: str) -> None:
    """Remember the rows as they are, then ask for a bulk cancel with this JSON body."""
    w.snapshot()
    w.response = w.api.raw("POST", BULK_CANCEL, json=json.loads(body))


def cancel_by(w: World, text: str) -> None:
    """Remember what was unfinished and matching, then cancel by the metadata."""
    wanted = labels(text)
    mine = [w.api.execution(e["id"]) for e in [*w.blockers, *w.executions]]
    w.before["matching"] = [
        e for e in mine if _includes(e, wanted) and e["status"] in ("queued", "running")
    ]
    w.before["others"] = [e for e in mine if not _includes(e, wanted)]
    w.response = w.api.raw("POST", BULK_CANCEL, json={"metadata": wanted})


def _answer(response: Response | None) -> dict[str, Any]:
    assert response is not None
    if response.status_code != 200:
        raise ApiError(response)
    answer: dict[str, Any] = response.json()
    return answer


def answer_names_matching(w: World) -> None:
    answer = _answer(w.response)
    expected = [e["id"] for e in w.before["matching"]]
    assert_that(answer["cancelled"], equal_to(len(expected)))
    assert_that(answer["ids"], contains_inanyorder(*expected))
    assert_that(answer["more"], equal_to(False))


def matching_cancelled_and_stopped(w: World, seconds: float) -> None:
    """Each matching execution is cancelled, with one cancellation in its history; the
    running ones' crews stop (``stopped_at``) within ``seconds``."""
    assert_that(
        [e for e in w.before["matching"] if e["status"] == "running"],
        is_not(empty()),
        "some of them were running",
    )
    for before in w.before["matching"]:
        now = w.api.execution(before["id"])
        assert_that(now, has_status("cancelled"))
        history = [e["status"] for e in w.api.events(before["id"])]
        assert_that(history.count("cancelled"), equal_to(1))
        if before["status"] == "running":
            w.await_execution(
                before["id"],
                has_entries(stopped_at=is_not(none())),
                timeout=seconds,
                what="its crew stopped",
            )


def _never_cancelled(client: ApiClient, ident: str) -> dict[str, Any]:
    """The execution, after checking that no cancellation is in its history (a waiting
    one may have started and finished meanwhile: the cancelled ones freed the workers)."""
    history = [e["status"] for e in client.events(ident)]
    assert_that(history, is_not(has_item("cancelled")), f"execution {ident}'s history")
    return client.execution(ident)


def others_untouched(w: World) -> None:
    for before in w.before["others"]:
        now = _never_cancelled(w.api, before["id"])
        if before["status"] == "running":
            assert_that(now, has_status("running"))


def other_owner_untouched(w: World) -> None:
    (owner,) = w.others
    for ident in w.graphs[owner]["executions"]:
        _never_cancelled(w.others[owner], ident)


def every_unfinished_cancelled(w: World) -> None:
    answer = _answer(w.response)
    mine = [*w.blockers, *w.executions]
    assert_that(answer["ids"], contains_inanyorder(*[e["id"] for e in mine]))
    for execution in mine:
        assert_that(w.api.execution(execution["id"]), has_status("cancelled"))


def cancel_in_calls(w: World, text: str, per_call: int) -> None:
    """Bulk cancels of ``per_call`` at most, until one says there are no more."""
    w.samples = []
    while True:
        answer = _answer(
            w.api.raw("POST", BULK_CANCEL, json={"metadata": labels(text), "limit": per_call})
        )
        w.samples.append(answer)
        if not answer["more"]:
            return
        assert len(w.samples) <= 20, "the bulk cancels do not end"


def calls_cancelled(w: World, counts: list[int]) -> None:
    assert_that([a["cancelled"] for a in w.samples], equal_to(counts))
    assert_that([a["more"] for a in w.samples], equal_to([True] * (len(counts) - 1) + [False]))
    ids = [i for a in w.samples for i in a["ids"]]
    assert_that(ids, has_length(len(set(ids))))


def all_cancelled(w: World, count: int) -> None:
    assert_that(w.executions, has_length(count))
    ids = [i for a in w.samples for i in a["ids"]]
    assert_that(ids, contains_inanyorder(*[e["id"] for e in w.executions]))
    for execution in w.executions:
        assert_that(w.api.execution(execution["id"]), has_status("cancelled"))
