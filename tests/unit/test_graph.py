"""Graph validation (``execution_service.graph.GraphSpec``): what a graph definition may
say, and the refusal (with the field it names) for what it may not."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from execution_service.graph import GraphSpec

Edit = Callable[[dict[str, Any]], None]


def graph(**changes: Any) -> dict[str, Any]:
    """The smallest valid graph: two agents, two tasks, the second reading the first."""
    found: dict[str, Any] = {
        "name": "research",
        "agents": [
            {"role": "researcher", "goal": "find facts", "backstory": "curious"},
            {"role": "writer", "goal": "write", "backstory": "clear", "tools": ["word_count"]},
        ],
        "tasks": [
            {
                "name": "find",
                "description": "find {topic}",
                "expected_output": "facts",
                "agent": "researcher",
            },
            {
                "name": "write",
                "description": "write it up",
                "expected_output": "a summary",
                "agent": "writer",
                "context": ["find"],
            },
        ],
    }
    found.update(changes)
    return found


def refusal(definition: dict[str, Any]) -> str:
    """The refusal of ``definition``: every error's location and message, one per line."""
    with pytest.raises(ValidationError) as refused:
        GraphSpec.model_validate(definition)
    return "\n".join(
        f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in refused.value.errors()
    )


def edited(edit: Edit) -> dict[str, Any]:
    definition = copy.deepcopy(graph())
    edit(definition)
    return definition


def test_the_smallest_graph_is_valid() -> None:
    spec = GraphSpec.model_validate(graph())
    assert [agent.role for agent in spec.agents] == ["researcher", "writer"]
    assert spec.process == "sequential" and spec.runner is None
    assert spec.settings.retry.max_attempts == 3


def test_tasks_are_labelled_by_name_or_position() -> None:
    definition = edited(lambda g: g["tasks"][1].pop("name"))
    definition["tasks"][1]["context"] = []
    spec = GraphSpec.model_validate(definition)
    assert [spec.task_label(0), spec.task_label(1)] == ["find", "task 2"]


def test_an_unknown_tool_is_refused_and_the_allowed_ones_named() -> None:
    text = refusal(edited(lambda g: g["agents"][0].update(tools=["calculator", "shell"])))
    assert "agents.0.tools" in text
    assert "'shell'" in text and "calculator, word_count" in text


def test_two_agents_with_one_role_are_refused() -> None:
    text = refusal(edited(lambda g: g["agents"][1].update(role="researcher")))
    assert "distinct role" in text


def test_a_task_for_an_agent_that_does_not_exist_is_refused() -> None:
    text = refusal(edited(lambda g: g["tasks"][0].update(agent="editor")))
    assert "tasks.0.agent" in text and "'editor'" in text


def test_context_naming_a_later_task_is_refused() -> None:
    def swap(g: dict[str, Any]) -> None:
        g["tasks"][0]["context"] = ["write"]
        g["tasks"][1]["context"] = []

    text = refusal(edited(swap))
    assert "tasks.0.context" in text and "'write' is not the name of an earlier task" in text


def test_context_naming_its_own_task_is_refused() -> None:
    text = refusal(edited(lambda g: g["tasks"][1].update(context=["write"])))
    assert "tasks.1.context" in text


def test_a_task_name_used_twice_is_refused() -> None:
    def twice(g: dict[str, Any]) -> None:
        g["tasks"][1]["name"] = "find"
        g["tasks"][1]["context"] = []

    assert "tasks.1.name: 'find' is used twice" in refusal(edited(twice))


@pytest.mark.parametrize("name", ["OPENAI_API_KEY", "ANTHROPIC_KEY", "HF_TOKEN", "MY_2ND_KEY"])
def test_a_key_variable_may_be_named(name: str) -> None:
    definition = edited(
        lambda g: g["agents"][0].update(llm={"model": "gpt-4o", "api_key_env": name})
    )
    spec = GraphSpec.model_validate(definition)
    assert spec.agents[0].llm is not None and spec.agents[0].llm.api_key_env == name


@pytest.mark.parametrize(
    "name",
    ["DATABASE_URL", "EXEC_BROKER_URL", "PATH", "openai_api_key", "OPENAI_KEY_FILE", "_KEY", "KEY"],
)
def test_a_variable_that_does_not_hold_a_key_is_refused(name: str) -> None:
    definition = edited(
        lambda g: g["agents"][0].update(llm={"model": "gpt-4o", "api_key_env": name})
    )
    assert "agents.0.llm.api_key_env" in refusal(definition)


def test_the_services_own_settings_are_refused_even_when_named_like_a_key() -> None:
    definition = edited(
        lambda g: g["agents"][0].update(llm={"model": "gpt-4o", "api_key_env": "EXEC_SECRET_KEY"})
    )
    assert "EXEC_ settings cannot be used" in refusal(definition)


def test_the_manager_llm_follows_the_same_key_rules() -> None:
    assert "manager_llm.api_key_env" in refusal(
        graph(manager_llm={"model": "gpt-4o", "api_key_env": "EXEC_DATABASE_KEY"})
    )


def test_an_unknown_scripted_failure_is_refused_and_the_known_ones_named() -> None:
    script = {"default": {"fail": {"error": "meteor_strike"}}}
    text = refusal(graph(runner="scripted", script=script))
    assert "unknown failure 'meteor_strike'" in text and "rate_limit" in text


def test_a_known_scripted_failure_is_accepted() -> None:
    script = {"tasks": [{"fail": {"error": "rate_limit", "retry_after_seconds": 2}}]}
    spec = GraphSpec.model_validate(graph(runner="scripted", script=script))
    assert spec.script is not None
    assert spec.script.for_task(0).fail is not None
    assert spec.script.for_task(1).fail is None, "tasks past the list follow the default"


OUT_OF_BOUNDS: list[tuple[Edit, str]] = [
    (lambda g: g.update(agents=[]), "agents"),
    (lambda g: g.update(tasks=[]), "tasks"),
    (lambda g: g.update(name=""), "name"),
    (lambda g: g.update(name="n" * 201), "name"),
    (lambda g: g.update(process="parallel"), "process"),
    (lambda g: g.update(runner="langchain"), "runner"),
    (lambda g: g.update(owner="me"), "owner"),
    (lambda g: g["agents"][0].update(goal=""), "agents.0.goal"),
    (lambda g: g["agents"][0].update(tools=["calculator"] * 51), "agents.0.tools"),
    (lambda g: g["agents"][0].update(llm={"model": "m", "temperature": 2.5}), "temperature"),
    (lambda g: g["agents"][0].update(llm={"model": "m", "timeout_seconds": 0}), "timeout"),
    (lambda g: g.update(settings={"timeout_seconds": 0}), "settings.timeout_seconds"),
    (lambda g: g.update(settings={"timeout_seconds": 86_401}), "settings.timeout_seconds"),
    (lambda g: g.update(settings={"max_active_executions": 0}), "max_active_executions"),
    (lambda g: g.update(settings={"retry": {"max_attempts": 0}}), "retry.max_attempts"),
    (lambda g: g.update(settings={"retry": {"max_attempts": 21}}), "retry.max_attempts"),
    (lambda g: g.update(settings={"retry": {"jitter": 1.5}}), "retry.jitter"),
    (lambda g: g.update(settings={"retry": {"base_delay_seconds": -1}}), "base_delay"),
    (lambda g: g.update(settings={"tool_failures": "explode"}), "tool_failures"),
    (lambda g: g.update(script={"default": {"steps": 0}}), "script.default.steps"),
]


@pytest.mark.parametrize(("edit", "where"), OUT_OF_BOUNDS, ids=[w for _, w in OUT_OF_BOUNDS])
def test_a_value_out_of_bounds_is_refused_naming_its_field(edit: Edit, where: str) -> None:
    assert where in refusal(edited(edit))


def test_fifty_agents_are_allowed_and_fifty_one_refused() -> None:
    def agents(count: int) -> Edit:
        def edit(g: dict[str, Any]) -> None:
            g["agents"] = [
                {"role": f"agent {i}", "goal": "g", "backstory": "b"} for i in range(count)
            ]
            for task in g["tasks"]:
                task["agent"] = "agent 0"

        return edit

    assert len(GraphSpec.model_validate(edited(agents(50))).agents) == 50
    assert "agents" in refusal(edited(agents(51)))


def test_two_hundred_tasks_are_allowed_and_two_hundred_and_one_refused() -> None:
    def tasks(count: int) -> Edit:
        def edit(g: dict[str, Any]) -> None:
            g["tasks"] = [
                {"description": "d", "expected_output": "o", "agent": "writer"}
                for _ in range(count)
            ]

        return edit

    assert len(GraphSpec.model_validate(edited(tasks(200))).tasks) == 200
    assert "tasks" in refusal(edited(tasks(201)))
