"""Graphs: their rows (create, read the live one, retire) and their parsed definitions,
kept per process.

A graph's definition never changes once created (a graph is only ever deleted), so each
process parses each definition once: the API when it queues, a worker when it starts.
Whether the graph is still live is not cached: the caller checks that where it matters.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from execution_service.graph import GraphSpec
from execution_service.store.engine import read_scope, session_scope
from execution_service.store.models import Graph, utcnow

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


def specs_of(graph_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, GraphSpec]:
    """The parsed definitions of the graphs that exist, deleted or not (a caller that
    needs a live graph checks under its lock): from this process's cache, the rest in
    one read."""
    wanted = set(graph_ids)
    found = {g: spec for g in wanted if (spec := cached(g)) is not None}
    missing = [g for g in wanted if g not in found]
    if missing:
        with read_scope() as session:
            rows = session.execute(
                select(Graph.id, Graph.definition).where(Graph.id.in_(missing))
            ).all()
        for graph_id, definition in rows:
            found[graph_id] = remember(graph_id, definition)
    return found


def spec_of(graph_id: uuid.UUID) -> GraphSpec:
    """The parsed definition of an existing graph (deleted or not): :func:`specs_of` for
    one."""
    return specs_of([graph_id])[graph_id]


def insert_graph(name: str, definition: dict[str, Any]) -> Graph:
    with session_scope() as session:
        graph = Graph(name=name, definition=definition)
        session.add(graph)
        session.flush()
        return graph


def live_graph(graph_id: uuid.UUID) -> Graph | None:
    """The graph, unless it does not exist or was deleted."""
    with read_scope() as session:
        graph = session.get(Graph, graph_id)
    return graph if graph is not None and graph.deleted_at is None else None


def retire_graph(graph_id: uuid.UUID) -> bool:
    """Mark a live graph deleted; False when there was none."""
    with session_scope() as session:
        graph = session.get(Graph, graph_id)
        if graph is None or graph.deleted_at is not None:
            return False
        graph.deleted_at = utcnow()
        return True
