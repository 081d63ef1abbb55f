"""Parsed graph definitions, kept per process.

A graph's definition never changes once created (a graph is only ever deleted), so each
process parses each definition once: the API when it queues, a worker when it starts.
Whether the graph is still live is not cached: the caller checks that where it matters.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from execution_service.graph import GraphSpec

KEPT = 1024  # the oldest parsed definition is dropped beyond this many

_specs: dict[uuid.UUID, GraphSpec] = {}
_lock = threading.Lock()


def cached(graph_id: uuid.UUID) -> GraphSpec | None:
    return _specs.get(graph_id)


def remember(graph_id: uuid.UUID, definition: dict[str, Any]) -> GraphSpec:
    """Parse ``definition`` and keep it as the graph's."""
    spec = GraphSpec.model_validate(definition)
    with _lock:
        if len(_specs) >= KEPT:
            _specs.pop(next(iter(_specs)))
        _specs[graph_id] = spec
    return spec
