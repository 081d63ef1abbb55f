"""JSON answers encoded by orjson, straight from the service layer's plain views.

The views are already JSON-ready (strings, numbers, lists, dicts), so FastAPI's
``jsonable_encoder`` walk over every value is skipped on the busiest routes.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response


def json_response(
    body: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body), status_code=status_code, headers=headers, media_type="application/json"
    )
