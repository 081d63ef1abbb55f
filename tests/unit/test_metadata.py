"""Metadata (``execution_service/metadata.py``, the request models of ``api/schemas.py``):
its bounds, the names an error gives, the listing's filters read from query parameters;
and, on a throwaway SQLite database, the store's side of it: executions queued with
metadata are found by one key or several, page after page, only the owner's; a bulk
cancel moves only what it matches and still may move."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from execution_service import config
from execution_service import metadata as labels
from execution_service.api.app import create_app
from execution_service.api.schemas import BulkCancel, QueueRequest
from execution_service.service.idempotency import request_digest
from execution_service.status import ACTIVE, Status
from execution_service.store import execution_changes, queueing
from execution_service.store.engine import make_engine, reset_engines
from execution_service.store.execution_reads import Match, decode_cursor, matching_ids, read_page
from execution_service.store.migrate import upgrade
from execution_service.store.models import Execution, ExecutionMetadata, Graph, Owner

# -- the pure rules ---------------------------------------------------------------------


def test_the_bounds_are_accepted() -> None:
    most = {f"k{i}": "v" * labels.MAX_VALUE_CHARS for i in range(labels.MAX_KEYS)}
    assert labels.check(most) == most
    edge = {"a" * labels.MAX_KEY_CHARS: "", "A-z_0.9": "x"}
    assert labels.check(edge) == edge


@pytest.mark.parametrize(
    ("metadata", "field", "says"),
    [
        ({f"k{i}": "v" for i in range(21)}, "metadata", "at most 20 keys"),
        ({"my key": "v"}, "metadata.my key", "a key is 1 to 64 characters"),
        ({"": "v"}, "metadata.", "a key is 1 to 64 characters"),
        ({"k/1": "v"}, "metadata.k/1", "a key is"),
        ({"k" * 65: "v"}, "metadata." + "k" * 64 + "...", "a key is"),
        ({"note": "x" * 513}, "metadata.note", "at most 512 characters; this one has 513"),
        ({"note": "a\x00b"}, "metadata.note", "NUL"),
    ],
)
def test_bad_metadata_is_refused_naming_it(metadata: dict[str, str], field: str, says: str) -> None:
    with pytest.raises(labels.MetadataError) as refused:
        labels.check(metadata)
    assert refused.value.field == field
    assert says in refused.value.message


def test_filters_are_read_from_the_query_and_nothing_else() -> None:
    params = [
        ("status", "queued"),
        ("metadata.customer", "acme"),
        ("metadata[plan]", "gold"),
        ("metadata.a.b", ""),
        ("limit", "5"),
        ("metadatax", "ignored as any unknown parameter"),
    ]
    assert labels.parse_filters(params) == {"customer": "acme", "plan": "gold", "a.b": ""}
    assert labels.parse_filters([("cursor", "x")]) == {}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ([("metadata", "acme")], "metadata"),
        ([("metadata[customer", "acme")], "metadata[customer"),
        ([("metadata.customer", "a"), ("metadata[customer]", "b")], "metadata.customer"),
        ([("metadata.customer", "a"), ("metadata.customer", "a")], "metadata.customer"),
        ([("metadata.my key", "a")], "metadata.my key"),
        ([("metadata.note", "x" * 513)], "metadata.note"),
        ([(f"metadata.k{i}", "v") for i in range(21)], "metadata"),
    ],
)
def test_bad_filters_are_refused_naming_them(params: list[tuple[str, str]], field: str) -> None:
    with pytest.raises(labels.MetadataError) as refused:
        labels.parse_filters(params)
    assert refused.value.field == field


def _errors(model: Any, body: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate_json(json.dumps(body))
    return [(error["loc"], error["msg"]) for error in refused.value.errors()]


def test_the_queue_request_names_the_key_of_bad_metadata() -> None:
    assert QueueRequest.model_validate_json(b"{}").metadata == {}
    ok = QueueRequest.model_validate_json(b'{"metadata": {"customer": "acme"}}')
    assert ok.metadata == {"customer": "acme"}
    assert _errors(QueueRequest, {"metadata": {"order": 17}})[0][0] == ("metadata", "order")
    assert _errors(QueueRequest, {"metadata": {"note": "x" * 513}})[0][0] == ("metadata", "note")
    assert _errors(QueueRequest, {"metadata": {"note": "\x00"}})[0][0] == ("metadata", "note")
    assert _errors(QueueRequest, {"metadata": {"my key": "v"}})[0][0][:2] == ("metadata", "my key")
    many = {"metadata": {f"k{i}": "v" for i in range(21)}}
    assert _errors(QueueRequest, many)[0][0] == ("metadata",)


def test_a_bulk_cancel_names_only_unfinished_statuses_and_a_bounded_limit() -> None:
    assert BulkCancel.model_validate({"status": "running"}).status == "running"
    assert _errors(BulkCancel, {"status": "completed"})[0][0] == ("status",)
    assert _errors(BulkCancel, {"limit": 1001})[0][0] == ("limit",)
    assert _errors(BulkCancel, {"colour": "red"})[0][0] == ("colour",)
    assert _errors(BulkCancel, {"created_before": "2025-01-01T00:00:00"})[0][0] == (
        "created_before",
    )  # a time without an offset is ambiguous: refused
    assert _errors(BulkCancel, {"created_after": 0})[0][0] == ("created_after",)
    after = BulkCancel.model_validate({"created_after": "2026-12-01T10:00:00+01:00"})
    assert after.created_after == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_the_openapi_document_declares_the_filter_and_the_bulk_cancel() -> None:
    document = create_app().openapi()
    listing = document["paths"]["/api/v1/executions"]["get"]
    (metadata,) = [p for p in listing["parameters"] if p["name"] == "metadata"]
    assert metadata["style"] == "deepObject" and metadata["in"] == "query"
    assert metadata["schema"]["maxProperties"] == labels.MAX_KEYS
    bulk = document["paths"]["/api/v1/executions/cancel"]["post"]
    assert {"200", "401", "422"} <= set(bulk["responses"])
    execution = document["components"]["schemas"]["Execution"]
    assert "metadata" in execution["required"]


def test_an_idempotency_key_tells_requests_with_other_metadata_apart() -> None:
    graph = uuid.uuid4()
    plain = request_digest(graph, {"a": 1}, "normal", None, None)
    assert request_digest(graph, {"a": 1}, "normal", None, None, {}) == plain
    acme = request_digest(graph, {"a": 1}, "normal", None, None, {"customer": "acme"})
    assert acme != plain
    assert acme != request_digest(graph, {"a": 1}, "normal", None, None, {"customer": "xy"})


def test_the_bulk_cancel_path_answers_405_to_other_methods() -> None:
    app = create_app()
    app.state.schema_gate.at_head = True  # no database here: the schema's 503 is not tested
    with TestClient(app) as client:
        for method in ("GET", "HEAD", "PATCH", "PUT", "DELETE", "OPTIONS"):
            answer = client.request(method, "/api/v1/executions/cancel")
            assert answer.status_code == 405, method
            assert answer.headers["Allow"] == "POST"
            if method != "HEAD":
                assert answer.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_a_whole_number_limit_is_an_integer() -> None:
    assert BulkCancel.model_validate_json(b'{"all": true, "limit": 174.0}').limit == 174
    assert _errors(BulkCancel, {"all": True, "limit": True})[0][0] == ("limit",)


# -- the store ---------------------------------------------------------------------------

BASE = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


class Store:
    """A throwaway SQLite database, migrated as shipped, the store's settings point at."""

    def __init__(self, folder: Path) -> None:
        self.url = f"sqlite:///{folder / 'metadata.sqlite3'}"
        upgrade(self.url)
        self.engine = make_engine(self.url)
        with Session(self.engine) as session, session.begin():
            for owner in ("mine", "theirs"):
                session.add(Owner(name=owner))
            session.flush()
            self.graphs = {}
            for owner in ("mine", "theirs"):
                graph = Graph(owner=owner, name="g", definition={})
                session.add(graph)
                session.flush()
                self.graphs[owner] = graph.id

    def queue(self, owner: str, metadata: dict[str, str], at: datetime) -> uuid.UUID:
        """An execution queued as admission queues one (its metadata rows with it)."""
        row: dict[str, Any] = {
            "id": uuid.uuid4(),
            "graph_id": self.graphs[owner],
            "owner": owner,
            "status": "queued",
            "priority": "normal",
            "inputs": {},
            "max_attempts": 1,
            "attempt": 0,
            "progress_percent": 0.0,
            "created_at": at,
            "dispatched_at": at,
            "user_metadata": metadata or None,
        }
        candidate = queueing.Candidate(self.graphs[owner], row, 10_000)
        (outcome,) = queueing.insert_within_limits([candidate], 10_000, at - timedelta(days=1))
        assert outcome is row
        ident: uuid.UUID = row["id"]
        return ident

    def metadata_rows(self) -> int:
        with Session(self.engine) as session:
            return session.scalar(select(func.count()).select_from(ExecutionMetadata)) or 0

    def status(self, ident: uuid.UUID) -> str:
        with Session(self.engine) as session:
            found = session.get(Execution, ident)
            assert found is not None
            return found.status


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            config,
            "_settings",
            config.Settings(database_url=f"sqlite:///{tmp_path}/metadata.sqlite3"),
        )
        reset_engines()
        found = Store(tmp_path)
        yield found
    reset_engines()
    found.engine.dispose()


def _listed(match: Match, size: int) -> list[list[uuid.UUID]]:
    pages: list[list[uuid.UUID]] = []
    after = None
    while True:
        page, cursor = read_page(match, size, after)
        pages.append([execution.id for execution in page])
        if cursor is None:
            return pages
        assert len(pages) <= 100, "paging does not end"
        after = decode_cursor(cursor)


def test_listing_by_metadata_pages_through_exactly_the_owners_matches(store: Store) -> None:
    kinds = [
        {"customer": "acme", "plan": "gold"},
        {"customer": "acme", "plan": "free"},
        {"customer": "globex", "plan": "gold"},
        {},
    ]
    made: list[tuple[uuid.UUID, dict[str, str]]] = []
    for index in range(24):
        metadata = kinds[index % len(kinds)]
        # pairs share a creation time: ties are broken by id, as in any listing
        at = BASE + timedelta(seconds=index // 2)
        made.append((store.queue("mine", metadata, at), metadata))
        store.queue("theirs", {"customer": "acme", "plan": "gold"}, at)
    assert store.metadata_rows() == 18 * 2 + 24 * 2  # one row per key, none without

    def expected(wanted: dict[str, str]) -> list[uuid.UUID]:
        rows = [
            (BASE + timedelta(seconds=i // 2), ident)
            for i, (ident, metadata) in enumerate(made)
            if all(metadata.get(k) == v for k, v in wanted.items())
        ]
        return [ident for _, ident in sorted(rows, reverse=True)]

    for wanted in ({"customer": "acme"}, {"customer": "acme", "plan": "gold"}, {"plan": "gold"}):
        for size in (1, 4, 50):
            pages = _listed(Match("mine", metadata=wanted), size)
            assert [i for page in pages for i in page] == expected(wanted), (wanted, size)
    assert _listed(Match("mine", metadata={"customer": "nobody"}), 5) == [[]]
    assert _listed(Match("nobody", metadata={"customer": "acme"}), 5) == [[]]


def test_a_bulk_cancel_moves_only_what_matches_and_may_still_move(store: Store) -> None:
    acme = [
        store.queue("mine", {"customer": "acme"}, BASE + timedelta(seconds=i)) for i in range(5)
    ]
    other = store.queue("mine", {"customer": "globex"}, BASE)
    theirs = store.queue("theirs", {"customer": "acme"}, BASE)
    match = Match("mine", statuses=sorted(s.value for s in ACTIVE), metadata={"customer": "acme"})
    assert matching_ids(match, 3) == acme[:3]  # oldest first, bounded
    # one of them finished meanwhile: the compare-and-set leaves it as it is
    with Session(store.engine) as session, session.begin():
        finished = session.get(Execution, acme[0])
        assert finished is not None
        finished.status = Status.COMPLETED.value
    moved = execution_changes.cancel_many(acme, ACTIVE)
    assert moved == acme[1:]
    assert [store.status(i) for i in acme] == ["completed"] + ["cancelled"] * 4
    assert store.status(other) == "queued"
    assert store.status(theirs) == "queued"
    assert matching_ids(match, 10) == []
    # a narrower status list is respected: a queued one is not cancelled as "running"
    assert execution_changes.cancel_many([other], {Status.RUNNING}) == []
    assert store.status(other) == "queued"
