"""Paging through executions (``execution_service.store.execution_reads.read_page``) when
several share one creation time.

The API stamps each execution with the moment its request arrived, so it cannot make two
with equal ``created_at`` on demand; a busy service can (and PostgreSQL keeps only
microseconds). Here the executions are written straight into a throwaway SQLite database
(migrated, as shipped) with the creation times each test wants, and read back page after
page through the cursors ``read_page`` hands out, as the API does: every execution comes
exactly once, newest first, executions created at the same moment ordered by id
(descending), whatever the page size. No API and no broker: the property is the store's.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from execution_service import config
from execution_service.status import Status
from execution_service.store.engine import make_engine, reset_engines
from execution_service.store.execution_reads import Match, decode_cursor, read_page
from execution_service.store.migrate import upgrade
from execution_service.store.models import Execution, Graph

# a whole second, and moments one microsecond apart around another: a cursor that lost
# precision, or a comparison that did, would skip or repeat executions between them
BASE = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
MOMENTS = [
    BASE,
    BASE + timedelta(seconds=1, microseconds=500_000),
    BASE + timedelta(seconds=1, microseconds=500_001),
    BASE + timedelta(seconds=2),
]

Row = tuple[datetime, uuid.UUID]


class Store:
    """A throwaway SQLite database the service's store reads (its settings point there)."""

    def __init__(self, folder: Path) -> None:
        self.url = f"sqlite:///{folder / 'paging.sqlite3'}"
        upgrade(self.url)
        self.engine = make_engine(self.url)

    def graph_with(self, executions: list[tuple[datetime, str]]) -> tuple[uuid.UUID, list[Row]]:
        """A new graph with one execution per ``(created_at, status)``; its id, and each
        execution's ``(created_at, id)``."""
        with Session(self.engine) as session, session.begin():
            graph = Graph(owner="local", name="paging", definition={})
            session.add(graph)
            session.flush()
            rows = [
                Execution(
                    owner="local",
                    graph_id=graph.id,
                    status=status,
                    priority="normal",
                    inputs={},
                    created_at=created,
                )
                for created, status in executions
            ]
            session.add_all(rows)
            session.flush()
            return graph.id, [(row.created_at, row.id) for row in rows]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    found = Store(tmp_path_factory.mktemp("paging"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(config, "_settings", config.Settings(database_url=found.url))
        yield found
    reset_engines()
    found.engine.dispose()


def page_through(
    graph_id: uuid.UUID, size: int, status: str | None = None
) -> list[list[uuid.UUID]]:
    """Every page, from the first to the one without a next cursor, as the API reads them."""
    pages: list[list[uuid.UUID]] = []
    after = None
    while True:
        match = Match("local", [status] if status else None, graph_id)
        page, cursor = read_page(match, size, after)
        pages.append([execution.id for execution in page])
        if cursor is None:
            return pages
        assert len(pages) <= 1000, "paging does not end"
        after = decode_cursor(cursor)


def newest_first(rows: list[Row]) -> list[uuid.UUID]:
    """The order a listing must follow: newest first, ties by id, descending."""
    return [ident for _, ident in sorted(rows, reverse=True)]


def check_pages(pages: list[list[uuid.UUID]], rows: list[Row], size: int) -> None:
    listed = [ident for page in pages for ident in page]
    assert len(listed) == len(set(listed)), "an execution was listed twice"
    assert listed == newest_first(rows)
    assert all(len(page) == size for page in pages[:-1]), [len(p) for p in pages]
    assert len(pages) == max(1, math.ceil(len(rows) / size)), "a page too many or too few"


# five executions at one moment, four at another, two at a third, one alone
TIES = [MOMENTS[0]] * 5 + [MOMENTS[1]] * 4 + [MOMENTS[2]] + [MOMENTS[3]] * 2


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6, 11, 12, 13])
def test_executions_sharing_a_creation_time_are_each_listed_once(store: Store, size: int) -> None:
    graph_id, rows = store.graph_with([(created, "completed") for created in TIES])
    check_pages(page_through(graph_id, size), rows, size)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8])
def test_executions_all_created_at_one_moment_are_listed_by_id(store: Store, size: int) -> None:
    graph_id, rows = store.graph_with([(BASE, "queued")] * 8)
    pages = page_through(graph_id, size)
    check_pages(pages, rows, size)
    assert [i for page in pages for i in page] == sorted((i for _, i in rows), reverse=True)


def test_a_status_filter_pages_through_ties_too(store: Store) -> None:
    statuses = ["completed", "failed"] * 6
    graph_id, rows = store.graph_with(list(zip(TIES, statuses, strict=True)))
    failed = [row for row, status in zip(rows, statuses, strict=True) if status == "failed"]
    check_pages(page_through(graph_id, 2, status="failed"), failed, 2)


executions = st.lists(
    st.tuples(st.sampled_from(MOMENTS), st.sampled_from([Status.QUEUED, Status.COMPLETED])),
    max_size=24,
)


@settings(database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    chosen=executions,
    size=st.integers(min_value=1, max_value=9),
    status=st.sampled_from([None, Status.QUEUED]),
)
def test_any_page_size_lists_every_execution_once_newest_first(
    store: Store, chosen: list[tuple[datetime, Status]], size: int, status: Status | None
) -> None:
    graph_id, rows = store.graph_with([(created, s.value) for created, s in chosen])
    wanted = [row for row, (_, s) in zip(rows, chosen, strict=True) if status in (None, s)]
    check_pages(
        page_through(graph_id, size, None if status is None else status.value), wanted, size
    )
