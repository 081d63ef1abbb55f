"""Graphs: define one, read it, retire it."""

from __future__ import annotations

import uuid
from typing import Any

from execution_service.graph import GraphSpec
from execution_service.service.refusals import GraphNotFound
from execution_service.service.views import graph_view
from execution_service.store import graph_rows


def _not_found(graph_id: uuid.UUID) -> GraphNotFound:
    return GraphNotFound(f"No graph with id {graph_id}", {"graph_id": str(graph_id)})


def create_graph(spec: GraphSpec) -> dict[str, Any]:
    definition = spec.model_dump(mode="json", exclude_none=True)
    return graph_view(graph_rows.insert_graph(spec.name, definition))


def get_graph(graph_id: uuid.UUID) -> dict[str, Any]:
    graph = graph_rows.live_graph(graph_id)
    if graph is None:
        raise _not_found(graph_id)
    return graph_view(graph)


def delete_graph(graph_id: uuid.UUID) -> None:
    """Retire a graph: it can no longer be queued; executions already queued still run."""
    if not graph_rows.retire_graph(graph_id):
        raise _not_found(graph_id)
