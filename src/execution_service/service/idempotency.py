"""What makes two queue requests "the same" for an ``Idempotency-Key``: pure, no I/O.

A key names one request of its owner. A second request with the key is the same
request when its digest is the first one's: the SHA-256 of the graph id and the
canonical JSON of the parsed request, every field with its default filled in. So
the same request is

- the same graph, and
- the same parsed body: objects compare by their members whatever their order or the
  whitespace between them; a field left out equals its default given explicitly (no
  body, ``null``, ``{}`` and ``{"priority": "normal", "inputs": {}}`` are one request);
  a timeout of ``30`` equals ``30.0`` (timeouts are numbers of seconds).

Inputs are compared as JSON values: ``1`` and ``1.0`` in ``inputs`` differ (a crew may
tell them apart), as do ``"a"`` and ``"a "``. The headers, the API key used (any key of
the same owner) and the time of the request are not part of it.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# visible ASCII, no spaces: what every HTTP client sends unchanged (a space at either
# end would be trimmed on the way)
KEY_PATTERN = r"^[!-~]+$"
_KEY = re.compile(r"[!-~]+")


def key_problem(value: str) -> str | None:
    """Why ``value`` cannot be an idempotency key, or None when it can."""
    if not value:
        return "must not be empty"
    if len(value) > MAX_KEY_LENGTH:
        return f"is {len(value)} characters long; at most {MAX_KEY_LENGTH} are accepted"
    if not _KEY.fullmatch(value):
        return "must be visible ASCII characters only (no spaces)"
    return None


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON: members sorted by name, no whitespace, UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8", "surrogatepass")


def request_digest(
    graph_id: uuid.UUID,
    inputs: dict[str, Any],
    priority: str,
    timeout_seconds: float | None,
    queue_timeout_seconds: float | None,
    metadata: dict[str, str] | None = None,
    budget: dict[str, Any] | None = None,
) -> str:
    """The SHA-256 (hex) that identifies a parsed queue request of ``graph_id``. Metadata
    and the budget count only when there are some (a request without them has the digest
    it had before they existed, so keys stored then still match)."""
    request = {
        "graph_id": str(graph_id),
        "inputs": inputs,
        "priority": priority,
        "timeout_seconds": None if timeout_seconds is None else float(timeout_seconds),
        "queue_timeout_seconds": (
            None if queue_timeout_seconds is None else float(queue_timeout_seconds)
        ),
    }
    if metadata:
        request["metadata"] = metadata
    if budget:
        request["budget"] = {k: float(v) for k, v in budget.items()}
    return hashlib.sha256(canonical_json(request)).hexdigest()
