"""The routes of ``/api/v1``, ``/healthz`` (liveness) and ``/readyz`` (readiness)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from execution_service.api import log_fields
from execution_service.api import openapi as doc
from execution_service.api.auth import Caller
from execution_service.api.error_handlers import error_body
from execution_service.api.responses import json_response
from execution_service.api.schemas import (
    QUEUE_REQUEST_BODY,
    BulkCancel,
    ExecutionChange,
    RerunRequest,
    parse_idempotency_key,
    parse_queue_request,
)
from execution_service.errors.codes import ErrorCode
from execution_service.graph import GraphSpec
from execution_service.service import (
    event_stream,
    executions,
    graphs,
    operations,
    readiness,
    reruns,
    webhooks,
)
from execution_service.service.admission import QueueOrder, Replayed, get_admission
from execution_service.status import Status

router = APIRouter(prefix="/api/v1", dependencies=[Depends(log_fields.from_path)])
health = APIRouter()


@health.get("/healthz", response_model=None, responses=doc.answers(200, doc.Health))
def healthz() -> dict[str, str]:
    """Liveness: the process answers. It reads nothing (see ``/readyz``)."""
    return {"status": "ok"}


@health.get(
    "/readyz",
    response_model=None,
    responses={
        **doc.answers(200, doc.Readiness, description="Ready."),
        503: doc.error_answer(503, doc.NOT_READY),
    },
)
def readyz() -> dict[str, Any]:
    """Readiness: the database and the broker answer, the schema is at the latest
    migration; else 503 ``NOT_READY`` naming what is wrong."""
    return readiness.readiness()


@router.post(
    "/graphs",
    status_code=status.HTTP_201_CREATED,
    response_model=None,
    responses=doc.answers(201, doc.Graph, 400, 422, description="Created.", headers=doc.LOCATION),
)
def create_graph(spec: GraphSpec, response: Response, caller: Caller) -> dict[str, Any]:
    graph = graphs.create_graph(spec, caller)
    response.headers["Location"] = f"/api/v1/graphs/{graph['id']}"
    return graph


@router.get(
    "/graphs/{graph_id}", response_model=None, responses=doc.answers(200, doc.Graph, 404, 422)
)
def get_graph(graph_id: uuid.UUID, caller: Caller) -> dict[str, Any]:
    return graphs.get_graph(graph_id, caller)


@router.delete(
    "/graphs/{graph_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=doc.answers(204, None, 404, 422, description="Retired."),
)
def delete_graph(graph_id: uuid.UUID, caller: Caller) -> Response:
    graphs.delete_graph(graph_id, caller)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/graphs/{graph_id}/executions",
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra={**QUEUE_REQUEST_BODY, **doc.IDEMPOTENCY_KEY_PARAMETER},
    responses=doc.QUEUE_ANSWERS,
)
async def queue_execution(graph_id: uuid.UUID, http: Request, caller: Caller) -> Response:
    request = parse_queue_request(await http.body())
    key = parse_idempotency_key(http.headers.getlist("idempotency-key"))
    if request.webhooks:  # the operator's outbound policy: 422 naming webhooks.<i>.url
        webhooks.refuse_webhooks(request.webhooks)
    # the admission threads record and publish it, with whatever else is being queued
    # meanwhile (one transaction for all); the event loop waits without a thread
    order = QueueOrder(
        graph_id,
        caller.owner,
        request.inputs,
        request.priority,
        request.timeout_seconds,
        request.queue_timeout_seconds,
        metadata=request.metadata,
        idempotency_key=key,
        webhooks=request.webhooks,
        budget=request.budget,
    )
    answer = await asyncio.wrap_future(get_admission().submit(order))
    # the same request again (its Idempotency-Key): the execution it made, as it is now
    replayed = isinstance(answer, Replayed)
    execution = answer.execution if isinstance(answer, Replayed) else answer
    return json_response(
        execution,
        status.HTTP_200_OK if replayed else status.HTTP_202_ACCEPTED,
        {"Location": f"/api/v1/executions/{execution['id']}"},
    )


@router.get(
    "/executions",
    response_model=None,
    openapi_extra=doc.METADATA_FILTER,
    responses=doc.answers(200, doc.ExecutionPage, 422),
)
def list_executions(
    http: Request,
    caller: Caller,
    status: Status | None = None,
    graph_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> Response:
    # metadata.<key>=<value>: query names FastAPI cannot declare, read here
    metadata = executions.metadata_filters(http.query_params.multi_items())
    # a page of up to 500 executions: orjson, not FastAPI's encoder (several times faster)
    return json_response(
        executions.list_executions(caller, status, graph_id, limit, cursor, metadata)
    )


@router.post(
    "/executions/cancel",
    response_model=None,
    responses=doc.answers(200, doc.BulkCancelled, 400, 422),
)
def cancel_executions(request: BulkCancel, caller: Caller) -> dict[str, Any]:
    """Cancel the caller's unfinished executions matching every filter given (at most
    ``limit`` per call, oldest first); an empty filter is refused unless ``all`` is
    true."""
    return executions.cancel_matching(
        caller,
        status=Status(request.status) if request.status is not None else None,
        graph_id=request.graph_id,
        metadata=request.metadata,
        created_before=request.created_before,
        created_after=request.created_after,
        everything=request.all,
        limit=request.limit,
    )


@router.api_route(
    "/executions/cancel",
    methods=["GET", "HEAD", "PATCH", "PUT", "DELETE", "OPTIONS", "TRACE"],
    include_in_schema=False,
)
def bulk_cancel_other_methods() -> Response:
    """``/executions/cancel`` takes POST only: without this route GET and PATCH would be
    taken for ``/executions/{execution_id}`` with the id ``cancel`` (422), and the other
    methods' 405 would name in ``Allow`` the methods of ``/executions/{execution_id}``."""
    return JSONResponse(
        error_body(ErrorCode.METHOD_NOT_ALLOWED, "Method Not Allowed"),
        status_code=status.HTTP_405_METHOD_NOT_ALLOWED,
        headers={"Allow": "POST"},
    )


@router.get("/executions/{execution_id}", responses=doc.answers(200, doc.Execution, 404, 422))
async def get_execution(
    execution_id: uuid.UUID,
    caller: Caller,
    wait: Annotated[float | None, Query(ge=0, description=doc.WAIT)] = None,
) -> Response:
    if wait is None:  # the plain read, in a worker thread as a plain route's
        return json_response(
            await run_in_threadpool(executions.get_execution, execution_id, caller)
        )
    return json_response(await event_stream.wait_for_end(execution_id, caller, wait))


@router.get(
    "/executions/{execution_id}/stream",
    response_class=StreamingResponse,
    responses=doc.answers(200, None, 404, 422, description=doc.STREAM, media_type=doc.SSE),
)
async def stream_execution(
    execution_id: uuid.UUID,
    caller: Caller,
    last_event_id: Annotated[
        str, Header(alias="Last-Event-ID", description=doc.LAST_EVENT_ID, pattern=doc.EVENT_ID)
    ] = "",
    last_event_id_query: Annotated[
        str,
        Query(alias="last_event_id", description=doc.LAST_EVENT_ID_QUERY, pattern=doc.EVENT_ID),
    ] = "",
) -> StreamingResponse:
    if last_event_id:
        after = event_stream.parse_event_id(last_event_id)
    else:
        after = event_stream.parse_event_id(last_event_id_query, "last_event_id")
    events = await event_stream.open_stream(execution_id, caller, after)
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.patch(
    "/executions/{execution_id}",
    response_model=None,
    responses=doc.answers(200, doc.Execution, 400, 404, 409, 422),
)
def change_execution(
    execution_id: uuid.UUID, change: ExecutionChange, caller: Caller
) -> dict[str, Any]:
    return executions.change_priority(execution_id, change.priority, caller)


@router.get(
    "/executions/{execution_id}/events",
    response_model=None,
    responses=doc.answers(200, doc.Events, 404, 422),
)
def execution_events(execution_id: uuid.UUID, caller: Caller) -> Response:
    return json_response({"items": executions.execution_events(execution_id, caller)})


@router.post(
    "/executions/{execution_id}/cancel",
    response_model=None,
    responses=doc.answers(200, doc.Execution, 404, 409, 422),
)
def cancel_execution(execution_id: uuid.UUID, caller: Caller) -> dict[str, Any]:
    return executions.cancel_execution(execution_id, caller)


@router.post(
    "/executions/{execution_id}/rerun",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=None,
    responses=doc.RERUN_ANSWERS,
)
async def rerun_execution(
    execution_id: uuid.UUID, caller: Caller, request: RerunRequest | None = None
) -> Response:
    """Queue a new execution of a finished one's graph, with its inputs, priority,
    metadata, webhooks and timeout, linked to it (``rerun_of``); from ``from_task``,
    re-using the original's outputs of the tasks before it."""
    from_task = request.from_task if request is not None else None
    order = await run_in_threadpool(reruns.rerun_order, execution_id, from_task, caller)
    answer = await asyncio.wrap_future(get_admission().submit(order))
    execution = answer.execution if isinstance(answer, Replayed) else answer
    return json_response(
        execution,
        status.HTTP_202_ACCEPTED,
        {"Location": f"/api/v1/executions/{execution['id']}"},
    )


@router.get("/queue/stats", response_model=None, responses=doc.answers(200, doc.QueueStats))
def queue_stats(caller: Caller) -> dict[str, Any]:
    return operations.queue_stats(caller)


@router.get(
    "/circuit-breakers", response_model=None, responses=doc.answers(200, doc.CircuitBreakers)
)
def circuit_breakers(caller: Caller) -> dict[str, Any]:
    return {**operations.circuit_breaker_policy(), "items": operations.circuit_breakers()}


@router.post(
    "/circuit-breakers/{name}/reset",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=doc.answers(204, None, 403, 404, description="Closed."),
)
def reset_circuit_breaker(name: str, caller: Caller) -> Response:
    operations.reset_circuit_breaker(name, caller)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/webhook-secret", response_model=None, responses=doc.answers(200, doc.WebhookSecret))
def webhook_secret(caller: Caller) -> dict[str, Any]:
    """The secret the caller's webhook deliveries are signed with (Standard Webhooks:
    ``webhook-signature: v1,<base64 HMAC-SHA256>``), made on first use."""
    return webhooks.webhook_secret(caller)


@router.get(
    "/executions/{execution_id}/webhook-deliveries",
    response_model=None,
    responses=doc.answers(200, doc.WebhookDeliveries, 404, 422),
)
def webhook_deliveries(execution_id: uuid.UUID, caller: Caller) -> dict[str, Any]:
    """The execution's webhook deliveries, oldest first: each try's answer, the next try."""
    return webhooks.list_deliveries(execution_id, caller)


@router.post(
    "/executions/{execution_id}/webhook-deliveries/{delivery_id}/resend",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=None,
    responses=doc.answers(202, doc.WebhookDelivery, 404, 422, description="Queued again."),
)
def resend_webhook_delivery(
    execution_id: uuid.UUID, delivery_id: uuid.UUID, caller: Caller
) -> Response:
    """Deliver again: a new round of tries, with the same ``webhook-id``."""
    return json_response(
        webhooks.resend(execution_id, delivery_id, caller), status.HTTP_202_ACCEPTED
    )
