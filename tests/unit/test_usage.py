"""Usage accounting, the price table, budgets (usage.py) and the worker's budget check
before a model call (crews/crewai/events.py)."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from execution_service.config import Settings
from execution_service.crews.crewai.events import CrewRun
from execution_service.crews.interface import StopRequested
from execution_service.graph import GraphSpec
from execution_service.usage import (
    Budget,
    Ledger,
    PriceTable,
    Tokens,
    Usage,
    budget_refusals,
    call_tokens,
    combined,
    spent,
    summary,
)

PRICES = PriceTable.model_validate(
    {"currency": "EUR", "models": {"m": {"prompt": 2.0, "completion": 10.0}}}
)


def _usage(calls: int, model: str = "m", prompt: int = 100, completion: int = 20) -> Usage:
    usage = Usage()
    for _ in range(calls):
        usage.add_call(Tokens(prompt, completion, prompt + completion, 1), "t", "a", model)
    return usage


def test_a_call_counts_what_the_library_reports_and_nothing_made_up() -> None:
    assert call_tokens({"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}) == (
        Tokens(10, 5, 15, 1)
    )
    assert call_tokens({"prompt_tokens": 10, "completion_tokens": 5}) == Tokens(10, 5, 15, 1)
    assert call_tokens(None) == Tokens(0, 0, 0, 1)
    assert call_tokens({"prompt_tokens": "10", "completion_tokens": True}) == Tokens(0, 0, 0, 1)


def test_usage_adds_up_by_task_agent_and_model_and_across_attempts() -> None:
    first = Usage()
    first.add_call(Tokens(10, 5, 15, 1), "research", "researcher", "m")
    first.add_call(Tokens(20, 5, 25, 1), "write", "writer", "m")
    second = Usage()
    second.add_call(Tokens(1, 1, 2, 1), "write", "writer", "other")
    both = first.plus(second)
    doc = both.document()
    assert doc["total_tokens"] == 42 and doc["model_calls"] == 3
    assert doc["by_task"]["write"] == {
        "prompt_tokens": 21,
        "completion_tokens": 6,
        "total_tokens": 27,
        "model_calls": 2,
    }
    assert doc["by_agent"]["researcher"]["total_tokens"] == 15
    assert sorted(doc["by_model"]) == ["m", "other"]
    assert first.document()["total_tokens"] == 40  # plus() changed neither
    assert Usage.from_document(doc).document() == doc


def test_the_estimated_cost_needs_a_price_for_every_model_used() -> None:
    assert PRICES.cost(_usage(3)) == pytest.approx(0.0012)
    assert _usage(3).document(PRICES)["estimated_cost"] == {
        "amount": pytest.approx(0.0012),
        "currency": "EUR",
    }
    mixed = _usage(3).plus(_usage(1, model="unpriced"))
    assert PRICES.cost(mixed) is None
    assert "estimated_cost" not in mixed.document(PRICES)


def test_a_listing_shows_the_total_only() -> None:
    doc = _usage(2).document(PRICES)
    assert summary(doc) == {
        "prompt_tokens": 200,
        "completion_tokens": 40,
        "total_tokens": 240,
        "model_calls": 2,
        "estimated_cost": doc["estimated_cost"],
    }
    assert summary(None) == Tokens().document()


def test_of_two_budgets_the_smaller_of_each_field_wins() -> None:
    graph = Budget(max_total_tokens=1000, max_model_calls=5)
    request = Budget(max_total_tokens=500, max_cost=1.0)
    both = combined(graph, request)
    assert both is not None
    assert both.limits() == {"max_total_tokens": 500, "max_model_calls": 5, "max_cost": 1.0}
    assert combined(request, graph) == both
    assert combined(None, None) is None
    assert combined(None, Budget()) is None


@pytest.mark.parametrize(
    ("budget", "calls", "field"),
    [
        ({"max_model_calls": 3}, 2, None),
        ({"max_model_calls": 3}, 3, "max_model_calls"),
        ({"max_total_tokens": 360}, 2, None),
        ({"max_total_tokens": 360}, 3, "max_total_tokens"),
        ({"max_total_tokens": 50}, 0, None),
        ({"max_total_tokens": 50}, 1, "max_total_tokens"),
        ({"max_cost": 0.0012}, 2, None),
        ({"max_cost": 0.0012}, 3, "max_cost"),
        ({}, 100, None),
    ],
)
def test_a_budget_is_spent_once_a_limit_is_reached(
    budget: dict[str, Any], calls: int, field: str | None
) -> None:
    found = spent(budget, _usage(calls), PRICES)
    assert (found.field if found else None) == field


def test_a_cost_limit_with_an_unpriced_model_counts_as_spent() -> None:
    assert spent({"max_cost": 100.0}, _usage(0, model="x"), PRICES) is None
    found = spent({"max_cost": 100.0}, _usage(1, model="x"), PRICES)
    assert found is not None and found.field == "max_cost"


@pytest.mark.parametrize(
    "body",
    [
        {"max_total_tokens": 0},
        {"max_total_tokens": True},
        {"max_model_calls": "3"},
        {"max_cost": 0},
        {"max_cost": "1"},
        {"max_calls": 3},
    ],
)
def test_a_bad_budget_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Budget.model_validate(body)


def test_a_whole_number_written_as_a_float_is_a_count() -> None:
    assert Budget.model_validate({"max_model_calls": 3.0}).max_model_calls == 3


def _spec(models: list[str | None], budget: dict[str, Any] | None = None) -> GraphSpec:
    return GraphSpec.model_validate(
        {
            "name": "g",
            "agents": [
                {
                    "role": f"a{i}",
                    "goal": "g",
                    "backstory": "b",
                    **({"llm": {"model": m}} if m else {}),
                }
                for i, m in enumerate(models)
            ],
            "tasks": [{"description": "d", "expected_output": "o", "agent": "a0"}],
            "settings": {"budget": budget} if budget else {},
        }
    )


def test_a_cost_limit_is_refused_unless_every_model_has_a_price() -> None:
    budget = Budget(max_cost=1.0)
    assert budget_refusals(budget, _spec(["m", "m"]), PRICES, "budget.max_cost") == []
    refused = budget_refusals(budget, _spec(["m", "x", None]), PRICES, "budget.max_cost")
    assert [r.field for r in refused] == ["budget.max_cost"]
    assert "agents.1.llm.model ('x')" in refused[0].message
    assert "agents.2 (no llm" in refused[0].message
    assert budget_refusals(Budget(max_total_tokens=5), _spec(["x"]), PRICES, "b") == []
    assert budget_refusals(None, _spec(["x"]), PRICES, "b") == []


def test_the_price_table_setting_is_parsed_and_a_bad_one_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "EXEC_MODEL_PRICES", '{"currency": "USD", "models": {"m": {"prompt": 1, "completion": 2}}}'
    )
    assert Settings().model_prices.models["m"].completion == 2
    monkeypatch.setenv("EXEC_MODEL_PRICES", '{"models": {"m": {"prompt": 1}}}')
    with pytest.raises(ValidationError, match="completion"):
        Settings()
    monkeypatch.setenv("EXEC_MODEL_PRICES", "{not json")
    with pytest.raises(Exception, match="model_prices"):
        Settings()


# -- the worker's check before a model call ---------------------------------------------------


class _Hooks:
    def __init__(self) -> None:
        self.changes = 0

    def progress(self, *args: Any, **kwargs: Any) -> None:
        pass

    def should_stop(self) -> bool:
        return False

    def usage_changed(self, ledger: Ledger) -> None:
        self.changes += 1


def _run(budget: dict[str, Any] | None) -> CrewRun:
    run = CrewRun(_spec(["m"]), _Hooks())
    run.budget = budget
    run.prices = PRICES
    return run


def _completed(run: CrewRun, task_id: str | None = None, task_name: str | None = None) -> None:
    event = SimpleNamespace(
        task_id=task_id,
        task_name=task_name,
        agent_role="a0",
        model="provider-name",
        usage={"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    )
    run.count_call(None, event)


def test_the_call_that_would_pass_the_budget_is_not_made() -> None:
    run = _run({"max_total_tokens": 300})
    made = 0
    with pytest.raises(StopRequested, match="budget"):
        for _ in range(10):
            run.before_model_call()
            made += 1
            _completed(run, task_name="t")
    assert made == 3  # 240 < 300 lets the third through; 360 stops the fourth
    assert run.exceeded is not None and run.exceeded.field == "max_total_tokens"
    assert run.ledger.attempt.total.total_tokens == 360


def test_the_budget_counts_the_attempts_before() -> None:
    run = _run({"max_model_calls": 3})
    run.ledger = Ledger(_usage(2))
    run.before_model_call()
    _completed(run)
    with pytest.raises(StopRequested):
        run.before_model_call()


def test_the_check_waits_for_the_calls_it_let_through_to_be_counted() -> None:
    run = _run({"max_model_calls": 1})
    run.before_model_call()
    late = threading.Timer(0.1, _completed, (run,))  # crewai's event thread, late
    late.start()
    with pytest.raises(StopRequested):
        run.before_model_call()
    late.join()


def test_calls_are_named_by_the_graph_and_a_manager_s_by_the_task_it_names() -> None:
    run = _run(None)
    run.task_index["id-0"] = 0
    llm = object()
    run.models[id(llm)] = "m"
    run.count_call(
        llm,
        SimpleNamespace(task_id="id-0", agent_role="a0", model="x", usage=None),
    )
    _completed(run, task_id="other", task_name="delegated work")
    _completed(run)
    doc = run.ledger.attempt.document()
    assert sorted(doc["by_task"]) == ["(crew)", "delegated work", "task 1"]
    assert sorted(doc["by_model"]) == ["m", "provider-name"]
    assert doc["model_calls"] == 3
