"""The FastAPI application (OpenAPI at ``/docs``)."""

from __future__ import annotations

from fastapi import FastAPI

from execution_service import __version__
from execution_service.api import error_handlers, metrics, openapi, routes
from execution_service.api.limits import BodyLimit
from execution_service.config import get_settings


def create_app() -> FastAPI:
    app = FastAPI(
        title="crew-execution",
        version=__version__,
        description="Queue, watch and cancel executions of CrewAI crews.",
    )
    error_handlers.install(app)
    openapi.install(app)
    app.add_middleware(BodyLimit, limit=get_settings().max_body_bytes)
    app.add_middleware(metrics.HttpMetrics)  # outermost: a 413 is counted too
    app.include_router(routes.health)
    app.include_router(routes.router)
    app.include_router(metrics.router)
    return app
