"""Settings, read from environment variables prefixed ``EXEC_``."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from execution_service.provider_policy import ProviderPolicy
from execution_service.usage import PriceTable


def _default_database_url() -> str:
    folder = Path(tempfile.gettempdir()) / "crew-execution"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'executions.sqlite3'}"


class Settings(BaseSettings):
    """Everything the API, the workers and the CLI need to know.

    Every field can be set by an environment variable ``EXEC_<FIELD>``,
    e.g. ``EXEC_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/crew``.

    ``provider_policy`` (``EXEC_PROVIDER_POLICY``, JSON) is the operator's list of the
    model endpoints the workers' keys may be sent to, each with the key variables
    allowed there, and the key variables a graph naming no ``base_url`` may use::

        EXEC_PROVIDER_POLICY='{"endpoints": {"https://api.openai.com/v1": ["OPENAI_API_KEY"],
                                             "http://127.0.0.1:11434/v1": []},
                               "keys_without_base_url": ["OPENAI_API_KEY"]}'

    Default: no endpoint and no key variable, so a graph may name neither a
    ``base_url`` nor an ``api_key_env`` (its models go to their providers' own
    endpoints with the library's standard keys). See ``provider_policy.py``.

    ``scripted_runner_enabled`` (``EXEC_SCRIPTED_RUNNER_ENABLED``, default false): only
    then may a graph name ``"runner": "scripted"`` or carry a ``script``, and only then
    may ``default_runner`` be ``"scripted"`` (otherwise the settings are refused at start).

    ``model_prices`` (``EXEC_MODEL_PRICES``, JSON) is the operator's price table: per model
    the price per million prompt and completion tokens, in one currency (``usage.py``)::

        EXEC_MODEL_PRICES='{"currency": "USD",
                            "models": {"openai/gpt-4o-mini": {"prompt": 0.15, "completion": 0.6}}}'

    Default: no prices (no estimated cost, and a budget's ``max_cost`` is refused).
    """

    model_config = SettingsConfigDict(env_prefix="EXEC_", extra="ignore")

    database_url: str = Field(default_factory=_default_database_url)
    broker_url: str = "prioritymemory://"
    queue_name: str = "executions"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # processes serving the API (uvicorn workers); each has its own connection pool
    api_workers: int = 1
    # how often (seconds) an API process hands the GIL between its threads
    api_switch_interval: float = 0.0005
    worker_concurrency: int = 2
    worker_pool: str = "prefork"
    # the crew library for a graph that names none in its ``runner``: "crewai" (the real
    # library) or "scripted" (the stand-in that follows the graph's ``script``)
    default_runner: Literal["crewai", "scripted"] = "crewai"
    # the scripted stand-in (tests, the demo): off in production
    scripted_runner_enabled: bool = False
    # which model endpoints the workers' keys may go to (see the docstring)
    provider_policy: ProviderPolicy = Field(default_factory=ProviderPolicy)
    # the operator's prices per model, for estimated costs and budgets (see the docstring)
    model_prices: PriceTable = Field(default_factory=PriceTable)
    # where crewai keeps its files (HOME, XDG_DATA_HOME and CREWAI_STORAGE_DIR point here
    # in a worker); default: <temp folder>/crew-execution-<uid>/crewai
    crewai_home: str | None = None
    default_timeout_seconds: float = 3600.0
    max_timeout_seconds: float = 24 * 3600.0
    default_max_attempts: int = 3
    default_retry_base_delay: float = 1.0
    default_retry_max_delay: float = 60.0
    max_inputs_bytes: int = 64 * 1024
    # a request body larger than this is refused (413 BODY_TOO_LARGE) before it is parsed
    max_body_bytes: int = 1024 * 1024
    # a model call without a timeout of its own (graph: agents[].llm.timeout_seconds)
    default_llm_timeout_seconds: float = 120.0
    # queued + running executions allowed per graph unless its settings say otherwise
    max_active_per_graph: int = 10_000
    # ... and per owner, unless the operator set the owner's own (``owners limit``)
    max_active_per_owner: int = 10_000
    # "required": every /api/v1 request carries an API key (``keys create``);
    # "disabled": every caller is the owner "local" (only with a SQLite database: a
    # local service for one person, never a shared one)
    auth: Literal["required", "disabled"] = "required"
    # how long an API process trusts a key it looked up (a revoked key stops working
    # within this time)
    auth_cache_seconds: float = Field(default=2.0, ge=0)
    queue_limit_retry_after_seconds: int = 5
    # how long a queue request's Idempotency-Key answers with its execution; after this
    # the key is forgotten and may name a new request (at least 24 h: issue 16)
    idempotency_keep_seconds: float = Field(default=86_400.0, gt=0)
    # how often a running execution's worker looks for a cancel or its deadline
    stop_check_interval: float = 0.1
    # progress is written at most this often (each write is a transaction)
    progress_write_interval: float = 0.25
    # how long a crew asked to stop may take before it is stopped hard
    stop_grace_seconds: float = 2.0
    # a running execution whose worker has not been heard of for this long is recovered
    heartbeat_interval: float = 2.0
    heartbeat_timeout: float = 30.0
    reaper_interval: float = 1.0
    # a waiting execution not started this long after its message was sent, whose
    # message cannot be waiting in the broker, is sent again (see redispatch_rule.py)
    redispatch_after_seconds: float = Field(default=30.0, gt=0)
    # connecting to PostgreSQL is given up after this long (seconds; libpq's own timeout)
    database_connect_timeout: float = Field(default=5.0, gt=0)
    # while the database cannot be reached the API answers 503 DATABASE_UNAVAILABLE
    # with this Retry-After (seconds)
    database_retry_after_seconds: int = Field(default=2, ge=0)
    # a worker keeps how an attempt ended (a completion, a failure) while the database
    # cannot be reached, and tries to write it for this long (with growing waits, up to
    # outcome_write_max_wait each); after that the reaper retries or fails the
    # execution (WORKER_LOST) once the database is back
    outcome_write_seconds: float = Field(default=300.0, ge=0)
    outcome_write_max_wait: float = Field(default=5.0, gt=0)
    # a worker told to stop (SIGTERM: Celery's warm shutdown) lets its running crews
    # finish for this long; the crews still running then are stopped and handed back
    # to the queue (their attempt released, not counted), to start again elsewhere
    worker_shutdown_grace_seconds: float = Field(default=20.0, ge=0)
    # GET /readyz: each check (database, broker) is waited for this long at most, and
    # the schema check (Alembic head against the database's version) is kept this long
    readiness_timeout_seconds: float = Field(default=2.0, gt=0)
    readiness_cache_seconds: float = Field(default=5.0, ge=0)
    # the event stream and the blocking wait (service/event_stream.py): how often the
    # API process's one watcher looks for new events of the executions followed, the
    # keep-alive comment on a quiet stream, how long one stream lasts at most (a client
    # reconnects with Last-Event-ID), and the longest ?wait= allowed
    stream_poll_interval: float = Field(default=0.05, gt=0)
    stream_keepalive_seconds: float = Field(default=15.0, gt=0)
    stream_max_seconds: float = Field(default=3600.0, gt=0)
    max_wait_seconds: int = Field(default=60, ge=1)
    # webhooks (see webhook_policy.py): deliveries go to public addresses only, unless
    # the operator allows private, loopback and link-local ones (all of them, or these
    # hosts exactly as written in a webhook's URL)
    webhook_allow_private: bool = False
    webhook_allowed_hosts: tuple[str, ...] = ()
    # the Celery queue the deliveries go through (consumed by every worker unless the
    # operator runs dedicated ones: execution-service worker --queues webhooks)
    webhook_queue_name: str = "webhooks"
    # one try waits this long for the receiver's answer (connecting included)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # failed tries (no answer, 408, 429, 5xx) are tried again after base, 2 x base, ...
    # (at most max each) for this long after the first; then the delivery has failed
    webhook_retry_base_delay: float = Field(default=1.0, gt=0)
    webhook_retry_max_delay: float = Field(default=300.0, gt=0)
    webhook_retry_seconds: float = Field(default=24 * 3600.0, ge=0)
    breaker_url: str | None = None
    breaker_failure_threshold: int = 5
    breaker_cooldown_seconds: float = 30.0
    breaker_trial_lease_seconds: float = 600.0
    log_level: str = "INFO"
    # "text": one line per record, with its time; "json": one JSON object per line,
    # with the execution id, attempt, graph id and worker when the record is about one
    # (see logs.py)
    log_format: Literal["text", "json"] = "text"
    # GET /metrics: "operator" needs an operator's (admin) key, as the circuit breakers'
    # reset does (the series count every owner's executions); "open" answers anyone
    # (for a scrape on a private network that cannot hold a key)
    metrics_auth: Literal["operator", "open"] = "operator"
    # ended executions are folded into the metrics' stored totals this long after they
    # ended (see store/metric_reads.py)
    metrics_fold_lag_seconds: float = Field(default=10.0, ge=0)
    # Celery task events (worker_send_task_events, task_send_sent_event): what Flower
    # and `celery events` show; off by default (their cost: see the README)
    task_events: bool = False

    @model_validator(mode="after")
    def _auth_off_only_locally(self) -> Settings:
        if self.auth == "disabled" and not self.database_url.startswith("sqlite"):
            raise ValueError(
                "EXEC_AUTH=disabled is for a local SQLite service only; with a "
                "shared database every request must carry an API key "
                "(execution-service keys create --owner NAME)"
            )
        return self

    @model_validator(mode="after")
    def _scripted_default_needs_the_switch(self) -> Settings:
        if self.default_runner == "scripted" and not self.scripted_runner_enabled:
            raise ValueError(
                "EXEC_DEFAULT_RUNNER=scripted needs the scripted runner enabled "
                "(EXEC_SCRIPTED_RUNNER_ENABLED=true)"
            )
        return self


_settings: Settings | None = None


def get_settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = Settings()
    return _settings


def use_settings(settings: Settings) -> None:
    """Make ``settings`` the process's settings (the embedded stack and the CLI use this)."""
    global _settings
    _settings = settings
