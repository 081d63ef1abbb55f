"""Listing, filtering and paging executions."""

from __future__ import annotations

from typing import Any

from hamcrest import assert_that, contains_inanyorder, empty, equal_to, has_length

from .busy_workers import free_workers, occupy_workers, queue_waiting
from .executions import have_ended
from .graphs import define
from .world import World


def cancelled_while_waiting(w: World, count: int) -> None:
    occupy_workers(w)
    for _ in range(count):
        queue_waiting(w)
        w.api.cancel(w.focus()["id"])
    free_workers(w)


def named_graph_with_completed(w: World, name: str, count: int) -> None:
    graph = define(w, tasks=1, name=name)
    before = len(w.executions)
    have_ended(w, count, "completed")
    graph["executions"] = [e["id"] for e in w.executions[before:]]


def list_by_status(w: World, status: str) -> None:
    w.pages = [w.api.list(status=status, limit=500)["items"]]


def list_by_graph(w: World, name: str) -> None:
    w.pages = [w.api.list(graph_id=w.graphs[name]["id"], limit=500)["items"]]


def see_exactly_with_status(w: World, count: int, status: str) -> None:
    expected = [e["id"] for e in w.executions if e["status"] == status]
    assert_that(expected, has_length(count))
    assert_that([e["id"] for e in w.pages[0]], contains_inanyorder(*expected))


def see_exactly_of_graph(w: World, count: int, name: str) -> None:
    expected = w.graphs[name]["executions"]
    assert_that(expected, has_length(count))
    assert_that([e["id"] for e in w.pages[0]], contains_inanyorder(*expected))


def page_through(w: World, size: int, queued_meanwhile: int = 0) -> None:
    """Every page, following the cursors until the last page. ``queued_meanwhile``:
    executions queued once the first page was read (they are not the scenario's
    ``executions``: they came after the paging began)."""
    w.pages = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": size}
        if cursor:
            params["cursor"] = cursor
        page = w.api.list(**params)
        w.pages.append(page["items"])
        if len(w.pages) == 1:
            for _ in range(queued_meanwhile):
                w.api.queue_ok(w.the_graph()["id"])
        cursor = page["next_cursor"]
        if not cursor:
            break
        assert len(w.pages) <= 100, "paging does not end"


def page_count(w: World, count: int) -> None:
    assert_that(w.pages, has_length(count))


def each_once_newest_first(w: World) -> None:
    seen = [e for page in w.pages for e in page]
    ids = [e["id"] for e in seen]
    assert_that(sorted({i for i in ids if ids.count(i) > 1}), empty(), "listed more than once")
    expected = {e["id"] for e in w.executions}
    assert_that(sorted(expected - set(ids)), empty(), "never listed")
    assert_that(sorted(set(ids) - expected), empty(), "listed, but not expected")
    stamps = [(e["created_at"], e["id"]) for e in seen]
    assert_that(stamps, equal_to(sorted(stamps, reverse=True)))
