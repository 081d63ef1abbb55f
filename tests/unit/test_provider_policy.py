"""The provider policy (``execution_service.provider_policy``): which model endpoints a
graph may name and which key variables may be sent there; the scripted crew's switch;
the settings that carry both."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from execution_service.config import Settings
from execution_service.graph import GraphSpec, LLMSpec
from execution_service.provider_policy import (
    PLACEHOLDER_KEY,
    NotAnEndpoint,
    ProviderPolicy,
    Refusal,
    needs_placeholder,
    normalise,
    provider_refusals,
    scripted_refusals,
)

OPENAI = "https://api.openai.com/v1"
LOCAL = "http://127.0.0.1:11434/v1"

POLICY = ProviderPolicy(
    endpoints={OPENAI: ("OPENAI_API_KEY",), LOCAL: ()},
    keys_without_base_url=("ANTHROPIC_API_KEY",),
)


def llm(**fields: Any) -> dict[str, Any]:
    return {"model": "openai/gpt-4o-mini", **fields}


def spec(*llms: dict[str, Any] | None, **extra: Any) -> GraphSpec:
    agents = [
        {"role": f"agent {i}", "goal": "g", "backstory": "b", **({"llm": m} if m else {})}
        for i, m in enumerate(llms or (None,))
    ]
    tasks = [{"description": "d", "expected_output": "o", "agent": "agent 0"}]
    return GraphSpec.model_validate({"name": "g", "agents": agents, "tasks": tasks, **extra})


def fields(refusals: list[Refusal]) -> list[str]:
    return [r.field for r in refusals]


# -- normalising ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("https://api.openai.com/v1", "https://api.openai.com/v1"),
        ("https://api.openai.com/v1/", "https://api.openai.com/v1"),
        ("https://api.openai.com/v1//", "https://api.openai.com/v1"),
        ("HTTPS://API.OpenAI.COM/v1", "https://api.openai.com/v1"),
        ("https://api.openai.com:443/v1", "https://api.openai.com/v1"),
        ("http://example.com:80/v1", "http://example.com/v1"),
        ("http://example.com:443/v1", "http://example.com:443/v1"),
        ("https://example.com:80/v1", "https://example.com:80/v1"),
        ("http://127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1"),
        ("http://[::1]:8080/v1/", "http://[::1]:8080/v1"),
        ("https://example.com", "https://example.com"),
        ("https://example.com/", "https://example.com"),
        ("https://example.com/API/V1", "https://example.com/API/V1"),  # a path keeps its case
    ],
)
def test_a_url_is_compared_by_scheme_host_port_and_path(url: str, normal: str) -> None:
    assert normalise(url) == normal


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://user:pass@api.openai.com/v1", "user name or password"),
        ("https://user@api.openai.com/v1", "user name or password"),
        ("https://api.openai.com@evil.example/v1", "user name or password"),
        ("https://:@api.openai.com/v1", "user name or password"),
        ("ftp://api.openai.com/v1", "http:// or https://"),
        ("api.openai.com/v1", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("https:///v1", "needs a host"),
        ("https://api.openai.com/v1?key=1", "query or a fragment"),
        ("https://api.openai.com/v1?", "query or a fragment"),
        ("https://api.openai.com/v1#x", "query or a fragment"),
        ("https://api.openai.com/v1/../evil", "'..' segments"),
        ("https://api.openai.com/./v1", "'..' segments"),
        ("https://api.openai.com:99999/v1", "not a valid URL"),
        ("https://api.openai.com:x/v1", "not a valid URL"),
        ("https://api.openai.com /v1", "spaces"),
        ("https://api.openai.com\\@evil.example/v1", "backslashes"),
        ("https://api.openai.com/v1\n", "control characters"),
    ],
)
def test_a_url_that_can_never_be_an_endpoint_says_why(url: str, reason: str) -> None:
    with pytest.raises(NotAnEndpoint, match=reason.replace("?", r"\?")):
        normalise(url)


# -- the policy itself --------------------------------------------------------------------


def test_the_default_policy_allows_no_endpoint_and_no_key() -> None:
    policy = Settings().provider_policy
    assert policy == ProviderPolicy()
    assert (policy.endpoints, policy.keys_without_base_url) == ({}, ())
    assert fields(provider_refusals(policy, spec(llm(base_url=OPENAI)))) == [
        "agents.0.llm.base_url"
    ]
    assert fields(provider_refusals(policy, spec(llm(api_key_env="OPENAI_API_KEY")))) == [
        "agents.0.llm.api_key_env"
    ]
    assert provider_refusals(policy, spec(llm())) == []


def test_the_operators_endpoints_are_normalised_and_merged() -> None:
    policy = ProviderPolicy(
        endpoints={"HTTPS://API.openai.com:443/v1/": ["OPENAI_API_KEY"], OPENAI: ["OTHER_KEY"]}
    )
    assert policy.endpoints == {OPENAI: ("OPENAI_API_KEY", "OTHER_KEY")}


@pytest.mark.parametrize(
    "policy",
    [
        {"endpoints": {"https://user:pw@api.openai.com/v1": []}},
        {"endpoints": {"api.openai.com": []}},
        {"endpoints": {OPENAI: ["EXEC_DATABASE_URL"]}},
        {"endpoints": {OPENAI: ["openai_api_key"]}},
        {"keys_without_base_url": ["DATABASE_URL"]},
        {"keys_without_base_url": ["EXEC_BROKER_KEY"]},
        {"endpoint": {}},
    ],
)
def test_a_policy_that_is_not_one_is_refused_at_start(policy: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ProviderPolicy.model_validate(policy)


def test_the_setting_is_read_as_json_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "EXEC_PROVIDER_POLICY",
        json.dumps({"endpoints": {OPENAI + "/": ["OPENAI_API_KEY"]}, "keys_without_base_url": []}),
    )
    assert Settings().provider_policy.endpoints == {OPENAI: ("OPENAI_API_KEY",)}
    monkeypatch.setenv("EXEC_PROVIDER_POLICY", '{"endpoints": {"ftp://x/": []}}')
    with pytest.raises(ValidationError, match="http:// or https://"):
        Settings()


# -- a graph against the policy ------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        llm(base_url=OPENAI, api_key_env="OPENAI_API_KEY"),
        llm(base_url="HTTPS://api.openai.com:443/v1/", api_key_env="OPENAI_API_KEY"),
        llm(base_url=OPENAI),
        llm(base_url=LOCAL),
        llm(base_url=LOCAL + "/"),
        llm(api_key_env="ANTHROPIC_API_KEY"),
        llm(),
        None,
    ],
)
def test_a_model_the_policy_allows(model: dict[str, Any] | None) -> None:
    assert provider_refusals(POLICY, spec(model)) == []


@pytest.mark.parametrize(
    ("model", "field", "says"),
    [
        # the key-leak attempt: a URL of the graph's choosing with the worker's key
        (
            llm(base_url="http://127.0.0.1:9999/v1", api_key_env="OPENAI_API_KEY"),
            "base_url",
            "http://127.0.0.1:9999/v1 is not one the operator allows",
        ),
        (llm(base_url="http://127.0.0.1:9999/v1"), "base_url", "not one the operator allows"),
        # no prefix tricks: a longer host, a longer path, another port, another scheme
        (llm(base_url="https://api.openai.com.evil.example/v1"), "base_url", "not one"),
        (llm(base_url="https://api.openai.com/v1/evil"), "base_url", "not one"),
        (llm(base_url="https://api.openai.com/v1evil"), "base_url", "not one"),
        (llm(base_url="https://api.openai.com/"), "base_url", "not one"),
        (llm(base_url="https://api.openai.com:8443/v1"), "base_url", "not one"),
        (llm(base_url="http://api.openai.com/v1"), "base_url", "not one"),
        (llm(base_url="http://localhost:11434/v1"), "base_url", "not one"),
        (llm(base_url="https://x@api.openai.com/v1"), "base_url", "user name or password"),
        (llm(base_url="https://api.openai.com/v1/../v1"), "base_url", "'..' segments"),
        # an allowed endpoint, a key not allowed there
        (
            llm(base_url=OPENAI, api_key_env="ANTHROPIC_API_KEY"),
            "api_key_env",
            "ANTHROPIC_API_KEY may not be sent to the endpoint https://api.openai.com/v1 "
            "(allowed there: OPENAI_API_KEY",
        ),
        (
            llm(base_url=LOCAL, api_key_env="OPENAI_API_KEY"),
            "api_key_env",
            "(allowed there: none",
        ),
        # no base_url: only the keys the operator lists for the providers' own endpoints
        (
            llm(api_key_env="OPENAI_API_KEY"),
            "api_key_env",
            "may not be sent to a model without a base_url (allowed there: ANTHROPIC_API_KEY",
        ),
    ],
)
def test_a_model_the_policy_refuses_names_its_field(
    model: dict[str, Any], field: str, says: str
) -> None:
    (refused,) = provider_refusals(POLICY, spec(model))
    assert refused.field == f"agents.0.llm.{field}"
    assert says in refused.message


def test_every_agent_and_the_manager_are_checked_each_by_its_field() -> None:
    outside = llm(base_url="http://collector.example/v1", api_key_env="OPENAI_API_KEY")
    graph = spec(
        llm(base_url=OPENAI, api_key_env="OPENAI_API_KEY"),
        outside,
        llm(base_url=OPENAI, api_key_env="HF_TOKEN"),
        process="hierarchical",
        manager_llm=outside,
    )
    assert fields(provider_refusals(POLICY, graph)) == [
        "agents.1.llm.base_url",
        "agents.2.llm.api_key_env",
        "manager_llm.base_url",
    ]


def test_a_manager_with_a_key_not_allowed_is_refused() -> None:
    graph = spec(llm(), manager_llm=llm(api_key_env="OPENAI_API_KEY"))
    assert fields(provider_refusals(POLICY, graph)) == ["manager_llm.api_key_env"]


def test_a_model_at_a_url_without_a_key_gets_the_placeholder_not_the_workers_key() -> None:
    assert needs_placeholder(LLMSpec(model="m", base_url=LOCAL))
    assert not needs_placeholder(LLMSpec(model="m", base_url=OPENAI, api_key_env="OPENAI_API_KEY"))
    assert not needs_placeholder(LLMSpec(model="m"))  # the provider's own endpoint
    assert PLACEHOLDER_KEY and not PLACEHOLDER_KEY.startswith("sk-")


# -- the scripted crew's switch -------------------------------------------------------------


SCRIPT = {"default": {"steps": 1, "step_seconds": 0.0}, "tasks": []}


def test_the_scripted_crew_is_refused_where_it_is_not_enabled() -> None:
    assert fields(scripted_refusals(spec(runner="scripted"), False)) == ["runner"]
    assert fields(scripted_refusals(spec(script=SCRIPT), False)) == ["script"]
    both = scripted_refusals(spec(runner="scripted", script=SCRIPT), False)
    assert fields(both) == ["runner", "script"]
    assert "EXEC_SCRIPTED_RUNNER_ENABLED" in both[0].message
    assert scripted_refusals(spec(runner="crewai"), False) == []
    assert scripted_refusals(spec(), False) == []


def test_the_scripted_crew_is_accepted_where_it_is_enabled() -> None:
    assert scripted_refusals(spec(runner="scripted", script=SCRIPT), True) == []


def test_the_scripted_runner_is_off_unless_the_operator_enables_it() -> None:
    assert Settings().scripted_runner_enabled is False
    with pytest.raises(ValidationError, match="EXEC_SCRIPTED_RUNNER_ENABLED"):
        Settings(default_runner="scripted")
    settings = Settings(default_runner="scripted", scripted_runner_enabled=True)
    assert settings.default_runner == "scripted"


# -- the worker checks again, before anything is built ---------------------------------------


@pytest.fixture
def worker_settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    from execution_service import config

    settings = Settings(
        provider_policy=POLICY, default_runner="scripted", scripted_runner_enabled=True
    )
    monkeypatch.setattr(config, "_settings", settings)
    return settings


def _runner_without_libraries(monkeypatch: pytest.MonkeyPatch) -> Any:
    from execution_service.crews.crewai import runner as runner_module

    def no_library(name: str) -> Any:
        raise AssertionError(f"the {name} library was loaded for a graph the policy refuses")

    monkeypatch.setattr(runner_module, "load_library", no_library)
    return runner_module.CrewAIRunner()


def test_the_worker_refuses_a_stored_graph_the_policy_no_longer_allows(
    worker_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from execution_service.errors.classify import classify
    from execution_service.errors.codes import Category, ErrorCode
    from execution_service.errors.exceptions import ProviderNotAllowed

    runner = _runner_without_libraries(monkeypatch)
    graph = spec(llm(base_url="http://collector.example/v1", api_key_env="OPENAI_API_KEY"))
    with pytest.raises(ProviderNotAllowed, match=r"agents\.0\.llm\.base_url") as refused:
        runner.run(graph, {}, hooks=None)
    info = classify(refused.value)
    assert (info.code, info.category, info.retryable) == (
        ErrorCode.PROVIDER_NOT_ALLOWED,
        Category.PERMANENT,
        False,
    )


def test_the_worker_refuses_the_scripted_crew_where_it_is_not_enabled(
    worker_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from execution_service.errors.classify import classify
    from execution_service.errors.codes import ErrorCode
    from execution_service.errors.exceptions import RunnerNotEnabled

    monkeypatch.setattr(worker_settings, "scripted_runner_enabled", False)
    runner = _runner_without_libraries(monkeypatch)
    with pytest.raises(RunnerNotEnabled, match="runner: the scripted runner is not enabled"):
        runner.run(spec(runner="scripted"), {}, hooks=None)
    with pytest.raises(RunnerNotEnabled, match="script: "):
        runner.run(spec(runner="crewai", script=SCRIPT), {}, hooks=None)
    assert classify(RunnerNotEnabled("script: off")).code == ErrorCode.GRAPH_INVALID


def test_a_model_at_an_allowed_url_without_a_key_is_built_with_the_placeholder(
    worker_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from execution_service.crews.crewai.loading import load_library
    from execution_service.crews.crewai.runner import CrewAIRunner

    monkeypatch.setenv("OPENAI_API_KEY", "sk-the-workers-own")
    library = load_library("scripted")
    runner = CrewAIRunner()
    built = runner._llm(library, LLMSpec(model="openai/m", base_url=LOCAL + "/"))
    assert built.options["api_key"] == PLACEHOLDER_KEY
    assert built.options["base_url"] == LOCAL  # the URL the policy allowed
    named = runner._llm(
        library, LLMSpec(model="openai/m", base_url=OPENAI, api_key_env="OPENAI_API_KEY")
    )
    assert named.options["api_key"] == "sk-the-workers-own"
    own_endpoint = runner._llm(library, LLMSpec(model="openai/m"))
    assert "api_key" not in own_endpoint.options  # the provider's own endpoint, its own key


# -- at graph creation --------------------------------------------------------------------------


def test_a_graph_outside_the_policy_is_refused_naming_the_fields_and_nothing_is_stored(
    worker_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from execution_service.service import graphs
    from execution_service.service.access import Principal
    from execution_service.service.refusals import InvalidRequest

    def no_insert(*_: Any) -> Any:
        raise AssertionError("a refused graph was stored")

    monkeypatch.setattr(graphs.graph_rows, "insert_graph", no_insert)
    monkeypatch.setattr(worker_settings, "scripted_runner_enabled", False)
    graph = spec(
        llm(base_url="http://collector.example/v1", api_key_env="OPENAI_API_KEY"),
        script=SCRIPT,
        manager_llm=llm(base_url=OPENAI, api_key_env="HF_TOKEN"),
    )
    with pytest.raises(InvalidRequest) as refused:
        graphs.create_graph(graph, Principal("acme"))
    assert refused.value.status == 422
    assert [d["field"] for d in refused.value.details] == [  # type: ignore[attr-defined]
        "script",
        "agents.0.llm.base_url",
        "manager_llm.api_key_env",
    ]
    assert refused.value.message.startswith("script: the scripted runner is not enabled")
