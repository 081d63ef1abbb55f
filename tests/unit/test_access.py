"""API keys and owners (``service/access.py``, ``store/api_keys.py``, the owner checks of
``service/admission.py``), on a throwaway SQLite store.

Pinned here: a key is stored only as its digest and works at once; a revoked one stops
working (at once in the process that revoked it); an unknown key is never remembered;
another owner's graph cannot be queued; an owner's own limit of active executions holds
across graphs and does not touch other owners; authentication cannot be switched off on
a shared database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from execution_service.config import Settings, get_settings, use_settings
from execution_service.graph import GraphSpec
from execution_service.service import access, admission
from execution_service.service.refusals import GraphNotFound, QueueLimitReached
from execution_service.status import Status
from execution_service.store import api_keys, engine, graph_rows, transitions
from execution_service.store.migrate import upgrade
from execution_service.store.models import ApiKey

DEFINITION = {
    "name": "one task",
    "agents": [{"role": "writer", "goal": "Write", "backstory": "Writes."}],
    "tasks": [{"description": "Write", "expected_output": "Text", "agent": "writer"}],
}


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    before = get_settings()
    url = f"sqlite:///{tmp_path / 'access.sqlite3'}"
    upgrade(url)
    use_settings(Settings(database_url=url, auth_cache_seconds=60))
    engine.reset_engines()
    access.forget_keys()
    monkeypatch.setattr(admission, "publish", lambda *_a, **_k: None)
    try:
        yield
    finally:
        access.forget_keys()
        engine.reset_engines()
        use_settings(before)


def _graph(owner: str) -> uuid.UUID:
    api_keys.ensure_owner(owner)
    spec = GraphSpec.model_validate(DEFINITION)
    return graph_rows.insert_graph(spec.name, spec.model_dump(mode="json"), owner).id


def test_a_key_is_stored_only_as_its_digest_and_works_at_once(store: None) -> None:
    made = access.create_key("acme")
    with engine.read_scope() as session:
        stored = session.scalars(select(ApiKey)).one()
    assert made.secret.startswith(access.KEY_PREFIX)
    assert made.secret not in (stored.digest, stored.prefix)
    assert stored.digest == access.digest(made.secret)
    assert access.authenticate(made.secret) == access.Principal("acme", admin=False)


def test_a_revoked_key_stops_working(store: None) -> None:
    made = access.create_key("acme", admin=True)
    assert access.authenticate(made.secret) == access.Principal("acme", admin=True)
    access.revoke_key(made.row.id)
    assert access.authenticate(made.secret) is None
    assert api_keys.list_keys("acme")[0].revoked_at is not None


def test_a_key_that_differs_by_one_character_is_refused(store: None) -> None:
    made = access.create_key("acme")
    last = made.secret[-1]
    other = made.secret[:-1] + ("A" if last != "A" else "B")
    assert access.authenticate(other) is None
    assert access.authenticate("") is None
    assert access.authenticate(made.secret[4:]) is None  # without its prefix


def test_an_unknown_key_is_not_remembered(store: None) -> None:
    assert access.authenticate("cex_" + "x" * 43) is None
    assert access.recently_seen("cex_" + "x" * 43) is None


def test_another_owners_graph_cannot_be_queued(store: None) -> None:
    graph = _graph("acme")
    (refused,) = admission.admit([admission.QueueOrder(graph, "someone-else")])
    assert isinstance(refused, GraphNotFound)
    (queued,) = admission.admit([admission.QueueOrder(graph, "acme")])
    assert isinstance(queued, dict) and queued["status"] == "queued"


def test_an_owners_limit_holds_across_its_graphs_and_only_for_it(store: None) -> None:
    first, second, theirs = _graph("acme"), _graph("acme"), _graph("other")
    assert api_keys.set_owner_limit("acme", 2)
    assert not api_keys.set_owner_limit("nobody", 2)
    answers = admission.admit(
        [
            admission.QueueOrder(first, "acme"),
            admission.QueueOrder(second, "acme"),
            admission.QueueOrder(second, "acme"),
            admission.QueueOrder(theirs, "other"),
        ]
    )
    assert [type(a).__name__ for a in answers] == ["dict", "dict", "QueueLimitReached", "dict"]
    refused = answers[2]
    assert isinstance(refused, QueueLimitReached)
    assert refused.details == {
        "graph_id": str(second),
        "limit_of": "owner",
        "active": 2,
        "limit": 2,
    }
    assert refused.headers["Retry-After"]
    assert "acme" in refused.message


def test_an_owners_ended_executions_free_its_limit(store: None) -> None:
    """The owner's active count (read from the kept counts) follows every status change:
    an execution that ends makes room, one that is still queued or running does not."""
    graph = _graph("acme")
    assert api_keys.set_owner_limit("acme", 2)
    made = admission.admit([admission.QueueOrder(graph, "acme") for _ in range(3)])
    assert [type(a).__name__ for a in made] == ["dict", "dict", "QueueLimitReached"]
    first = made[0]
    assert isinstance(first, dict)
    with engine.session_scope() as session:
        assert transitions.transition(session, uuid.UUID(str(first["id"])), Status.RUNNING)
    again = admission.admit([admission.QueueOrder(graph, "acme")])
    assert isinstance(again[0], QueueLimitReached)  # running still counts
    with engine.session_scope() as session:
        assert transitions.transition(session, uuid.UUID(str(first["id"])), Status.COMPLETED)
    after = admission.admit([admission.QueueOrder(graph, "acme") for _ in range(2)])
    assert [type(a).__name__ for a in after] == ["dict", "QueueLimitReached"]


def test_authentication_cannot_be_switched_off_on_a_shared_database() -> None:
    with pytest.raises(ValidationError, match="EXEC_AUTH=disabled"):
        Settings(auth="disabled", database_url="postgresql+psycopg://u@127.0.0.1/x")
    assert Settings(auth="disabled", database_url="sqlite:///x.sqlite3").auth == "disabled"
