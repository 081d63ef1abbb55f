"""Graphs: their rows (create, read the live one, retire) and their parsed definitions,
kept per process.

A graph's definition and owner never change once created (a graph is only ever
deleted), so each process parses each definition once: the API when it queues, a worker
when it starts. Whether the graph is still live is not cached: the caller checks that
where it matters.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from execution_service.graph import GraphSpec
from execution_service.store.engine import read_scope, session_scope
from execution_service.store.models import Graph, utcnow

KEPT = 1024  # the oldest parsed definition is dropped beyond this many


@dataclass(frozen=True)
class OwnedSpec:
    """A graph's parsed definition and its owner."""

    spec: GraphSpec
    owner: str


_specs: dict[uuid.UUID, OwnedSpec] = {}
_lock = threading.Lock()


def remember(graph_id: uuid.UUID, definition: dict[str, Any], owner: str) -> OwnedSpec:
    """Parse ``definition`` and keep it as the graph's."""
    found = OwnedSpec(GraphSpec.model_validate(definition), owner)
    with _lock:
        if len(_specs) >= KEPT:
            _specs.pop(next(iter(_specs)))
        _specs[graph_id] = found
    return found


def owned_specs_of(graph_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, OwnedSpec]:
    """The parsed definitions and owners of the graphs that exist, deleted or not (a
    caller that needs a live graph checks under its lock): from this process's cache,
    the rest in one read."""
    wanted = set(graph_ids)
    found = {g: spec for g in wanted if (spec := _specs.get(g)) is not None}
    missing = [g for g in wanted if g not in found]
    if missing:
        with read_scope() as session:
            rows = session.execute(
                select(Graph.id, Graph.definition, Graph.owner).where(Graph.id.in_(missing))
            ).all()
        for graph_id, definition, owner in rows:
            found[graph_id] = remember(graph_id, definition, owner)
    return found


def spec_of(graph_id: uuid.UUID) -> GraphSpec:
    """The parsed definition of an existing graph (deleted or not)."""
    return owned_specs_of([graph_id])[graph_id].spec


def insert_graph(name: str, definition: dict[str, Any], owner: str) -> Graph:
    with session_scope() as session:
        graph = Graph(name=name, definition=definition, owner=owner)
        session.add(graph)
        session.flush()
        return graph


def live_graph(graph_id: uuid.UUID, owner: str) -> Graph | None:
    """The owner's graph, unless it does not exist, is another owner's or was deleted."""
    with read_scope() as session:
        graph = session.get(Graph, graph_id)
    if graph is None or graph.deleted_at is not None or graph.owner != owner:
        return None
    return graph


def retire_graph(graph_id: uuid.UUID, owner: str) -> bool:
    """Mark the owner's live graph deleted; False when it has none such."""
    with session_scope() as session:
        graph = session.get(Graph, graph_id)
        if graph is None or graph.deleted_at is not None or graph.owner != owner:
            return False
        graph.deleted_at = utcnow()
        return True
