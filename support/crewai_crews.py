"""Real crewai crews against the fake model provider, in the words the @crewai features use.

The crew is a graph with ``"runner": "crewai"`` (``support/builders/graph_definitions.py``):
whatever crew library the stack's workers default to, these graphs run on the real one.
Its agents talk to the feature's fake provider (``support/faults/fake_llm.py``, started by
the ``@fixture.fake_model_provider`` tag) by ``base_url`` and read their key from the
worker's environment (``api_key_env``); the provider records every request.

A step that changes the crew (a tool, a timeout, a key) defines the graph again, so
the ``When`` steps of the other features (``I queue an execution of the graph ...``)
always queue the crew as the scenario describes it.
"""

from __future__ import annotations

import copy
import os
from typing import Any

from hamcrest import (
    all_of,
    assert_that,
    contains_string,
    empty,
    equal_to,
    greater_than,
    has_entries,
    has_item,
    has_length,
    has_property,
    is_not,
)

from .breakers import circuit, circuit_name
from .builders.graph_definitions import RESEARCH, TASK_MARKERS, WRITE, research_crew
from .errors import secret_nowhere
from .executions import TOPICS, failed_one_after_another
from .faults.fake_llm import (
    KEY_ENV,
    MISSING_KEY_ENV,
    MODEL,
    WRONG_KEY_ENV,
    FakeLLM,
    Rule,
    refused_url,
)
from .matchers import has_status, is_finished
from .polling import consistently, eventually
from .world import World

MANAGER = "You are Crew Manager"  # how crewai's hierarchical manager is prompted


def provider(w: World) -> FakeLLM:
    assert w.model_provider is not None, (
        "no fake model provider: is the feature tagged @fixture.fake_model_provider?"
    )
    return w.model_provider


def _definition(w: World) -> dict[str, Any]:
    assert w.graph is not None, "no crew in this scenario yet"
    return copy.deepcopy(w.graph["definition"])


def _define(w: World, definition: dict[str, Any]) -> None:
    w.graph = w.api.create_graph(definition)


def _change_llms(w: World, **changes: Any) -> None:
    definition = _definition(w)
    for agent in definition["agents"]:
        agent["llm"].update(changes)
    _define(w, definition)


def define_research_crew(w: World) -> None:
    _define(w, research_crew(provider(w).base_url))


def may_be_tried(w: World, attempts: int) -> None:
    definition = _definition(w)
    definition["settings"]["retry"]["max_attempts"] = attempts
    _define(w, definition)


def model_timeout(w: World, seconds: float) -> None:
    _change_llms(w, timeout_seconds=seconds)


def key_rejected(w: World) -> None:
    _change_llms(w, api_key_env=WRONG_KEY_ENV)


def key_missing(w: World) -> None:
    _change_llms(w, api_key_env=MISSING_KEY_ENV)


def model_named(w: World, model: str) -> None:
    _change_llms(w, model=f"openai/{model}")


def provider_refuses_connections(w: World) -> None:
    _change_llms(w, base_url=refused_url())


def researcher_uses(w: World, tool: str) -> None:
    definition = _definition(w)
    definition["agents"][0]["tools"] = [tool]
    _define(w, definition)


def failing_tools_stop_the_crew(w: World) -> None:
    definition = _definition(w)
    definition["settings"]["tool_failures"] = "raise"
    _define(w, definition)


def managed(w: World) -> None:
    definition = _definition(w)
    definition["process"] = "hierarchical"
    _define(w, definition)


def define_with_tool(w: World, tool: str) -> None:
    definition = research_crew(provider(w).base_url)
    definition["agents"][0]["tools"] = [tool]
    w.snapshot()
    w.response = w.api.raw("POST", "/api/v1/graphs", json=definition)


# -- what the provider does -----------------------------------------------------------------


def answers(w: World, task: str, text: str) -> None:
    provider(w).answer(text, when=TASK_MARKERS[task])


def answers_about_topics(w: World) -> None:
    fake = provider(w)
    for topic in TOPICS:
        fake.answer(f"Facts about {topic}.", when=RESEARCH.format(topic=topic), first=True)
        fake.answer(f"An article about {topic}.", when=WRITE.format(topic=topic), first=True)


def latency(w: World, seconds: float) -> None:
    provider(w).latency = seconds


def rate_limits_first(w: World, retry_after: float) -> None:
    provider(w).add(
        Rule(
            kind="error",
            status=429,
            code="rate_limit_exceeded",
            error_type="requests",
            message="Rate limit reached for requests. Please try again later.",
            retry_after=retry_after,
            times=1,
        )
    )


FAILURES: dict[str, Rule] = {
    "HTTP 429 and no Retry-After": Rule(
        kind="error", status=429, code="rate_limit_exceeded", error_type="requests"
    ),
    "an exhausted quota (HTTP 429)": Rule(
        kind="error", status=429, code="insufficient_quota", error_type="insufficient_quota"
    ),
    "HTTP 500": Rule(kind="error", status=500, error_type="server_error"),
    "HTTP 503": Rule(kind="error", status=503, error_type="server_error"),
    "HTTP 403 for the model": Rule(kind="error", status=403, code="model_not_allowed"),
    "a prompt over the context length": Rule(
        kind="error",
        status=400,
        code="context_length_exceeded",
        message="This model's maximum context length is 128000 tokens.",
    ),
    "HTTP 400 for the request": Rule(kind="error", status=400, code="invalid_value"),
}


def fails_every_request(w: World, failure: str) -> None:
    assert failure in FAILURES, f"no provider failure called {failure!r} in support/crewai_crews.py"
    provider(w).add(copy.copy(FAILURES[failure]))


def fails_with_status(w: World, status: int) -> None:
    provider(w).add(Rule(kind="error", status=status, error_type="server_error"))


def never_answers(w: World, first_only: bool = False) -> None:
    provider(w).add(Rule(kind="hang", times=1 if first_only else None))


def works_out_with_calculator(w: World, expression: str) -> None:
    provider(w).add(
        Rule(
            kind="tool_call",
            tool="calculator",
            arguments={"expression": expression},
            when=TASK_MARKERS["research"],
            times=1,
        )
    )


def manager_delegates_research(w: World) -> None:
    provider(w).add(
        Rule(
            kind="tool_call",
            tool="delegate_work_to_coworker",
            arguments={
                "task": RESEARCH.format(topic="octopuses"),
                "context": "The facts are for a short article.",
                "coworker": "researcher",
            },
            when=MANAGER,
            times=1,
        )
    )


# -- when -----------------------------------------------------------------------------------


def failed_in_a_row(w: World, count: int) -> None:
    graph_id = w.the_graph()["id"]
    failed_one_after_another(w, graph_id, count, timeout=20, inputs={"topic": "octopuses"})


def waiting_for_provider(w: World) -> None:
    eventually(
        lambda: len(provider(w).chat_requests()),
        greater_than(0),
        timeout=20,
        what="the crew calling the model provider",
    )


# -- then -----------------------------------------------------------------------------------


def result_is(w: World, text: str) -> None:
    assert_that(w.focus()["result"], has_entries(raw=text))


def task_output_is(w: World, task: str, text: str) -> None:
    outputs = {o["task"]: o for o in w.focus()["outputs"]}
    assert_that(outputs.get(task), has_entries(raw=text))


def asked_once_per_task(w: World) -> None:
    requests_ = provider(w).chat_requests()
    tasks = len(w.the_graph()["definition"]["tasks"])
    assert_that(requests_, has_length(tasks))
    for request in requests_:
        assert_that(request.model, equal_to(MODEL))
        assert request.key_sent, "a request reached the provider without a key"


def every_request_mentions(w: World, text: str) -> None:
    prompts = [r.prompt for r in provider(w).chat_requests()]
    assert_that(prompts, all_of(is_not(empty()), is_not(has_item(is_not(contains_string(text))))))


def writer_got_findings(w: World) -> None:
    research = {o["task"]: o["raw"] for o in w.focus()["outputs"]}["research"]
    writing = [r.prompt for r in provider(w).chat_requests() if TASK_MARKERS["writing"] in r.prompt]
    assert_that(writing, has_item(contains_string(research)))


def tasks_in_progress_were(w: World, names: list[str]) -> None:
    seen: list[str] = []
    for sample in w.samples:
        task = sample["progress"]["current_task"]
        if sample["status"] == "running" and task and (not seen or seen[-1] != task):
            seen.append(task)
    assert_that(seen, equal_to(names))


def outputs_about_own_topic(w: World) -> None:
    for execution in w.executions:
        topic = execution["inputs"]["topic"]
        outputs = w.api.execution(execution["id"])["outputs"]
        assert_that(outputs, has_length(2))
        for output in outputs:
            assert_that(output["raw"], contains_string(topic))
            for other in TOPICS:
                if other != topic:
                    assert_that(output["raw"], is_not(contains_string(other)))


def told_tool_answer(w: World, value: str) -> None:
    """A request after the tool call carried the tool's result back to the model."""
    after_tool = [r for r in provider(w).chat_requests()[1:] if "calculator" in r.tools]
    assert_that(after_tool, has_item(has_property("prompt", contains_string(value))))


def received(w: World, count: int) -> None:
    eventually(
        lambda: len(provider(w).chat_requests()),
        equal_to(count),
        timeout=2,
        what="the provider's request count",
    )
    consistently(
        lambda: len(provider(w).chat_requests()),
        equal_to(count),
        duration=0.5,
        what="the provider's request count",
    )


def circuit_open(w: World) -> None:
    base_url = w.the_graph()["definition"]["agents"][0]["llm"]["base_url"]
    assert_that(circuit(w, circuit_name(base_url)), has_entries(state="open"))


def further_execution_fails_fast(w: World, code: str) -> None:
    before = len(provider(w).chat_requests())
    execution = w.api.queue_ok(w.the_graph()["id"], inputs={"topic": "octopuses"})
    w.execution = w.await_execution(execution["id"], is_finished(), timeout=5, what="fast failure")
    assert_that(w.execution, has_status("failed"))
    assert_that(w.execution["error"], has_entries(code=code))
    assert_that(len(provider(w).chat_requests()), equal_to(before))


def first_attempt_failed_with(w: World, code: str) -> None:
    events = w.api.events(w.focus()["id"])
    retries = [e for e in events if e["status"] == "retrying"]
    assert_that(retries, is_not(empty()))
    assert_that(retries[0]["details"], has_entries(code=code))


def right_key_every_time(w: World) -> None:
    requests_ = provider(w).chat_requests()
    assert_that(requests_, is_not(empty()))
    assert all(r.key_ok for r in requests_), "a request carried a key other than the worker's"


def key_nowhere(w: World, which: str = KEY_ENV) -> None:
    secret = os.environ[which]
    secret_nowhere(w, secret)
    graph = w.api.raw("GET", f"/api/v1/graphs/{w.the_graph()['id']}").text
    assert_that(graph, is_not(contains_string(secret)))


def rejected_key_nowhere(w: World) -> None:
    unauthorized = [r for r in provider(w).chat_requests() if r.reply == "unauthorized"]
    assert_that(unauthorized, is_not(empty()))
    key_nowhere(w, WRONG_KEY_ENV)


def researcher_did_delegated_work(w: World) -> None:
    prompts = [r.prompt for r in provider(w).chat_requests()]
    assert_that(prompts, has_item(contains_string(MANAGER)))
    assert_that(
        prompts,
        has_item(
            all_of(
                contains_string("You are researcher"),
                contains_string(RESEARCH.format(topic="octopuses")),
                is_not(contains_string(MANAGER)),
            )
        ),
    )


def asked_nothing_more(w: World, count: int = 1) -> None:
    consistently(
        lambda: len(provider(w).chat_requests()),
        equal_to(count),
        duration=1.0,
        what="no further requests to the provider",
    )
