"""schemathesis hooks for .ci/api_conformance: requests that satisfy the API's rules that
JSON Schema cannot say, so that "schema-valid request rejected" stays a real finding.

Three rules cannot be written in the OpenAPI document: a graph's tasks name agents by
role, and earlier tasks by name (references between parts of one body; the API refuses
a dangling one, 422); a listing's ``cursor`` is only ever one the API handed out (an
opaque token); and a rerun's ``from_task`` names a task of the execution's graph (a
reference into another resource, 422 when it names none). Only the requests
schemathesis means to be valid (positive) are changed: the graph's references are made
to resolve, a made-up cursor is left out, a made-up ``from_task`` too (a rerun from the
start). Requests meant
to be invalid are sent as generated.
"""

from __future__ import annotations

import base64
import copy
import uuid
from datetime import datetime
from typing import Any

import schemathesis


def _positive(case: Any, location: str) -> bool:
    meta = getattr(case, "meta", None)
    if meta is None:
        return False
    if str(meta.generation.mode) != "positive":
        return False
    for where, component in meta.components.items():
        if getattr(where, "value", where) == location:
            return str(component.mode) == "positive"
    return True


def consistent_graph(graph: dict[str, Any]) -> None:
    """Distinct roles, each task's agent one of them, task names used once, and each
    task's context naming earlier tasks only."""
    agents = graph.get("agents")
    tasks = graph.get("tasks")
    if not isinstance(agents, list) or not isinstance(tasks, list) or not agents:
        return
    roles: list[str] = []
    for index, agent in enumerate(agents):
        if isinstance(agent, dict) and isinstance(agent.get("role"), str):
            if agent["role"] in roles:
                agent["role"] = f"{agent['role'][:180]}#{index}"
            roles.append(agent["role"])
    if not roles:
        return
    names: set[str] = set()
    for index, task in enumerate(tasks):
        if not isinstance(task, dict):
            continue
        task["agent"] = roles[index % len(roles)]
        if isinstance(task.get("context"), list):
            task["context"] = [ref for ref in task["context"] if ref in names]
        name = task.get("name")
        if isinstance(name, str):
            if name in names:
                task.pop("name")
            else:
                names.add(name)


def handed_out(cursor: Any) -> bool:
    """Whether ``cursor`` has the shape of a cursor the API hands out."""
    try:
        text = str(cursor)
        raw = base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode()).decode()
        created, ident = raw.split("|")
        datetime.fromisoformat(created)
        uuid.UUID(ident)
    except (ValueError, UnicodeDecodeError):
        return False
    return True


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    operation = context.operation
    if operation is None:
        return case
    method, path = operation.method.upper(), operation.path
    # changed copies are given back: a case's body may be shared with the cases after it
    if (
        method == "POST"
        and path == "/api/v1/graphs"
        and isinstance(case.body, dict)
        and _positive(case, "body")
    ):
        body = copy.deepcopy(case.body)
        consistent_graph(body)
        case.body = body
    if (
        method == "GET"
        and path == "/api/v1/executions"
        and case.query
        and _positive(case, "query")
        and not handed_out(case.query.get("cursor", ""))
    ):
        case.query = {k: v for k, v in case.query.items() if k != "cursor"}
    if (
        method == "POST"
        and path == "/api/v1/executions/{execution_id}/rerun"
        and isinstance(case.body, dict)
        and "from_task" in case.body
        and _positive(case, "body")
    ):
        case.body = {k: v for k, v in case.body.items() if k != "from_task"}
    return case
