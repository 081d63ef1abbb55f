"""The OpenAPI document: every answer each route gives, and every limit it enforces.

The routes document their answers with ``responses=answers(...)`` (success body and
headers, and their own refusals); the answers every route shares are added to the
document here, with the limits that come from the running settings:

- 401 ``UNAUTHENTICATED`` (with ``WWW-Authenticate``) on every ``/api/v1`` operation;
- 503 ``DATABASE_UNAVAILABLE`` (with ``Retry-After``) on every ``/api/v1`` operation: each
  reads or writes the database (the key's owner, at least);
- 413 ``BODY_TOO_LARGE`` on every operation (``settings.max_body_bytes``);
- this API's error body for 422 where FastAPI would document its own;
- the queue request's ``timeout_seconds``/``queue_timeout_seconds`` maximum
  (``settings.max_timeout_seconds``), its inputs' size (``settings.max_inputs_bytes``)
  and how long its ``Idempotency-Key`` is kept (``settings.idempotency_keep_seconds``).

The success models below document the service layer's views (``service/views.py``,
``service/operations.py``); they never validate an answer (``response_model=None`` on
the routes), so the busy routes keep their direct orjson path.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from execution_service import metadata as labels
from execution_service.config import Settings, get_settings
from execution_service.errors.codes import ErrorCode
from execution_service.priorities import Priority
from execution_service.service.idempotency import HEADER, KEY_PATTERN, MAX_KEY_LENGTH
from execution_service.status import Status
from execution_service.usage import Budget

# --- the error envelope -------------------------------------------------------------


class ErrorInfo(BaseModel):
    code: ErrorCode = Field(description="What went wrong, for programs.")
    message: str = Field(description="What went wrong, for people; names the field or limit.")
    details: Any = Field(
        default=None,
        description="More about it: for VALIDATION_ERROR a list of {field, message}; "
        "otherwise an object or null.",
    )


class ErrorBody(BaseModel):
    """Every error answers this envelope."""

    error: ErrorInfo


# --- the success bodies (documentation of service/views.py) -------------------------

_WHEN = "ISO 8601 time, or null"


class Graph(BaseModel):
    id: str = Field(description="The graph's id (a UUID).")
    name: str
    definition: dict[str, Any] = Field(description="The graph as created (a GraphSpec).")
    created_at: str | None = Field(description=_WHEN)


class Progress(BaseModel):
    percent: float = Field(ge=0, le=100)
    current_task: str | None
    message: str | None


class ExecutionError(BaseModel):
    code: str
    category: str | None
    message: str | None
    retryable: bool | None
    task: str | None
    attempt: int | None
    retry_after_seconds: float | None


class TokenCounts(BaseModel):
    prompt_tokens: int = Field(ge=0)
    completion_tokens: int = Field(ge=0)
    total_tokens: int = Field(ge=0)
    model_calls: int = Field(ge=0)


class EstimatedCost(BaseModel):
    amount: float = Field(ge=0, description="From the operator's price table (EXEC_MODEL_PRICES).")
    currency: str


class UsageTotal(TokenCounts):
    estimated_cost: EstimatedCost | None = Field(
        default=None,
        description="Absent unless every model used has a price in the operator's table.",
    )


class Usage(UsageTotal):
    """What the execution's model calls used, every attempt together."""

    by_task: dict[str, TokenCounts]
    by_agent: dict[str, TokenCounts]
    by_model: dict[str, TokenCounts] = Field(
        description="By model, named as the graph names it (else as its library does)."
    )


class _ExecutionColumns(BaseModel):
    id: str = Field(description="The execution's id (a UUID).")
    graph_id: str
    status: Status
    priority: Priority
    inputs: dict[str, Any]
    metadata: dict[str, str] = Field(description="The metadata it was queued with.")
    timeout_seconds: float | None
    attempt: int
    max_attempts: int
    progress: Progress
    result: dict[str, Any] | None
    outputs: list[dict[str, Any]] = Field(description="Each finished task's output.")
    error: ExecutionError | None
    worker: str | None
    created_at: str | None = Field(description=_WHEN)
    started_at: str | None = Field(description=_WHEN)
    finished_at: str | None = Field(description=_WHEN)
    heartbeat_at: str | None = Field(description=_WHEN)
    deadline_at: str | None = Field(description=_WHEN)
    queue_deadline_at: str | None = Field(description=_WHEN)
    stopped_at: str | None = Field(description=_WHEN)
    budget: Budget | None = Field(
        description="Its budget: the graph's settings.budget and the request's budget, "
        "the smaller of each field; null: none."
    )
    rerun_of: str | None = Field(
        description="The execution this one reruns (POST .../rerun); else null."
    )
    rerun_from_task: str | None = Field(
        description="The task a rerun started from (the tasks before it re-used the "
        "original's outputs); else null.",
    )


class Execution(_ExecutionColumns):
    usage: Usage


class ListedExecution(_ExecutionColumns):
    usage: UsageTotal


class ExecutionPage(BaseModel):
    items: list[ListedExecution] = Field(description="Newest first; usage as a total.")
    next_cursor: str | None = Field(description="The next page's cursor; null on the last.")


class BulkCancelled(BaseModel):
    cancelled: int = Field(ge=0, description="How many this call cancelled.")
    ids: list[str] = Field(description="Their ids.")
    more: bool = Field(
        description="Whether more executions matched than this call's limit: call again "
        "for the rest."
    )


class Event(BaseModel):
    from_status: str | None
    status: str
    attempt: int
    at: str | None = Field(description=_WHEN)
    message: str | None
    details: dict[str, Any] | None


class Events(BaseModel):
    items: list[Event] = Field(description="Oldest first.")


class WebhookSecret(BaseModel):
    secret: str = Field(
        description="whsec_ and the base64 key: webhook-signature is v1,<base64 "
        "HMAC-SHA256 of '{webhook-id}.{webhook-timestamp}.{body}'> with this key "
        "(Standard Webhooks)."
    )
    scheme: str


class WebhookAttempt(BaseModel):
    at: str = Field(description="ISO 8601 time")
    status_code: int | None = Field(description="The receiver's answer; null: none.")
    error: str | None = Field(description="Why there was no answer (a timeout, a refusal).")
    duration_ms: float


class WebhookDelivery(BaseModel):
    id: str
    webhook_id: str = Field(description="The webhook-id header: the same for every try.")
    event: str
    url: str
    status: str = Field(description="pending, delivered or failed")
    attempts: list[WebhookAttempt] = Field(description="Every try, oldest first.")
    next_attempt_at: str | None = Field(description=_WHEN)
    created_at: str = Field(description="ISO 8601 time")
    delivered_at: str | None = Field(description=_WHEN)


class WebhookDeliveries(BaseModel):
    items: list[WebhookDelivery] = Field(description="Oldest first.")


class CircuitBreaker(BaseModel):
    name: str
    state: str = Field(description="closed, open or half_open")
    failures: int
    retry_in: float | None


class CircuitBreakers(BaseModel):
    failure_threshold: int
    cooldown_seconds: float
    when_open: str
    items: list[CircuitBreaker]


class QueueStats(BaseModel):
    workers_online: int
    worker_slots: int
    completed_last_minute: int
    failed_last_minute: int
    tokens_last_minute: int = Field(
        ge=0, description="Tokens your executions' model calls used in the last minute."
    )
    circuit_breakers: list[CircuitBreaker]
    queued: int
    running: int
    retrying: int
    by_status: dict[str, int]
    queued_by_priority: dict[str, int]
    oldest_queued_age_seconds: float | None


class Health(BaseModel):
    status: str


class ReadinessCheck(BaseModel):
    ok: bool
    detail: str | None = Field(description="What is wrong; null when the check passed.")
    ms: float = Field(ge=0, description="How long the check took, in milliseconds.")


class Readiness(BaseModel):
    status: str = Field(description="ready")
    checks: dict[str, ReadinessCheck] = Field(
        description="database (a round trip), broker (a round trip), schema (the "
        "database is at the migrations' head)."
    )


NOT_READY = (
    "Not ready (NOT_READY): the message names the failing checks; details carries "
    "every check (details.checks, as in the 200 answer) and the failing ones "
    "(details.failing)."
)


# --- the listing's metadata filter ---------------------------------------------------

METADATA_FILTER: dict[str, Any] = {
    "parameters": [
        {
            "name": "metadata",
            "in": "query",
            "required": False,
            "style": "deepObject",
            "explode": True,
            "description": "Only executions with this metadata: each key must have the "
            "value given (several keys: all of them). Written `metadata.customer=acme` "
            "(a parameter per key, the name `metadata.` and the key), or in OpenAPI's "
            "deepObject style, `metadata[customer]=acme`. At most "
            f"{labels.MAX_KEYS} keys of 1 to {labels.MAX_KEY_CHARS} characters "
            f"[A-Za-z0-9_.-], each value at most {labels.MAX_VALUE_CHARS} characters; a "
            "key given twice is refused (422).",
            "schema": {
                "type": "object",
                "maxProperties": labels.MAX_KEYS,
                "patternProperties": {
                    labels.KEY_PATTERN: {"type": "string", "maxLength": labels.MAX_VALUE_CHARS}
                },
                "additionalProperties": False,
            },
        }
    ]
}


# --- the event stream and the blocking wait -----------------------------------------

WAIT = (
    "Seconds to wait for the execution to end (at most max_wait_seconds, see the "
    "maximum): the answer comes as soon as it is final (completed, failed, cancelled, "
    "timed_out), or with its state as it is when the wait runs out. Without it the "
    "answer is at once."
)
LAST_EVENT_ID = (
    "The id of the last event received: the stream goes on exactly after it (nothing "
    "lost, nothing repeated). Wins over the last_event_id parameter."
)
LAST_EVENT_ID_QUERY = "As the Last-Event-ID header, for clients that cannot send one."
STREAM = (
    "Server-sent events, oldest first, each with an id that grows within the execution "
    "('<history row>' or '<history row>.<step>'): execution.<status> for every status "
    "change (retrying: details.delay_seconds is the wait; the final one carries result, "
    "error and outputs), task.started, task.completed (its output), task.reused (the "
    "stored output of a task a resumed attempt did not run again), progress. Comments "
    "(': keep-alive') on a quiet stream. The stream ends after the final status, or "
    "after stream_max_seconds (reconnect with Last-Event-ID)."
)
EVENT_ID = r"^(\d{1,18}(\.\d{1,18})?)?$"
SSE = {
    "text/event-stream": {
        "schema": {
            "type": "object",
            "description": "One event: its id, its name, its data (one line of JSON).",
            "properties": {
                "id": {"type": "string", "pattern": EVENT_ID},
                "event": {"type": "string"},
                "data": {"type": "string"},
            },
            "required": ["id", "event", "data"],
        }
    }
}


# --- what each route answers ----------------------------------------------------------

_ERRORS: dict[int, str] = {
    400: "The request body is not JSON (MALFORMED_JSON).",
    401: "No API key, or not a valid one (UNAUTHENTICATED).",
    403: "The key may not do this (FORBIDDEN): only an admin key resets a circuit breaker.",
    404: "No such resource for this key's owner (GRAPH_NOT_FOUND, EXECUTION_NOT_FOUND, NOT_FOUND).",
    409: "The execution's state does not allow it (EXECUTION_FINISHED, "
    "EXECUTION_NOT_QUEUED, PRIORITY_NOT_RAISED, EXECUTION_NOT_FINISHED).",
    413: "The request body is larger than max_body_bytes (BODY_TOO_LARGE).",
    422: "A parameter or the body is not valid (VALIDATION_ERROR); the message and "
    "details name each field.",
    429: "Too many executions queued or running (QUEUE_LIMIT_REACHED); try again after "
    "Retry-After seconds.",
    503: "The database is unavailable (DATABASE_UNAVAILABLE), or, when queueing, the "
    "queue is (BROKER_UNAVAILABLE: nothing was queued); try again after Retry-After "
    "seconds. Or the database is not migrated to this version's schema "
    "(SCHEMA_NOT_MIGRATED): the operator runs `execution-service migrate`.",
}

_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": "How to authenticate: Bearer.",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
    },
    503: {
        "Retry-After": {
            "description": "Seconds to wait before trying again (with DATABASE_UNAVAILABLE).",
            "required": False,
            "schema": {"type": "integer", "minimum": 0},
        }
    },
}

LOCATION = {
    "Location": {
        "description": "The new resource's path.",
        "required": True,
        "schema": {"type": "string"},
    }
}


def error_answer(status: int, description: str | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"model": ErrorBody, "description": description or _ERRORS[status]}
    if status in _HEADERS:
        answer["headers"] = _HEADERS[status]
    return answer


def answers(
    status: int,
    model: type[BaseModel] | None,
    *errors: int,
    description: str = "Done.",
    headers: dict[str, Any] | None = None,
    media_type: dict[str, Any] | None = None,
) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses=``: its success (``model``'s body, or none; or
    ``media_type``'s ``content``) and its own refusals (401 and 413 are added to every
    operation by :func:`finish`)."""
    success: dict[str, Any] = {"description": description}
    if model is not None:
        success["model"] = model
    if media_type is not None:
        success["content"] = media_type
    if headers:
        success["headers"] = headers
    documented: dict[int | str, dict[str, Any]] = {status: success}
    for error in errors:
        documented[error] = error_answer(error)
    return documented


# --- the queue route: its Idempotency-Key ----------------------------------------------

_IDEMPOTENCY = (
    f"Optional. Names this request: sent again with the same key (same graph, same "
    f"parsed body), it answers 200 with the execution the first one made, as it is now, "
    f"and queues nothing; with another graph or body it answers 409 "
    f"IDEMPOTENCY_KEY_REUSED. Keys are per owner. 1 to {MAX_KEY_LENGTH} visible ASCII "
    f"characters, no spaces (else 422 naming {HEADER})."
)

# the queue route's header (its ``openapi_extra``: FastAPI adds it to the path's)
IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "parameters": [
        {
            "name": HEADER,
            "in": "header",
            "required": False,
            "description": _IDEMPOTENCY,
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_KEY_LENGTH,
                "pattern": KEY_PATTERN,
            },
        }
    ]
}

QUEUE_ANSWERS: dict[int | str, dict[str, Any]] = {
    **answers(202, Execution, 400, 404, 429, 503, description="Queued.", headers=LOCATION),
    200: {
        "model": Execution,
        "description": f"Queued before: a request with this {HEADER} and the same graph "
        "and body was made within the keeping time. Its execution, as it is now; nothing "
        "new was queued.",
        "headers": LOCATION,
    },
    409: error_answer(
        409,
        f"The {HEADER} names another request of this owner, with another graph or body "
        "(IDEMPOTENCY_KEY_REUSED); nothing was queued.",
    ),
    422: error_answer(
        422,
        f"The body or the {HEADER} header is not valid (VALIDATION_ERROR); the message "
        "and details name each field.",
    ),
}

RERUN_ANSWERS: dict[int | str, dict[str, Any]] = {
    **answers(202, Execution, 400, 429, 503, description="Queued.", headers=LOCATION),
    404: error_answer(
        404,
        "No such execution for this key's owner (EXECUTION_NOT_FOUND), or its graph was "
        "deleted (GRAPH_NOT_FOUND).",
    ),
    409: error_answer(
        409, "The execution has not finished yet (EXECUTION_NOT_FINISHED); nothing was queued."
    ),
    422: error_answer(
        422,
        "The body is not valid, or from_task names no task of the graph, a task after one "
        "without a stored output, or a task of a hierarchical crew (VALIDATION_ERROR, "
        "naming from_task); nothing was queued.",
    ),
}

# --- the document ---------------------------------------------------------------------

_QUEUE_PATH = "/api/v1/graphs/{graph_id}/executions"
_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def _error_response(status: int, description: str) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ERROR_REF}},
    }
    if status in _HEADERS:
        answer["headers"] = copy.deepcopy(_HEADERS[status])
    return answer


def _number_branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``{"type": "number"}`` parts of a property's schema (itself, or in anyOf)."""
    branches = [schema, *schema.get("anyOf", [])]
    return [b for b in branches if b.get("type") == "number"]


def _operator_choices(schemas: dict[str, Any], settings: Settings) -> None:
    """What a graph may name, as the operator's settings decide it: the model endpoints
    and key variables of the provider policy, and the scripted crew only where it is
    enabled. (Which key goes with which endpoint is checked as well, and said in the
    description: a JSON schema of pairs would be as long as the policy.)"""
    llm = schemas.get("LLMSpec", {}).get("properties", {})
    policy = settings.provider_policy
    if "base_url" in llm:
        endpoints = sorted(policy.endpoints)
        llm["base_url"] = {
            "anyOf": [{"type": "string", "enum": endpoints}, {"type": "null"}]
            if endpoints
            else [{"type": "null"}],
            "title": "Base Url",
            "description": "A model endpoint the operator allows (EXEC_PROVIDER_POLICY), "
            "or none: the model's provider's own endpoint.",
        }
    if "api_key_env" in llm:
        keys = sorted(
            {*policy.keys_without_base_url, *(k for ks in policy.endpoints.values() for k in ks)}
        )
        llm["api_key_env"] = {
            "anyOf": [{"type": "string", "enum": keys}, {"type": "null"}]
            if keys
            else [{"type": "null"}],
            "title": "Api Key Env",
            "description": "The worker's environment variable holding the key, one the "
            "operator allows for this model's endpoint (EXEC_PROVIDER_POLICY).",
        }
    graph = schemas.get("GraphSpec", {}).get("properties", {})
    if not settings.scripted_runner_enabled and "runner" in graph:
        graph.pop("script", None)
        graph["runner"] = {
            "anyOf": [{"type": "string", "enum": ["crewai"]}, {"type": "null"}],
            "title": "Runner",
        }
        schemas.pop("CrewScript", None)
        schemas.pop("ScriptTask", None)
        schemas.pop("ScriptFailure", None)


def _cost_limit(budget: dict[str, Any], settings: Settings) -> None:
    """A budget's ``max_cost`` as the operator's price table allows it: without prices
    there is none (a cost cannot be estimated, so it is refused); with them, the models
    priced are named (every model a graph uses must be one of them)."""
    for branch in budget.get("anyOf", [budget]):
        properties = branch.get("properties", {})
        if "max_cost" not in properties:
            continue
        prices = settings.model_prices
        if not prices.models:
            properties.pop("max_cost")
            continue
        properties["max_cost"]["description"] = (
            f"At most this estimated cost, in {prices.currency}; every model the graph "
            f"uses must have a price (EXEC_MODEL_PRICES): {', '.join(sorted(prices.models))}."
        )


def finish(document: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """``document`` (FastAPI's) with the shared answers and the settings' limits; a new
    document, the one given is not changed."""
    document = copy.deepcopy(document)
    body_limit = settings.max_body_bytes
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            # FastAPI's own 422 (for a route that documents none) is not this API's body
            if "HTTPValidationError" in str(responses.get("422", "")):
                responses["422"] = _error_response(422, _ERRORS[422])
            if path.startswith("/api/v1/"):
                responses.setdefault("401", _error_response(401, _ERRORS[401]))
                responses.setdefault("503", _error_response(503, _ERRORS[503]))
            responses.setdefault(
                "413",
                _error_response(
                    413,
                    f"The request body is larger than max_body_bytes ({body_limit} bytes) "
                    "(BODY_TOO_LARGE).",
                ),
            )
            operation["responses"] = dict(sorted(responses.items()))
    queue = document.get("paths", {}).get(_QUEUE_PATH, {}).get("post")
    if queue is not None:
        schema = queue["requestBody"]["content"]["application/json"]["schema"]
        request = next(s for s in schema.get("anyOf", [schema]) if s.get("type") == "object")
        properties = request["properties"]
        for name in ("timeout_seconds", "queue_timeout_seconds"):
            for branch in _number_branches(properties[name]):
                branch["maximum"] = settings.max_timeout_seconds
        if "budget" in properties:
            _cost_limit(properties["budget"], settings)
        inputs = properties["inputs"]
        inputs["x-max-bytes"] = settings.max_inputs_bytes
        inputs["description"] = (
            f"The crew's inputs: at most {settings.max_inputs_bytes} bytes as compact "
            "UTF-8 JSON (max_inputs_bytes); no NUL character, no number that is not finite."
        )
        for parameter in queue.get("parameters", []):
            if parameter.get("name") == HEADER:
                keep = settings.idempotency_keep_seconds
                parameter["x-keep-seconds"] = keep
                parameter["description"] = (
                    f"{_IDEMPOTENCY} A key is kept {keep:g} s after its request "
                    "(idempotency_keep_seconds); after that it may name a new request."
                )
    single = document.get("paths", {}).get("/api/v1/executions/{execution_id}", {}).get("get")
    for parameter in (single or {}).get("parameters", []):
        if parameter["name"] == "wait":
            for branch in _number_branches(parameter["schema"]):
                branch["maximum"] = settings.max_wait_seconds
    schemas = document.get("components", {}).get("schemas", {})
    _operator_choices(schemas, settings)
    if "Budget" in schemas:
        _cost_limit(schemas["Budget"], settings)
    if "HTTPValidationError" not in str(document.get("paths")):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    info = document.setdefault("info", {})
    info["x-max-body-bytes"] = body_limit
    return document


def install(app: FastAPI) -> None:
    """Serve :func:`finish`'s document (built once, with the settings then in force)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = finish(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                ),
                get_settings(),
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
