"""Strict types in request bodies: a boolean or a text is not a number (graph, script,
queue request); a whole number written 3.0 is an integer, as JSON Schema says; the
shortest timeout is 0.01 s; texts and inputs no store can keep are refused, naming where."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from execution_service.api.schemas import QueueRequest, unstorable
from execution_service.graph import GraphSpec


def graph(**changes: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "name": "g",
        "agents": [{"role": "a", "goal": "g", "backstory": "b"}],
        "tasks": [{"description": "d", "expected_output": "o", "agent": "a"}],
    }
    found.update(changes)
    return found


def refused_field(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        GraphSpec.model_validate(data)
    return ".".join(str(part) for part in caught.value.errors()[0]["loc"])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"script": {"default": {"step_seconds": False}}}, "script.default.step_seconds"),
        ({"script": {"default": {"steps": "2"}}}, "script.default.steps"),
        ({"settings": {"timeout_seconds": "60"}}, "settings.timeout_seconds"),
        ({"settings": {"timeout_seconds": True}}, "settings.timeout_seconds"),
        ({"settings": {"timeout_seconds": 5e-324}}, "settings.timeout_seconds"),
        ({"settings": {"retry": {"max_attempts": True}}}, "settings.retry.max_attempts"),
        ({"settings": {"retry": {"jitter": "0.5"}}}, "settings.retry.jitter"),
        ({"script": {"record_starts": 1}}, "script.record_starts"),
        ({"name": "a\x00b"}, "name"),
        ({"name": "a\ud800b"}, "name"),
    ],
)
def test_a_wrong_type_or_value_is_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    assert refused_field(graph(**changes)) == field


def test_whole_numbers_and_integers_are_accepted_as_json_schema_says() -> None:
    spec = GraphSpec.model_validate(
        graph(settings={"timeout_seconds": 60, "retry": {"max_attempts": 3.0}})
    )
    assert spec.settings.timeout_seconds == 60.0
    assert spec.settings.retry.max_attempts == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timeout_seconds": True}, "timeout_seconds"),
        ({"queue_timeout_seconds": "5"}, "queue_timeout_seconds"),
        ({"timeout_seconds": 5e-324}, "timeout_seconds"),
        ({"inputs": {"a": ["x", "b\x00"]}}, "inputs"),
    ],
)
def test_a_queue_request_of_the_wrong_type_is_refused(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        QueueRequest.model_validate_json(json.dumps(body))
    assert caught.value.errors()[0]["loc"][0] == field


def test_a_queue_request_names_its_priority_as_text() -> None:
    request = QueueRequest.model_validate_json(b'{"priority": "high", "timeout_seconds": 1}')
    assert request.priority.value == "high" and request.timeout_seconds == 1.0


def test_unstorable_names_where_the_value_cannot_be_kept() -> None:
    assert unstorable({"a": [1, "x", {"b": "c\x00"}]}) == (
        "inputs.a.2.b: must not contain the NUL character"
    )
    assert unstorable({"k\x00": 1}) == "inputs: a key must not contain the NUL character"
    assert unstorable({"n": float("nan")}) == "inputs.n: must be a finite number"
    assert unstorable({"n": 10**30, "s": "fine", "f": 1.5, "z": None}) is None
