"""The bearer key at the API's door (``api/auth.py``), through the ASGI app on a
throwaway SQLite store: no key and a wrong key are 401 with ``WWW-Authenticate`` on every
``/api/v1`` route, before anything else is looked at; the health check and the OpenAPI
document need no key; ``EXEC_AUTH=disabled`` makes every caller the owner ``local``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from execution_service.api.app import create_app
from execution_service.config import Settings, get_settings, use_settings
from execution_service.service import access
from execution_service.store import engine
from execution_service.store.migrate import upgrade

ROUTES = [
    ("POST", "/api/v1/graphs"),
    ("GET", "/api/v1/graphs/00000000-0000-0000-0000-000000000000"),
    ("DELETE", "/api/v1/graphs/00000000-0000-0000-0000-000000000000"),
    ("POST", "/api/v1/graphs/00000000-0000-0000-0000-000000000000/executions"),
    ("GET", "/api/v1/executions"),
    ("GET", "/api/v1/executions/00000000-0000-0000-0000-000000000000"),
    ("PATCH", "/api/v1/executions/00000000-0000-0000-0000-000000000000"),
    ("GET", "/api/v1/executions/00000000-0000-0000-0000-000000000000/events"),
    ("POST", "/api/v1/executions/00000000-0000-0000-0000-000000000000/cancel"),
    ("GET", "/api/v1/queue/stats"),
    ("GET", "/api/v1/circuit-breakers"),
    ("POST", "/api/v1/circuit-breakers/x/reset"),
]


def _client(tmp_path: Path, **settings: object) -> Iterator[TestClient]:
    before = get_settings()
    url = f"sqlite:///{tmp_path / 'auth.sqlite3'}"
    upgrade(url)
    use_settings(Settings(database_url=url, **settings))  # type: ignore[arg-type]
    engine.reset_engines()
    access.forget_keys()
    try:
        with TestClient(create_app()) as client:
            yield client
    finally:
        access.forget_keys()
        engine.reset_engines()
        use_settings(before)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(tmp_path)


@pytest.fixture
def open_client(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(tmp_path, auth="disabled")


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_no_key_is_refused_on_every_route(client: TestClient, method: str, path: str) -> None:
    answer = client.request(method, path, content=b"{not json")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "UNAUTHENTICATED"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer cex_" + "x" * 43, "Bearer ", "Basic dXNlcjpwdw=="])
def test_a_wrong_key_is_refused(client: TestClient, header: str) -> None:
    answer = client.get("/api/v1/executions", headers={"Authorization": header})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "UNAUTHENTICATED"


def test_a_key_made_by_the_operator_is_let_in(client: TestClient) -> None:
    key = access.create_key("acme").secret
    answer = client.get("/api/v1/executions", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200
    assert answer.json() == {"items": [], "next_cursor": None}


def test_health_and_the_api_document_need_no_key(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
    document = client.get("/openapi.json").json()
    assert "ApiKey" in document["components"]["securitySchemes"]


def test_with_authentication_disabled_everyone_is_the_local_owner(
    open_client: TestClient,
) -> None:
    answer = open_client.get("/api/v1/executions")
    assert answer.status_code == 200
    # the local owner is an operator: it may reset a circuit (none exists: 404, not 403)
    assert open_client.post("/api/v1/circuit-breakers/x/reset").status_code == 404
