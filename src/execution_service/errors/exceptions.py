"""Exceptions raised while an attempt runs, which ``errors.classify.classify`` knows
by type."""

from __future__ import annotations


class CrewFailure(Exception):
    """Raised by a runner when a crew failed; carries the task it failed in."""

    def __init__(self, task: str | None, cause: BaseException) -> None:
        super().__init__(f"{task}: {type(cause).__name__}")
        self.task = task
        self.__cause__ = cause


class CrewOutputInvalid(Exception):
    """The crew finished but returned something that is not a result."""


class ProviderKeyMissing(Exception):
    """The graph names an environment variable for its provider key that the worker lacks."""


class ProviderNotAllowed(Exception):
    """The graph names a model endpoint or key outside the worker's provider policy;
    nothing was sent (the policy may have narrowed since the graph was stored)."""


class RunnerNotEnabled(Exception):
    """The graph needs the scripted runner, which this worker's operator has not enabled."""


class CircuitOpen(Exception):
    """The circuit breaker refused the call; nothing was sent to the provider."""

    def __init__(self, name: str, retry_in: float) -> None:
        super().__init__(f"circuit {name} is open for {retry_in:.1f} s more")
        self.name = name
        self.retry_in = retry_in


class BudgetExceeded(Exception):
    """The execution's budget was used up: the crew was stopped before a model call.
    ``limit`` names the budget's field, ``task`` the task it stopped in."""

    def __init__(self, task: str | None, limit: str, used: float, allowed: float) -> None:
        super().__init__(f"{limit}: {used:g} used of {allowed:g}")
        self.task = task
        self.limit = limit
        self.used = used
        self.allowed = allowed
