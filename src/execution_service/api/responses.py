"""JSON answers encoded by orjson, straight from the service layer's plain views.

The views are already JSON-ready (strings, numbers, lists, dicts), so FastAPI's
``jsonable_encoder`` walk over every value is skipped on the busiest routes.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from fastapi import Response


def dumps(body: Any) -> bytes:
    """``body`` as JSON: orjson's, or the standard library's for what orjson refuses (an
    integer past 64 bits, which JSON and the stores allow in an execution's inputs)."""
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body, separators=(",", ":")).encode()


def json_response(
    body: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        dumps(body), status_code=status_code, headers=headers, media_type="application/json"
    )
