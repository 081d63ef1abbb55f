"""The schema gate (``service/schema_gate.py``) in front of ``/api/v1``: a pure ASGI
middleware, so that a request is refused (503 ``SCHEMA_NOT_MIGRATED``) before
authentication, which reads a table itself. Once the schema was found at the head, a
request costs one attribute read here; before that, the look happens in a thread (it
reads the database)."""

from __future__ import annotations

import asyncio

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from execution_service.service.refusals import ServiceError
from execution_service.service.schema_gate import SchemaGate
from execution_service.store.engine import DatabaseUnavailable

GATED = "/api/v1"


class SchemaCheck:
    def __init__(self, app: ASGIApp, gate: SchemaGate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gate = self.gate
        if gate.at_head or scope["type"] != "http" or not scope["path"].startswith(GATED):
            await self.app(scope, receive, send)
            return
        try:
            await asyncio.to_thread(gate.require)
        except DatabaseUnavailable:
            pass  # no verdict: the route meets the same and answers DATABASE_UNAVAILABLE
        except ServiceError as refusal:
            body = orjson.dumps(
                {
                    "error": {
                        "code": refusal.code,
                        "message": refusal.message,
                        "details": refusal.details,
                    }
                }
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": refusal.status,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
