"""The OpenAPI document (``api/openapi.py``): every error answer is the one envelope,
401 and 413 are on every operation, the settings' limits are in it; and the 405 answer's
``Allow`` names every method of the path."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.openapi.utils import get_openapi
from fastapi.testclient import TestClient

from execution_service.api.app import create_app
from execution_service.api.openapi import finish
from execution_service.config import Settings, get_settings


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


def test_every_error_answer_is_the_error_envelope(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        for status, answer in operation["responses"].items():
            if int(status) >= 400:
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, method, status)
    assert "HTTPValidationError" not in str(document["paths"])


def test_every_api_operation_may_answer_401_and_every_operation_413(
    document: dict[str, Any],
) -> None:
    for path, method, operation in operations(document):
        responses = operation["responses"]
        assert "413" in responses, (path, method)
        if path.startswith("/api/v1/"):
            assert "WWW-Authenticate" in responses["401"]["headers"], (path, method)


def test_each_route_documents_what_it_answers(document: dict[str, Any]) -> None:
    paths = document["paths"]
    queue = paths["/api/v1/graphs/{graph_id}/executions"]["post"]["responses"]
    assert {"202", "400", "404", "422", "429", "503"} <= set(queue)
    assert queue["429"]["headers"]["Retry-After"]["required"] is True
    assert "Location" in queue["202"]["headers"]
    assert {"200", "404", "409", "422"} <= set(
        paths["/api/v1/executions/{execution_id}"]["patch"]["responses"]
    )
    assert "403" in paths["/api/v1/circuit-breakers/{name}/reset"]["post"]["responses"]
    page = paths["/api/v1/executions"]["get"]["responses"]["200"]["content"]["application/json"]
    assert page["schema"] == {"$ref": "#/components/schemas/ExecutionPage"}


def test_the_settings_limits_are_in_the_document(document: dict[str, Any]) -> None:
    settings = Settings(max_timeout_seconds=600, max_inputs_bytes=1000, max_body_bytes=5000)
    app = create_app()
    finished = finish(get_openapi(title="t", version="1", routes=app.routes), settings)
    body = finished["paths"]["/api/v1/graphs/{graph_id}/executions"]["post"]["requestBody"]
    request = body["content"]["application/json"]["schema"]["anyOf"][0]["properties"]
    number = request["timeout_seconds"]["anyOf"][0]
    assert number["maximum"] == 600 and number["minimum"] == 0.01
    assert request["inputs"]["x-max-bytes"] == 1000
    assert finished["info"]["x-max-body-bytes"] == 5000
    assert "5000 bytes" in finished["paths"]["/healthz"]["get"]["responses"]["413"]["description"]
    # the running settings' values in the served document
    served = document["paths"]["/api/v1/graphs/{graph_id}/executions"]["post"]["requestBody"]
    served_request = served["content"]["application/json"]["schema"]["anyOf"][0]["properties"]
    assert (
        served_request["timeout_seconds"]["anyOf"][0]["maximum"]
        == get_settings().max_timeout_seconds
    )


def test_the_graph_limits_are_in_the_document(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    spec = schemas["GraphSpec"]["properties"]
    assert spec["agents"]["maxItems"] == 50 and spec["tasks"]["maxItems"] == 200
    task = schemas["TaskSpec"]["properties"]
    assert task["context"]["maxItems"] == 200
    settings = schemas["GraphSettings"]["properties"]["timeout_seconds"]["anyOf"][0]
    assert settings["minimum"] == 0.01 and settings["maximum"] == 86400
    # the scripted crew's limits, where it is enabled
    step = _graph_schemas(Settings(scripted_runner_enabled=True))["ScriptTask"]["properties"][
        "step_seconds"
    ]
    assert step["type"] == "number" and step["maximum"] == 3600


def test_a_405_allows_every_method_of_the_path() -> None:
    client = TestClient(create_app())
    answer = client.put(f"/api/v1/graphs/{uuid.uuid4()}")
    assert answer.status_code == 405
    assert answer.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert set(answer.headers["allow"].split(", ")) == {"DELETE", "GET"}
    answer = client.delete("/api/v1/executions")
    assert answer.headers["allow"] == "GET"


def test_a_body_past_the_limit_is_refused_before_any_route_runs() -> None:
    client = TestClient(create_app())
    answer = client.post(
        "/api/v1/graphs",
        content=b"x" * (get_settings().max_body_bytes + 1),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "BODY_TOO_LARGE"


def _graph_schemas(settings: Settings) -> dict[str, Any]:
    app = create_app()
    finished = finish(get_openapi(title="t", version="1", routes=app.routes), settings)
    schemas: dict[str, Any] = finished["components"]["schemas"]
    return schemas


def test_the_document_names_only_what_the_operator_allows() -> None:
    policy = {
        "endpoints": {"https://api.openai.com/v1": ["OPENAI_API_KEY"]},
        "keys_without_base_url": ["ANTHROPIC_API_KEY"],
    }
    schemas = _graph_schemas(Settings.model_validate({"provider_policy": policy}))
    llm = schemas["LLMSpec"]["properties"]
    assert llm["base_url"]["anyOf"][0]["enum"] == ["https://api.openai.com/v1"]
    assert llm["api_key_env"]["anyOf"][0]["enum"] == ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"]
    # the scripted crew is off by default: neither its script nor its runner is offered
    graph = schemas["GraphSpec"]["properties"]
    assert "script" not in graph and "CrewScript" not in schemas
    assert graph["runner"]["anyOf"][0]["enum"] == ["crewai"]


def test_with_no_policy_a_graph_names_no_endpoint_and_no_key() -> None:
    schemas = _graph_schemas(Settings(scripted_runner_enabled=True))
    llm = schemas["LLMSpec"]["properties"]
    assert llm["base_url"]["anyOf"] == [{"type": "null"}]
    assert llm["api_key_env"]["anyOf"] == [{"type": "null"}]
    graph = schemas["GraphSpec"]["properties"]
    assert "script" in graph and "scripted" in graph["runner"]["anyOf"][0]["enum"]
