"""Graphs: define one, read it, retire it."""

from __future__ import annotations

import uuid
from typing import Any

from execution_service.config import get_settings
from execution_service.graph import GraphSpec
from execution_service.provider_policy import Refusal, provider_refusals, scripted_refusals
from execution_service.service.access import Principal
from execution_service.service.refusals import GraphNotFound, InvalidRequest
from execution_service.service.views import graph_view
from execution_service.service.webhooks import webhook_refusals
from execution_service.store import graph_rows
from execution_service.usage import budget_refusals


def _not_found(graph_id: uuid.UUID) -> GraphNotFound:
    return GraphNotFound(f"No graph with id {graph_id}", {"graph_id": str(graph_id)})


def refuse_what_the_operator_forbids(spec: GraphSpec) -> None:
    """422 naming each field the operator's settings do not allow: a model endpoint or
    key outside the provider policy, the scripted crew where it is not enabled."""
    settings = get_settings()
    refused = scripted_refusals(spec, settings.scripted_runner_enabled)
    refused += provider_refusals(settings.provider_policy, spec)
    refused += webhook_refusals(spec.settings.webhooks, "settings.webhooks")
    refused += [
        Refusal(r.field, r.message)
        for r in budget_refusals(
            spec.settings.budget, spec, settings.model_prices, "settings.budget.max_cost"
        )
    ]
    if refused:
        raise InvalidRequest(
            "; ".join(f"{r.field}: {r.message}" for r in refused),
            [{"field": r.field, "message": r.message} for r in refused],
        )


def create_graph(spec: GraphSpec, caller: Principal) -> dict[str, Any]:
    """Store a graph, owned by the caller's owner (refused, nothing stored, if the
    operator's settings forbid any of it)."""
    refuse_what_the_operator_forbids(spec)
    definition = spec.model_dump(mode="json", exclude_none=True)
    return graph_view(graph_rows.insert_graph(spec.name, definition, caller.owner))


def get_graph(graph_id: uuid.UUID, caller: Principal) -> dict[str, Any]:
    """The caller's graph (another owner's answers as if it did not exist)."""
    graph = graph_rows.live_graph(graph_id, caller.owner)
    if graph is None:
        raise _not_found(graph_id)
    return graph_view(graph)


def delete_graph(graph_id: uuid.UUID, caller: Principal) -> None:
    """Retire a graph: it can no longer be queued; executions already queued still run."""
    if not graph_rows.retire_graph(graph_id, caller.owner):
        raise _not_found(graph_id)
