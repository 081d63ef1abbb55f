"""What one scenario knows: the stack, the client, and what it has made so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hamcrest.core.matcher import Matcher

from harness.http_client import Response

from .client import ApiClient
from .faults.fake_llm import FakeLLM
from .polling import INTERVAL, eventually
from .stacks import Stack
from .stacks.api_processes import ApiProcesses
from .thresholds import Check


@dataclass
class World:
    stack: Stack
    api: ApiClient
    graph: dict[str, Any] | None = None
    graphs: dict[str, dict[str, Any]] = field(default_factory=dict)
    execution: dict[str, Any] | None = None
    executions: list[dict[str, Any]] = field(default_factory=list)
    blockers: list[dict[str, Any]] = field(default_factory=list)
    response: Response | None = None
    before: dict[str, Any] = field(default_factory=dict)
    samples: list[dict[str, Any]] = field(default_factory=list)
    pages: list[list[dict[str, Any]]] = field(default_factory=list)
    missing_id: str | None = None
    workers: list[str] = field(default_factory=list)
    model_provider: FakeLLM | None = None  # the @crewai features' (support/fixtures.py)
    api_processes: ApiProcesses | None = None  # the API of several processes, if one runs
    others: dict[str, ApiClient] = field(default_factory=dict)  # other owners' clients
    key_ids: dict[str, str] = field(default_factory=dict)  # their keys' ids, by owner
    checks: list[Check] = field(default_factory=list)  # the thresholds checked (performance)

    def focus(self) -> dict[str, Any]:
        assert self.execution is not None, "no execution in this scenario yet"
        return self.execution

    def the_graph(self) -> dict[str, Any]:
        assert self.graph is not None, "no graph in this scenario yet"
        return self.graph

    def await_execution(
        self,
        ident: str,
        matcher: Matcher[Any],
        timeout: float = 10.0,
        what: str = "",
        interval: float = INTERVAL,
    ) -> dict[str, Any]:
        """Poll the execution until it matches; fail with its last state after ``timeout``."""
        return eventually(
            lambda: self.api.execution(ident),
            matcher,
            timeout=timeout,
            interval=interval,
            what=what or f"execution {ident}",
        )

    def snapshot(self) -> None:
        """Remember the rows and the statistics, to show later that nothing changed."""
        self.before = {"rows": self.stack.database.counts(), "stats": self.api.stats()}
