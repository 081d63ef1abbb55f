"""The schema gate (``service/schema_gate.py``) on every ``/api/v1`` route: a dependency
of the router, so that it runs after routing (an unknown path is still a 404, a wrong
method a 405, a body too large a 413) and before authentication, which reads a table
itself. Once the schema was found at the head it costs one attribute read per request;
until then the look runs in a thread (it reads the database)."""

from __future__ import annotations

import asyncio

from fastapi import Request

from execution_service.service.schema_gate import SchemaGate


async def schema_at_head(request: Request) -> None:
    """Raise ``SchemaNotMigrated`` (503) while the database is not at the head."""
    gate: SchemaGate = request.app.state.schema_gate
    if not gate.at_head:
        await asyncio.to_thread(gate.require)
