"""The execution's fields of an API request's log lines (``logs.py``): the execution or
graph its path names, for every line logged while the request is answered."""

from __future__ import annotations

import uuid

from fastapi import Request

from execution_service import logs


def _id(value: object) -> uuid.UUID | None:
    """The path's id, if it is one (anything else a caller typed never reaches a log)."""
    try:
        return uuid.UUID(str(value)) if value is not None else None
    except ValueError:
        return None


async def from_path(request: Request) -> None:
    """A router's dependency: binds ``execution_id`` / ``graph_id`` from the path (the
    request's own context: nothing outlives it)."""
    params = request.path_params
    logs.bind(execution_id=_id(params.get("execution_id")), graph_id=_id(params.get("graph_id")))
