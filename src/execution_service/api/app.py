"""The FastAPI application (OpenAPI at ``/docs``)."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from execution_service import __version__
from execution_service.api import error_handlers, metrics, openapi, routes
from execution_service.api.limits import BodyLimit
from execution_service.api.schema_check import schema_at_head
from execution_service.config import get_settings
from execution_service.service.schema_gate import SchemaGate


def create_app() -> FastAPI:
    app = FastAPI(
        title="crew-execution",
        version=__version__,
        description="Queue, watch and cancel executions of CrewAI crews.",
    )
    error_handlers.install(app)
    openapi.install(app)
    app.add_middleware(BodyLimit, limit=get_settings().max_body_bytes)
    # a database not migrated: 503 SCHEMA_NOT_MIGRATED naming `execution-service migrate`
    app.state.schema_gate = SchemaGate(get_settings().readiness_cache_seconds)
    app.add_middleware(metrics.HttpMetrics)  # outermost: a 413 is counted too
    app.include_router(routes.health)
    app.include_router(routes.router, dependencies=[Depends(schema_at_head)])
    app.include_router(metrics.router)
    return app
