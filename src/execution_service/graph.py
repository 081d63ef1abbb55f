"""The validated shape of a graph: a crew of agents and tasks, plus its settings."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from execution_service.crews.scripted.script import NUMBER_ONLY, CrewScript, Integer, storable
from execution_service.crews.tools import TOOLS, unknown_tools
from execution_service.usage import Budget
from execution_service.webhook_policy import (
    EVENTS,
    MAX_URL_LENGTH,
    MAX_WEBHOOKS,
    NAMED_URL_PATTERN,
    Event,
    webhook_url,
)

# Every limit here is in the OpenAPI document (maxLength, maxItems, minimum, maximum);
# the request body as a whole is limited too (settings.max_body_bytes).
Text = Annotated[str, Field(min_length=1, max_length=10_000), AfterValidator(storable)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(storable)]
ToolName = Annotated[Name, Field(json_schema_extra={"enum": sorted(TOOLS)})]
# the shortest timeout anything accepts: less is no time at all (5e-324 s was accepted)
MIN_TIMEOUT_SECONDS = 0.01
MAX_TIMEOUT_SECONDS = 24 * 3600.0
MAX_AGENTS = 50
MAX_TASKS = 200


class _Strict(BaseModel):
    # strict: a boolean or a string is not a number, a number is not a boolean
    model_config = ConfigDict(extra="forbid", strict=True)


class LLMSpec(_Strict):
    """Which model an agent talks to. The key is named, never stored: ``api_key_env``."""

    model: Name
    base_url: (
        Annotated[str, Field(min_length=1, max_length=2_000), AfterValidator(storable)] | None
    ) = None
    # only a variable that holds a key may be named: a graph must not be able to send
    # the worker's other settings (database URL, broker URL) to a provider it chose
    api_key_env: (
        Annotated[
            str,
            Field(
                max_length=200,
                pattern=r"^[A-Z][A-Z0-9_]*_(KEY|TOKEN)$",
                json_schema_extra={"not": {"pattern": "^EXEC_"}},
            ),
        ]
        | None
    ) = None

    @field_validator("api_key_env")
    @classmethod
    def _not_a_service_setting(cls, value: str | None) -> str | None:
        if value is not None and value.startswith("EXEC_"):
            raise ValueError("the service's own EXEC_ settings cannot be used as a provider key")
        return value

    temperature: float | None = Field(default=None, ge=0, le=2)
    timeout_seconds: float | None = Field(
        default=None, ge=MIN_TIMEOUT_SECONDS, le=MAX_TIMEOUT_SECONDS
    )


class AgentSpec(_Strict):
    role: Name
    goal: Text
    backstory: Text
    llm: LLMSpec | None = None
    tools: list[ToolName] = Field(default_factory=list, max_length=50)

    @field_validator("tools")
    @classmethod
    def _allowed_tools(cls, value: list[str]) -> list[str]:
        unknown = unknown_tools(value)
        if unknown:
            raise ValueError(
                f"unknown tool {', '.join(map(repr, unknown))}; allowed: {', '.join(sorted(TOOLS))}"
            )
        return value


class TaskSpec(_Strict):
    name: Name | None = None
    description: Text
    expected_output: Text
    agent: Name
    context: list[Name] = Field(default_factory=list, max_length=MAX_TASKS)


class RetryPolicy(_Strict):
    """How often, and how patiently, a failed execution is tried again."""

    max_attempts: Integer = Field(default=3, ge=1, le=20)
    base_delay_seconds: float = Field(default=1.0, ge=0, le=3600)
    max_delay_seconds: float = Field(default=60.0, ge=0, le=24 * 3600)
    jitter: float = Field(default=0.5, ge=0, le=1)
    # a retry of a sequential crew re-uses the stored outputs of the tasks before the
    # one that failed and starts there (``execution_service/resume.py``); false: it
    # restarts from the first task. Hierarchical crews always restart.
    resume: bool = True


def _webhook_url(value: str) -> str:
    webhook_url(value)  # raises (a ValueError) naming what is wrong
    return value


class WebhookSpec(_Strict):
    """Where to deliver which events of an execution (Standard Webhooks, signed with
    the owner's secret). The operator's outbound policy is checked where the webhook
    is given (graph creation, queueing) and again before each delivery."""

    url: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_URL_LENGTH,
            # documented, not enforced: an address the operator allows is accepted too
            json_schema_extra={"pattern": NAMED_URL_PATTERN},
            description="http(s) URL. Private, loopback and link-local addresses are "
            "refused unless the operator allows them (EXEC_WEBHOOK_ALLOWED_HOSTS, "
            "EXEC_WEBHOOK_ALLOW_PRIVATE), here and after DNS resolution before each try.",
        ),
        AfterValidator(_webhook_url),
    ]
    events: list[Event] = Field(
        min_length=1, max_length=len(EVENTS), json_schema_extra={"uniqueItems": True}
    )

    @field_validator("events")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each event may be named once")
        return value


Webhooks = Annotated[list[WebhookSpec], Field(max_length=MAX_WEBHOOKS)]


class GraphSettings(_Strict):
    timeout_seconds: float | None = Field(
        default=None, ge=MIN_TIMEOUT_SECONDS, le=MAX_TIMEOUT_SECONDS
    )
    # at most this many executions of the graph queued or running at once
    max_active_executions: (
        Annotated[int, Field(strict=False, ge=1, le=1_000_000), NUMBER_ONLY] | None
    ) = None
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    # what a failing tool does to the crew (crewai's tool_failure_policy): "warn" feeds
    # the error to the agent and goes on (crewai's default), "raise" fails the crew
    # with TOOL_ERROR / TOOL_UNAVAILABLE, "ignore" does neither
    tool_failures: Literal["ignore", "warn", "raise"] | None = None
    # the webhooks of the graph's executions queued without webhooks of their own
    webhooks: Webhooks | None = None
    # what each execution may spend on model calls (a queue request's budget may lower it)
    budget: Budget | None = None


class GraphSpec(_Strict):
    name: Name
    description: Annotated[str, Field(max_length=10_000), AfterValidator(storable)] | None = None
    agents: list[AgentSpec] = Field(min_length=1, max_length=MAX_AGENTS)
    tasks: list[TaskSpec] = Field(min_length=1, max_length=MAX_TASKS)
    process: Literal["sequential", "hierarchical"] = "sequential"
    # the model that manages a hierarchical crew (default: the first agent's)
    manager_llm: LLMSpec | None = None
    settings: GraphSettings = Field(default_factory=GraphSettings)
    # which crewai runs the crew: "crewai" (the real library), "scripted" (the stand-in
    # that follows ``script``), or absent: the worker's EXEC_DEFAULT_RUNNER (default crewai)
    runner: Literal["crewai", "scripted"] | None = None
    script: CrewScript | None = None

    @model_validator(mode="after")
    def _references_resolve(self) -> GraphSpec:
        roles = [agent.role for agent in self.agents]
        if len(set(roles)) != len(roles):
            raise ValueError("agents: each agent needs a distinct role")
        names: set[str] = set()
        for index, task in enumerate(self.tasks):
            if task.agent not in roles:
                raise ValueError(f"tasks.{index}.agent: no agent has the role {task.agent!r}")
            for ref in task.context:
                if ref not in names:
                    raise ValueError(
                        f"tasks.{index}.context: {ref!r} is not the name of an earlier task"
                    )
            if task.name is not None:
                if task.name in names:
                    raise ValueError(f"tasks.{index}.name: {task.name!r} is used twice")
                names.add(task.name)
        return self

    def task_label(self, index: int) -> str:
        task = self.tasks[index]
        return task.name or f"task {index + 1}"
