"""Every error answers ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from execution_service.config import get_settings
from execution_service.errors.codes import ErrorCode
from execution_service.service.refusals import ServiceError
from execution_service.service.schema_gate import not_migrated
from execution_service.store.engine import DatabaseUnavailable, SchemaOutOfDate

log = logging.getLogger(__name__)

DATABASE_DOWN = "The database is unavailable right now; try again shortly."


def error_body(code: ErrorCode, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return JSONResponse(
            error_body(ErrorCode.MALFORMED_JSON, "The request body is not valid JSON."),
            status_code=400,
        )
    details = []
    for e in errors:
        message = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        details.append({"field": _field(tuple(e.get("loc", ()))), "message": message})
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details)
    return JSONResponse(
        error_body(
            ErrorCode.VALIDATION_ERROR, summary, json.loads(json.dumps(details, default=str))
        ),
        status_code=422,
    )


def _service(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return JSONResponse(
        error_body(exc.code, exc.message, exc.details),
        status_code=exc.status,
        headers=exc.headers or None,
    )


def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """503 ``DATABASE_UNAVAILABLE`` with ``Retry-After``: the database cannot be reached
    (down, restarting, its connections killed). One line in the log, no traceback: the
    service is not broken, its database is away."""
    assert isinstance(exc, DatabaseUnavailable)
    log.warning("%s %s: 503 DATABASE_UNAVAILABLE (%s)", request.method, request.url.path, exc)
    seconds = get_settings().database_retry_after_seconds
    return JSONResponse(
        error_body(ErrorCode.DATABASE_UNAVAILABLE, DATABASE_DOWN),
        status_code=503,
        headers={"Retry-After": str(seconds)},
    )


def _schema_out_of_date(request: Request, exc: Exception) -> JSONResponse:
    """503 ``SCHEMA_NOT_MIGRATED``: the database lacks a table or column (it was not
    migrated, or lost one after the API started); never a 500."""
    log.error("%s %s: 503 SCHEMA_NOT_MIGRATED (%s)", request.method, request.url.path, exc)
    refusal = not_migrated(f"the database says: {exc}")
    return JSONResponse(
        error_body(refusal.code, refusal.message, refusal.details), status_code=refusal.status
    )


def _documented_methods(app: Any) -> list[tuple[re.Pattern[str], set[str]]]:
    """Each documented path's pattern and methods, from the OpenAPI document (built once
    per app)."""
    table = getattr(app.state, "documented_methods", None)
    if table is None:
        table = [
            (compile_path(path)[0], {method.upper() for method in operations})
            for path, operations in app.openapi().get("paths", {}).items()
        ]
        app.state.documented_methods = table
    return table


def allowed_methods(request: Request, first_route: str | None) -> str:
    """Every method the request's path answers, for a 405's ``Allow``: Starlette names
    only the first matching route's (``first_route``), and a path such as
    ``/graphs/{id}`` has one route for GET and another for DELETE."""
    methods = {m.strip() for m in (first_route or "").split(",") if m.strip()}
    path = request.scope.get("path", "")
    for pattern, documented in _documented_methods(request.app):
        if pattern.match(path):
            methods |= documented
    return ", ".join(sorted(methods))


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = {
        404: ErrorCode.NOT_FOUND,
        405: ErrorCode.METHOD_NOT_ALLOWED,
        413: ErrorCode.BODY_TOO_LARGE,
    }.get(exc.status_code, ErrorCode.HTTP_ERROR)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request, headers.get("Allow"))
    return JSONResponse(
        error_body(code, str(exc.detail)), status_code=exc.status_code, headers=headers or None
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(ServiceError, _service)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(DatabaseUnavailable, _database_unavailable)
    app.add_exception_handler(SchemaOutOfDate, _schema_out_of_date)
