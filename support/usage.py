"""Usage and budgets: crews whose model calls report pinned token counts, and what the
service shows of them (the execution, its history, the listing, the queue statistics).

The scripted crew makes one model call per step and reports the script's ``tokens`` for
each (``crews/scripted/library.py``); the stacks price the models below
(``support/stack_settings.py``: :data:`PRICES`). A crew is described in the scenario as
``a crew of 2 tasks of 3 model calls each, every call using 100 prompt and 20
completion tokens``, with optional clauses after a comma, joined by ``and``:
``with a budget of at most 700 total tokens`` (or ``... 4 model calls``, ``... 0.001 in
cost``), ``on a model without a price``, ``whose task 2 fails transiently at its call 2
on the first attempt``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hamcrest import (
    assert_that,
    close_to,
    equal_to,
    greater_than_or_equal_to,
    has_entries,
    has_key,
    is_not,
)

from .builders.scripted import crew_script, failure, task_script
from .faults.fake_llm import MODEL, FakeLLM
from .world import World

PRICED_MODEL = "scripted-small"
UNPRICED_MODEL = "scripted-unpriced"
PRICES: dict[str, Any] = {
    "currency": "EUR",
    "models": {
        PRICED_MODEL: {"prompt": 2.0, "completion": 10.0},
        f"openai/{MODEL}": {"prompt": 1.0, "completion": 4.0},  # the fake provider's
    },
}
"""The price table both stacks run with."""

_BUDGET = re.compile(r"with a budget of at most ([0-9.]+) (total tokens|model calls?|in cost)")
_FAILS = re.compile(r"whose task (\d+) fails transiently at its call (\d+) on the first attempt")
_BUDGET_FIELDS = {
    "total tokens": "max_total_tokens",
    "model calls": "max_model_calls",
    "model call": "max_model_calls",
    "in cost": "max_cost",
}


def budget_of(text: str) -> dict[str, Any]:
    """``at most 700 total tokens`` (or ``4 model calls``, ``0.001 in cost``) as a budget."""
    found = _BUDGET.search(f"with a budget of {text}")
    assert found, f"not a budget: {text!r}"
    field = _BUDGET_FIELDS[found.group(2)]
    amount = float(found.group(1))
    return {field: amount if field == "max_cost" else int(amount)}


def crew_definition(
    tasks: int, calls: int, prompt: int, completion: int, details: str = ""
) -> dict[str, Any]:
    """The scripted crew the scenario describes (see the module's docstring)."""
    model = UNPRICED_MODEL if "on a model without a price" in details else PRICED_MODEL
    fails = _FAILS.search(details)
    plans = []
    for index in range(1, tasks + 1):
        plan = task_script(steps=calls, step_seconds=0.005)
        plan["tokens"] = {"prompt": prompt, "completion": completion}
        if fails and int(fails.group(1)) == index:
            plan["fail"] = failure("server_error", at_step=int(fails.group(2)), on_attempts=[1])
        plans.append(plan)
    settings: dict[str, Any] = {
        "retry": {"max_attempts": 3, "base_delay_seconds": 0.05, "jitter": 0.0}
    }
    budget = _BUDGET.search(details)
    if budget:
        settings["budget"] = budget_of(budget.group(0).removeprefix("with a budget of "))
    return {
        "name": "a crew that reports its usage",
        "agents": [
            {
                "role": f"agent {i}",
                "goal": f"Do part {i}",
                "backstory": "Counts every token.",
                "llm": {"model": model},
            }
            for i in range(1, tasks + 1)
        ],
        "tasks": [
            {
                "name": f"task {i}",
                "description": f"Part {i}",
                "expected_output": f"Result {i}",
                "agent": f"agent {i}",
            }
            for i in range(1, tasks + 1)
        ],
        "settings": settings,
        "script": crew_script(plans),
    }


def given_crew(
    w: World, tasks: int, calls: int, prompt: int, completion: int, details: str = ""
) -> None:
    w.graph = w.api.create_graph(crew_definition(tasks, calls, prompt, completion, details))


def queue_with_budget(w: World, text: str) -> None:
    execution = w.api.queue_ok(w.the_graph()["id"], budget=budget_of(text))
    w.executions.append(execution)
    w.execution = execution


def _counts(prompt: int, completion: int, calls: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "model_calls": calls,
    }


def usage_is(w: World, prompt: int, completion: int, total: int, calls: int) -> None:
    usage = w.api.execution(w.focus()["id"])["usage"]
    assert_that(usage, has_entries(_counts(prompt, completion, calls)))
    assert_that(usage["total_tokens"], equal_to(total))


def usage_per_task_and_agent(w: World, total: int, calls: int) -> None:
    """Every task and every agent used ``total`` tokens in ``calls`` calls."""
    usage = w.api.execution(w.focus()["id"])["usage"]
    tasks = [t["name"] for t in w.the_graph()["definition"]["tasks"]]
    agents = [a["role"] for a in w.the_graph()["definition"]["agents"]]
    for part, names in (("by_task", tasks), ("by_agent", agents)):
        assert_that(sorted(usage[part]), equal_to(sorted(names)), part)
        for name in names:
            assert_that(
                usage[part][name],
                has_entries(total_tokens=total, model_calls=calls),
                f"{part} {name}",
            )


def estimated_cost(w: World, amount: float, currency: str) -> None:
    cost = w.api.execution(w.focus()["id"])["usage"]["estimated_cost"]
    assert_that(cost["currency"], equal_to(currency))
    assert_that(cost["amount"], close_to(amount, 1e-9))


def no_estimated_cost(w: World) -> None:
    usage = w.api.execution(w.focus()["id"])["usage"]
    assert_that(usage, is_not(has_key("estimated_cost")))
    assert_that(usage["total_tokens"], greater_than_or_equal_to(1))


def attempts_used(w: World, calls: list[int], tokens_per_call: int) -> None:
    """The history row that ends each attempt shows that attempt's own usage."""
    ends = [
        e
        for e in w.api.events(w.focus()["id"])
        if e["from_status"] == "running" and e["status"] != "running"
    ]
    seen = [(e["details"] or {}).get("usage", {}) for e in ends]
    assert_that(
        [(u.get("model_calls"), u.get("total_tokens")) for u in seen],
        equal_to([(n, n * tokens_per_call) for n in calls]),
        "each attempt's own usage, in its history",
    )


def listed_total(w: World, total: int) -> None:
    listed = [e for e in w.api.list()["items"] if e["id"] == w.focus()["id"]]
    assert_that(len(listed), equal_to(1))
    usage = listed[0]["usage"]
    assert_that(usage["total_tokens"], equal_to(total))
    assert_that(usage, is_not(has_key("by_task")))


def tokens_last_minute(w: World, total: int) -> None:
    assert_that(w.api.stats()["tokens_last_minute"], greater_than_or_equal_to(total))


def outputs_kept(w: World, count: int) -> None:
    execution = w.api.execution(w.focus()["id"])
    names = [t["name"] for t in w.the_graph()["definition"]["tasks"]][:count]
    assert_that([o["task"] for o in execution["outputs"]], equal_to(names))


def shows_budget(w: World, text: str) -> None:
    assert_that(w.api.execution(w.focus()["id"])["budget"], equal_to(budget_of(text)))


# -- bad budgets -----------------------------------------------------------------------------


def queue_with_bad_budget(w: World, budget: str, model: str) -> None:
    """Queue an execution of a crew on ``model`` (``priced`` or ``unpriced``) with the JSON
    ``budget``; the answer is kept, and the rows before it."""
    details = "on a model without a price" if model == "unpriced" else ""
    w.graph = w.api.create_graph(crew_definition(1, 1, 10, 5, details))
    w.snapshot()
    w.response = w.api.queue(w.the_graph()["id"], budget=json.loads(budget))


def create_graph_with_bad_budget(w: World, budget: str, model: str) -> None:
    """Create a crew on ``model`` whose ``settings.budget`` is the JSON ``budget``."""
    details = "on a model without a price" if model == "unpriced" else ""
    definition = crew_definition(1, 1, 10, 5, details)
    definition["settings"]["budget"] = json.loads(budget)
    w.snapshot()
    w.response = w.api.raw("POST", "/api/v1/graphs", json=definition)


# -- real crewai crews (the fake model provider reports 10 prompt and 5 completion tokens) ---


def crew_budget(w: World, text: str) -> None:
    """The scenario's crew, with ``settings.budget`` of ``text`` (``at most 1 model call``)."""
    definition = dict(w.the_graph()["definition"])
    definition["settings"] = {**definition.get("settings", {}), "budget": budget_of(text)}
    w.graph = w.api.create_graph(definition)


def counts_every_request(w: World, provider: FakeLLM, prompt: int, completion: int) -> None:
    """The execution's usage is the provider's answers, each of ``prompt`` and
    ``completion`` tokens, counted once."""
    answered = len(provider.chat_requests())
    usage = w.api.execution(w.focus()["id"])["usage"]
    assert_that(answered, greater_than_or_equal_to(1))
    assert_that(usage, has_entries(_counts(prompt * answered, completion * answered, answered)))


def under_model(w: World, model: str, currency: str) -> None:
    usage = w.api.execution(w.focus()["id"])["usage"]
    assert_that(sorted(usage["by_model"]), equal_to([model]))
    assert_that(usage["by_model"][model]["model_calls"], equal_to(usage["model_calls"]))
    assert_that(usage["estimated_cost"]["currency"], equal_to(currency))
