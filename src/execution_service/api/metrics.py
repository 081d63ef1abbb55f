"""``GET /metrics`` (Prometheus' text format) and the HTTP series of the API process.

**What a scrape answers**: the service's series (``service/metrics.py``: executions, the
queue, the workers, the circuit breakers, tokens), read from the database at the scrape,
the same in every API process; then this process's HTTP series:

* ``execution_service_http_requests_total{method,route,status}``: requests answered;
* ``execution_service_http_request_duration_seconds{method,route,status}``: from the
  request's arrival to the start of its answer (a stream's lifetime is not a latency).

``route`` is the route's template (``/api/v1/executions/{execution_id}``), never the
path itself, so ids make no new series; a path no route matches is ``unmatched``.

**Several API processes** (``execution-service api --workers N``): each counts its own
requests. ``execution-service api`` with more than one process points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder (or uses the operator's) before the
processes start, and every process then answers the sum over all of them (prometheus
client's multiprocess mode: one file of counters per process, read at each scrape). With
one process per container, scrape each one (its HTTP series are its own; the service's
series are the same everywhere).

**Who may scrape** (``EXEC_METRICS_AUTH``): ``operator`` (the default) needs an
operator's key, ``Authorization: Bearer <admin key>`` (``execution-service keys create
--owner ops --admin``; Prometheus: ``authorization: {credentials_file: ...}``): the
series count every owner's executions and name the workers, which no owner's key may
see (401 without a valid key, 403 with an owner's). ``open`` answers anyone, for a
scrape from a private network that cannot hold a key.
"""

from __future__ import annotations

import os
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from execution_service.api import openapi as doc
from execution_service.api.auth import bearer, caller
from execution_service.config import get_settings
from execution_service.service.metrics import PREFIX, ServiceCollector
from execution_service.service.refusals import Forbidden

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"

# this process's HTTP series (in multiprocess mode, prometheus_client writes them to
# the folder's files as well)
_http = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    PREFIX + "http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
    registry=_http,
)
LATENCY = Histogram(
    PREFIX + "http_request_duration_seconds",
    "Seconds from a request's arrival to the start of its answer.",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=_http,
)


def route_of(scope: Scope) -> str:
    """The template of the route that took the request (``unmatched`` when none did)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class HttpMetrics:
    """Counts each request and times it to the start of its answer (pure ASGI: it adds
    no task and reads no body)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answered: list[float | int] = []

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start" and not answered:
                answered.extend((message["status"], time.perf_counter() - started))
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            status, took = answered or (500, time.perf_counter() - started)
            labels = (scope["method"], route_of(scope), str(status))
            REQUESTS.labels(*labels).inc()
            LATENCY.labels(*labels).observe(took)


def _http_series() -> bytes:
    folder = os.environ.get(MULTIPROCESS)
    if not folder:
        return generate_latest(_http)
    every_process = CollectorRegistry()
    MultiProcessCollector(every_process, path=folder)
    return generate_latest(every_process)


def render() -> bytes:
    """The whole answer of a scrape."""
    service = CollectorRegistry(auto_describe=False)
    service.register(ServiceCollector())
    return generate_latest(service) + _http_series()


async def scraper(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """``EXEC_METRICS_AUTH``: an operator's key (``operator``), or anyone (``open``)."""
    if get_settings().metrics_auth == "open":
        return
    principal = await caller(credentials)
    if not principal.admin:
        raise Forbidden(
            "Only an operator's key (execution-service keys create --admin) may read the "
            "metrics: they count every owner's executions.",
            {},
        )


router = APIRouter()

EXPOSITION = {
    "text/plain": {
        "schema": {
            "type": "string",
            "description": "Prometheus' text exposition format, version 0.0.4.",
        }
    }
}


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[Depends(scraper)],
    responses={
        **doc.answers(200, None, description="The series, now.", media_type=EXPOSITION),
        401: doc.error_answer(401),
        403: doc.error_answer(
            403, "The key is not an operator's (FORBIDDEN): the metrics count every owner's."
        ),
        503: doc.error_answer(503, "The database is unavailable (DATABASE_UNAVAILABLE)."),
    },
)
def metrics() -> Response:
    """The service's series (from the database: the same in every API process) and this
    API process's HTTP series, for Prometheus. Needs an operator's key unless
    ``EXEC_METRICS_AUTH=open``."""
    return Response(render(), media_type=CONTENT_TYPE)
