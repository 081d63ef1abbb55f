"""Request bodies of the HTTP API."""

from __future__ import annotations

import json
import math
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi.exceptions import RequestValidationError
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from execution_service import metadata as labels
from execution_service.config import get_settings
from execution_service.crews.scripted.script import Integer
from execution_service.graph import MIN_TIMEOUT_SECONDS, Webhooks
from execution_service.priorities import Priority
from execution_service.service.idempotency import HEADER, key_problem
from execution_service.usage import Budget


def unstorable(value: Any, path: str = "inputs") -> str | None:
    """Where a JSON value holds something no store keeps (a NUL character, which
    PostgreSQL refuses in text and JSON; a number that is not finite, which JSON cannot
    say), as ``inputs.a.0: why``; None when it holds nothing of the kind."""
    if isinstance(value, str):
        return f"{path}: must not contain the NUL character" if "\x00" in value else None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{path}: must be a finite number"
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                return f"{path}: a key must not contain the NUL character"
            found = unstorable(item, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = unstorable(item, f"{path}.{index}")
            if found:
                return found
    return None


def _no_nul(value: str) -> str:
    problem = labels.value_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# an execution's metadata (execution_service/metadata.py): an error names its key,
# ``metadata.<key>``; the bounds are in the OpenAPI document
MetadataKey = Annotated[str, StringConstraints(pattern=labels.KEY_PATTERN)]
MetadataValue = Annotated[
    str, StringConstraints(max_length=labels.MAX_VALUE_CHARS), AfterValidator(_no_nul)
]
Metadata = Annotated[
    dict[MetadataKey, MetadataValue],
    Field(
        max_length=labels.MAX_KEYS,
        description=f"Your own labels: at most {labels.MAX_KEYS} keys of 1 to "
        f"{labels.MAX_KEY_CHARS} characters [A-Za-z0-9_.-], each value a string of at most "
        f"{labels.MAX_VALUE_CHARS} characters.",
        json_schema_extra={"additionalProperties": False},
    ),
]


class QueueRequest(BaseModel):
    # strict: a boolean or a string is not a number (JSON mode: a priority is its name)
    model_config = ConfigDict(extra="forbid", strict=True)

    inputs: dict[str, Any] = Field(default_factory=dict)
    priority: Priority = Priority.NORMAL
    # the maximum is the running settings' max_timeout_seconds (checked below, and
    # written into the OpenAPI document by api/openapi.py)
    timeout_seconds: float | None = Field(default=None, ge=MIN_TIMEOUT_SECONDS)
    queue_timeout_seconds: float | None = Field(default=None, ge=MIN_TIMEOUT_SECONDS)
    metadata: Metadata = Field(default_factory=dict)
    # where to deliver which events of this execution (instead of the graph's webhooks);
    # the operator's outbound policy is checked at admission (422 ``webhooks.<i>.url``)
    webhooks: Webhooks | None = None
    # what this execution may spend on model calls; with the graph's settings.budget the
    # smaller of each field counts
    budget: Budget | None = None

    @field_validator("inputs")
    @classmethod
    def _inputs_fit(cls, value: dict[str, Any]) -> dict[str, Any]:
        limit = get_settings().max_inputs_bytes
        size = len(
            json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode(
                "utf-8", "surrogatepass"
            )
        )
        if size > limit:
            raise ValueError(f"inputs are {size} bytes; at most {limit} are accepted")
        problem = unstorable(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("timeout_seconds", "queue_timeout_seconds")
    @classmethod
    def _timeout_fits(cls, value: float | None) -> float | None:
        limit = get_settings().max_timeout_seconds
        if value is not None and value > limit:
            raise ValueError(f"at most {limit:g} seconds are accepted")
        return value


def _time_text(value: Any) -> Any:
    """A time in a body is an ISO 8601 text (a number is not taken for a Unix time)."""
    if isinstance(value, str | datetime):
        return value
    raise ValueError("a time is an ISO 8601 text with an offset, such as 2026-12-01T10:00:00Z")


When = Annotated[AwareDatetime, BeforeValidator(_time_text)]


# a bulk cancel names at least one filter, or ``all: true`` (else 422): said in JSON Schema
_SOME_FILTER: dict[str, Any] = {
    "anyOf": [
        *(
            {"required": [name], "properties": {name: {"type": "string"}}}
            for name in ("status", "graph_id", "created_before", "created_after")
        ),
        {"required": ["metadata"], "properties": {"metadata": {"minProperties": 1}}},
        {"required": ["all"], "properties": {"all": {"const": True}}},
    ]
}


class BulkCancel(BaseModel):
    """Which of the caller's unfinished executions to cancel: every filter given must
    match (an empty filter is refused unless ``all`` is true)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_SOME_FILTER)

    status: Literal["queued", "running", "retrying"] | None = Field(
        default=None, description="Only executions in this status; none: any unfinished one."
    )
    graph_id: uuid.UUID | None = None
    metadata: Metadata = Field(default_factory=dict)
    created_before: When | None = Field(
        default=None, description="Queued before this time (ISO 8601 with an offset)."
    )
    created_after: When | None = Field(
        default=None, description="Queued at or after this time (ISO 8601 with an offset)."
    )
    all: bool = Field(
        default=False,
        strict=True,
        description="true with no other filter: every unfinished execution of yours.",
    )
    limit: Integer = Field(
        default=1000,
        ge=1,
        le=1000,
        description="At most this many are cancelled per call; `more` says whether "
        "others matched (call again).",
    )


class RerunRequest(BaseModel):
    """A rerun of a finished execution (``POST /executions/{id}/rerun``)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    from_task: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None,
        description="The task to start from (its name, or `task <n>` for an unnamed one): "
        "the original's outputs of the tasks before it are re-used, not run again. "
        "None: from the first task.",
    )


class ExecutionChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priority: Priority


# The busiest route reads its body itself: pydantic parses and validates the JSON in one
# pass, without FastAPI's dependency machinery (a third of the event loop's time per
# queue request). Errors are the same: 400 MALFORMED_JSON, 422 naming the field.
def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema with its ``$defs`` written in place (the OpenAPI document has no
    ``#/$defs`` for its references to point at)."""
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return {**inline(defs[ref.removeprefix("#/$defs/")]), **rest}
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    result: dict[str, Any] = inline(schema)
    return result


# no body, or ``null``, asks for the defaults
QUEUE_REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {
                "schema": {"anyOf": [_inlined(QueueRequest.model_json_schema()), {"type": "null"}]}
            }
        },
    }
}


def parse_queue_request(body: bytes) -> QueueRequest:
    """The request's body as a :class:`QueueRequest`; an empty body (or ``null``) asks for
    the defaults."""
    if not body.strip() or body.strip() == b"null":
        return QueueRequest()
    try:
        return QueueRequest.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        ) from exc


def parse_idempotency_key(values: list[str]) -> str | None:
    """The request's ``Idempotency-Key`` (its values, as the headers hold them), or None
    without one; a bad one (empty, too long, not visible ASCII, given twice) is a 422
    naming the header."""
    if not values:
        return None
    problem = "must be given once" if len(values) > 1 else key_problem(values[0])
    if problem:
        raise RequestValidationError([{"loc": (HEADER,), "msg": problem, "type": "value_error"}])
    return values[0]
