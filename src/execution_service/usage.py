"""What a crew's model calls cost: token usage, the operator's prices, budgets.

Pure (no SQL, no HTTP framework, no service imports), like ``provider_policy.py``:

* :class:`Usage`: prompt, completion and total tokens and the number of model calls, in
  all and by task, by agent and by model; one attempt's, or an execution's (its attempts
  added together, :meth:`Usage.plus`). Kept as a JSON document (:meth:`Usage.document`,
  :meth:`Usage.from_document`) on the execution and in the history row ending an attempt.
* :class:`PriceTable`: the operator's prices (setting ``model_prices``, env
  ``EXEC_MODEL_PRICES``, JSON), per model a price per million prompt tokens and per million
  completion tokens, in one currency::

      EXEC_MODEL_PRICES='{"currency": "USD",
                          "models": {"openai/gpt-4o-mini": {"prompt": 0.15, "completion": 0.6}}}'

  A model is named as the graph names it (``agents[].llm.model``); a call made with a
  model the graph does not name (an agent without ``llm`` uses its library's default) is
  named as the library reports it. :meth:`PriceTable.cost` gives an estimate only when
  every model used has a price: never a made-up number.
* :class:`Budget`: ``max_total_tokens``, ``max_cost`` (in the table's currency),
  ``max_model_calls``; a graph's (``settings.budget``) and a queue request's (``budget``)
  are combined field by field, the smaller wins (:func:`combined`). :func:`spent` says
  whether a budget is used up: checked before every model call, so a call is made only
  while something is left, and a budget smaller than one call is exceeded by at most that
  call. With ``max_cost`` and a call of a model with no price the cost cannot be known:
  the budget counts as spent (:func:`budget_refusals` refuses such a graph up front).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

if TYPE_CHECKING:
    from execution_service.graph import GraphSpec

COUNTS = ("prompt_tokens", "completion_tokens", "total_tokens", "model_calls")
"""The counts of a :class:`Tokens`, as its document names them."""


@dataclass
class Tokens:
    """Token counts and model calls of some calls (a task's, an agent's, all of them)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    model_calls: int = 0

    def add(self, other: Tokens) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.total_tokens += other.total_tokens
        self.model_calls += other.model_calls

    def document(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTS}

    @classmethod
    def from_document(cls, doc: dict[str, Any] | None) -> Tokens:
        doc = doc or {}
        return cls(**{name: _count(doc.get(name)) for name in COUNTS})


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def call_tokens(usage: Any) -> Tokens:
    """One model call's counts from what the library reports (``{"prompt_tokens",
    "completion_tokens", "total_tokens"}``, any of them missing): a missing total is the
    sum; anything that is not a count is 0."""
    doc = usage if isinstance(usage, dict) else {}
    prompt = _count(doc.get("prompt_tokens"))
    completion = _count(doc.get("completion_tokens"))
    total = _count(doc.get("total_tokens")) or prompt + completion
    return Tokens(prompt, completion, total, 1)


@dataclass
class Usage:
    """The usage of an attempt or of an execution (see the module's docstring)."""

    total: Tokens = field(default_factory=Tokens)
    by_task: dict[str, Tokens] = field(default_factory=dict)
    by_agent: dict[str, Tokens] = field(default_factory=dict)
    by_model: dict[str, Tokens] = field(default_factory=dict)

    def add_call(self, tokens: Tokens, task: str, agent: str, model: str) -> None:
        """Count one model call made for ``task`` by ``agent`` with ``model``."""
        self.total.add(tokens)
        for part, key in ((self.by_task, task), (self.by_agent, agent), (self.by_model, model)):
            part.setdefault(key, Tokens()).add(tokens)

    def plus(self, other: Usage) -> Usage:
        """This usage and ``other`` added together (a new one)."""
        result = Usage()
        for usage in (self, other):
            result.total.add(usage.total)
            for name in ("by_task", "by_agent", "by_model"):
                into: dict[str, Tokens] = getattr(result, name)
                for key, tokens in getattr(usage, name).items():
                    into.setdefault(key, Tokens()).add(tokens)
        return result

    def document(self, prices: PriceTable | None = None) -> dict[str, Any]:
        """The JSON document kept and shown; ``estimated_cost`` only when ``prices`` price
        every model used."""
        doc: dict[str, Any] = {
            **self.total.document(),
            "by_task": {k: v.document() for k, v in self.by_task.items()},
            "by_agent": {k: v.document() for k, v in self.by_agent.items()},
            "by_model": {k: v.document() for k, v in self.by_model.items()},
        }
        if prices is not None and (cost := prices.cost(self)) is not None:
            doc["estimated_cost"] = {"amount": cost, "currency": prices.currency}
        return doc

    @classmethod
    def from_document(cls, doc: dict[str, Any] | None) -> Usage:
        doc = doc if isinstance(doc, dict) else {}

        def part(name: str) -> dict[str, Tokens]:
            found = doc.get(name)
            if not isinstance(found, dict):
                return {}
            return {str(k): Tokens.from_document(v) for k, v in found.items()}

        return cls(Tokens.from_document(doc), part("by_task"), part("by_agent"), part("by_model"))


def summary(doc: dict[str, Any] | None) -> dict[str, Any]:
    """The total of a usage document (for listings): the counts and the estimated cost,
    without the parts; zeros for an execution that made no call."""
    doc = doc if isinstance(doc, dict) else {}
    found = Tokens.from_document(doc).document()
    if isinstance(doc.get("estimated_cost"), dict):
        found["estimated_cost"] = doc["estimated_cost"]
    return found


class Ledger:
    """One attempt's usage as its calls complete, with the usage of the attempts before
    it (``before``): what the worker keeps while a crew runs. Thread-safe: calls are
    counted in the library's event threads and read by the budget check and the writer."""

    def __init__(self, before: Usage | None = None) -> None:
        self.before = before or Usage()
        self.attempt = Usage()
        self.execution = self.before.plus(Usage())  # before + attempt, kept as calls come
        self.lock = threading.Lock()

    def add_call(self, tokens: Tokens, task: str, agent: str, model: str) -> None:
        with self.lock:
            self.attempt.add_call(tokens, task, agent, model)
            self.execution.add_call(tokens, task, agent, model)

    def spent(self, budget: dict[str, Any] | None, prices: PriceTable) -> Spent | None:
        """Whether the execution (every attempt so far) has used up ``budget``."""
        if not budget:
            return None
        with self.lock:
            return spent(budget, self.execution, prices)

    def documents(self, prices: PriceTable) -> tuple[dict[str, Any], dict[str, Any]]:
        """The execution's usage document and this attempt's."""
        with self.lock:
            return self.execution.document(prices), self.attempt.document(prices)


# --- the operator's prices -----------------------------------------------------------

Price = Annotated[float, Field(ge=0, le=1_000_000)]


def _number(value: object) -> object:
    if isinstance(value, bool | str | bytes):
        raise ValueError("Input should be a valid number")
    return value


class ModelPrice(BaseModel):
    """A model's price per million prompt tokens and per million completion tokens."""

    model_config = ConfigDict(extra="forbid")

    prompt: Annotated[Price, BeforeValidator(_number)]
    completion: Annotated[Price, BeforeValidator(_number)]


class PriceTable(BaseModel):
    """The operator's price table (see the module's docstring). Default: no prices, so
    no estimated cost and no ``max_cost``."""

    model_config = ConfigDict(extra="forbid")

    currency: str = Field(default="USD", min_length=1, max_length=10)
    models: dict[Annotated[str, Field(min_length=1, max_length=200)], ModelPrice] = Field(
        default_factory=dict
    )

    def priced(self, model: str) -> bool:
        return model in self.models

    def cost(self, usage: Usage) -> float | None:
        """The estimated cost of ``usage``; None if any model used has no price."""
        amount = 0.0
        for model, tokens in usage.by_model.items():
            price = self.models.get(model)
            if price is None:
                return None
            amount += (
                tokens.prompt_tokens * price.prompt + tokens.completion_tokens * price.completion
            )
        return round(amount / 1_000_000, 9)


# --- budgets -------------------------------------------------------------------------

BUDGET_FIELDS = ("max_total_tokens", "max_cost", "max_model_calls")


def _whole(value: object) -> object:
    """A count: 3 or 3.0 (JSON Schema's integer), never true or "3"."""
    if isinstance(value, bool | str | bytes):
        raise ValueError("Input should be a valid integer")
    return value


Count = Annotated[int, Field(strict=False, ge=1, le=10**12), BeforeValidator(_whole)]


class Budget(BaseModel):
    """What an execution may spend on model calls, all its attempts together; any field
    left out is not limited. Checked before every model call: the crew is stopped with
    ``BUDGET_EXCEEDED`` (not retried) once one of them is used up."""

    model_config = ConfigDict(extra="forbid", strict=True)

    max_total_tokens: Count | None = Field(
        default=None, description="At most this many tokens (prompt and completion)."
    )
    max_cost: float | None = Field(
        default=None,
        gt=0,
        le=1_000_000_000,
        description="At most this estimated cost, in the operator's price table's "
        "currency; every model the graph uses must have a price.",
    )
    max_model_calls: Count | None = Field(
        default=None, description="At most this many model calls."
    )

    def limits(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


def combined(*budgets: Budget | None) -> Budget | None:
    """The budgets given, field by field the smaller; None when none limits anything."""
    values: dict[str, Any] = {}
    for budget in budgets:
        if budget is None:
            continue
        for name, value in budget.limits().items():
            values[name] = min(values[name], value) if name in values else value
    return Budget(**values) if values else None


class Spent(NamedTuple):
    """Which limit is used up, how much of it is used, and the limit."""

    field: str
    used: float
    limit: float


def spent(budget: dict[str, Any] | None, usage: Usage, prices: PriceTable) -> Spent | None:
    """The first limit of ``budget`` (a :meth:`Budget.limits` document) that ``usage``
    has used up, or None while everything has something left."""
    if not budget:
        return None
    limit = budget.get("max_model_calls")
    if limit is not None and usage.total.model_calls >= limit:
        return Spent("max_model_calls", usage.total.model_calls, limit)
    limit = budget.get("max_total_tokens")
    if limit is not None and usage.total.total_tokens >= limit:
        return Spent("max_total_tokens", usage.total.total_tokens, limit)
    limit = budget.get("max_cost")
    if limit is not None and usage.total.model_calls:
        cost = prices.cost(usage)
        if cost is None:  # a model without a price: its cost cannot be kept under a limit
            return Spent("max_cost", float("inf"), limit)
        if cost >= limit:
            return Spent("max_cost", cost, limit)
    return None


class Refusal(NamedTuple):
    field: str
    message: str


def graph_models(spec: GraphSpec) -> list[tuple[str, str | None]]:
    """Each model a graph's crew calls: (where the graph says it, the model's name), None
    for an agent without ``llm`` (its library's default model)."""
    found: list[tuple[str, str | None]] = [
        (f"agents.{index}.llm.model", agent.llm.model if agent.llm else None)
        for index, agent in enumerate(spec.agents)
    ]
    if spec.process == "hierarchical" and spec.manager_llm is not None:
        found.append(("manager_llm.model", spec.manager_llm.model))
    return found


def budget_refusals(
    budget: Budget | None, spec: GraphSpec, prices: PriceTable, where: str
) -> list[Refusal]:
    """A ``max_cost`` (at ``where``, e.g. ``settings.budget.max_cost``) needs a price for
    every model the graph calls: else its cost could not be kept under the limit."""
    if budget is None or budget.max_cost is None:
        return []
    unpriced = sorted(
        {
            f"{path} ({model!r})"
            if model
            else f"{path.removesuffix('.llm.model')} (no llm: its library's default model)"
            for path, model in graph_models(spec)
            if model is None or not prices.priced(model)
        }
    )
    if not unpriced:
        return []
    return [
        Refusal(
            where,
            "needs a price for every model the graph uses (the operator's price table); "
            f"none for {', '.join(unpriced)}",
        )
    ]
