"""Runs a graph as a crewai crew: the real library, or the scripted stand-in shaped like it.

Which library runs a graph: its ``runner`` field (``"crewai"`` or ``"scripted"``),
else the worker's ``EXEC_CREWAI_MODULE``. Each library is imported once per
process (``import crewai`` takes seconds) and wired once: a before-model-call hook
and event-bus handlers, process-wide, that act only for the execution running in
the calling context (a ``ContextVar``; crewai copies the context into the threads
it runs hooks and event handlers in) and only for that crew's own tasks.

What the adapter uses of a library, all optional except the first line:

* ``LLM``, ``Agent``, ``Task``, ``Crew``, ``Process``, ``Crew.kickoff``, the
  ``step_callback`` / ``task_callback`` of a crew (the stand-in has only these);
* ``tools.tool`` (wraps the allow-listed functions of ``execution_service.crews.tools``);
* ``Crew.akickoff``: the crew runs on an event loop next to a watcher that cancels
  it as soon as ``hooks.should_stop()`` says so, even in the middle of a model call;
* ``hooks.register_before_llm_call_hook`` / ``hooks.HookAborted``: a stop request is
  honoured before every model call and between tasks with crewai's own abort, which
  its agents do not retry;
* ``events.crewai_event_bus``: task started/completed and model call
  started/completed become progress (``step_callback`` does not fire for agents
  without tools in crewai 1.15).

Retries belong to the service's retry policy, so the adapter turns the library's
own down: the openai SDK's (``LLM(max_retries=0)``), the agent's re-runs of a
failed task (``Agent(max_retry_limit=0)``) and crewai's 429 retry loop (three tries,
no setting; switched off for the crew's context through the context variable
crewai itself uses to avoid nesting that loop). See the README for what remains.
"""

from __future__ import annotations

import asyncio
import contextvars
import importlib
import logging
import os
import tempfile
import threading
import warnings
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from execution_service.config import get_settings
from execution_service.crews.runner import RunHooks, RunResult, StopRequested, TaskResult
from execution_service.crews.tools import TOOLS
from execution_service.errors.exceptions import CrewFailure, CrewOutputInvalid, ProviderKeyMissing
from execution_service.errors.redact import redact
from execution_service.graph import GraphSpec, LLMSpec

log = logging.getLogger(__name__)

SCRIPTED_MODULE = "execution_service.crews.scripted.library"
MODULES = {"crewai": "crewai", "scripted": SCRIPTED_MODULE}
"""A graph's ``runner`` -> the module its crew is built from."""

# no telemetry, tracing or other outbound traffic from a worker (crewai reads these at import)
OFFLINE_ENVIRONMENT = {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "OTEL_SDK_DISABLED": "true",
    "CREWAI_TRACING_ENABLED": "false",
}


def crewai_home() -> Path:
    configured = get_settings().crewai_home
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / f"crew-execution-{os.getuid()}" / "crewai"


def prepare_environment(home: Path) -> None:
    """Before crewai is imported: no telemetry, and its files in a folder the worker owns."""
    os.environ.update(OFFLINE_ENVIRONMENT)
    (home / "data").mkdir(parents=True, exist_ok=True)
    os.environ["HOME"] = str(home)  # ~/.config/crewai, ~/.local/share/crewai
    os.environ["XDG_DATA_HOME"] = str(home / "data")
    os.environ["CREWAI_STORAGE_DIR"] = str(home / "data" / "crew-execution")


class _RedactSecrets(logging.Filter):
    """crewai logs provider errors verbatim, and providers may repeat the key they were sent."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, limit=10_000)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _redact_library_logs(prefix: str) -> None:
    """On the root logger (crewai calls ``logging.error``) and the library's own loggers."""
    secrets_filter = _RedactSecrets()
    logging.getLogger().addFilter(secrets_filter)
    for name in list(logging.Logger.manager.loggerDict):
        if name == prefix or name.startswith(prefix + "."):
            logging.getLogger(name).addFilter(secrets_filter)


# -- one run, and the process-wide wiring that finds it ----------------------------------


@dataclass
class _Run:
    """What one attempt of one execution knows while its crew runs."""

    spec: GraphSpec
    hooks: RunHooks
    abort: type[BaseException] = StopRequested  # crewai: HookAborted
    task_index: dict[str, int] = field(default_factory=dict)  # crewai task id -> index
    done: int = 0
    steps: int = 0  # steps or model calls within the task in progress
    percent: float = 0.0
    outputs: list[TaskResult] = field(default_factory=list)
    stopping: bool = False
    closed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def total(self) -> int:
        return len(self.spec.tasks)

    def label(self) -> str | None:
        return self.spec.task_label(self.done) if self.done < self.total else None

    def stop_if_asked(self, where: str) -> None:
        """Abort if the execution must stop (or is over: a call left behind by a stop)."""
        if not (self.closed or self.stopping) and self.hooks.should_stop():
            self.stopping = True
        if self.closed or self.stopping:
            raise self.abort(f"execution stopped on request ({where})")

    def _report(
        self, percent: float, task: str | None, message: str, output: TaskResult | None = None
    ) -> None:
        self.percent = max(self.percent, percent)
        self.hooks.progress(self.percent, task, message, output)

    def _within(self, index: int, message: str) -> None:
        """Progress inside task ``index``: approaches, never reaches, the task's end."""
        self.steps += 1
        within = 1.0 - 0.5**self.steps
        self._report(
            100.0 * (index + 0.9 * within) / self.total, self.spec.task_label(index), message
        )

    # crewai callbacks (called in the crew's thread)

    def on_step(self, _step: Any) -> None:
        self.stop_if_asked("after an agent step")
        with self.lock:
            if self.done < self.total:
                self._within(self.done, f"step {self.steps + 1} of {self.label()}")

    def on_task(self, output: Any) -> None:
        with self.lock:
            index = self.done
            name = self.spec.task_label(index)
            result = TaskResult(
                name=name, agent=_agent_role(getattr(output, "agent", None)), raw=str(output.raw)
            )
            self.outputs.append(result)
            self.done += 1
            self.steps = 0
            percent = 100.0 * self.done / self.total
            self._report(percent, self.label() or name, f"finished {name}", result)
        if self.done < self.total:
            self.stop_if_asked("between tasks")

    # crewai events (called in the event bus's threads, in a copy of the crew's context)

    def on_task_started(self, task_id: str | None) -> None:
        index = self.task_index.get(str(task_id))
        with self.lock:
            if self.closed or index is None or index < self.done:
                return
            self.steps = 0
            name = self.spec.task_label(index)
            self._report(100.0 * index / self.total, name, f"started {name}")

    def on_model_call(self, task_id: str | None, phase: str) -> None:
        index = self.task_index.get(str(task_id))
        with self.lock:
            if self.closed or index is None or index < self.done:
                return
            if phase == "started":
                self._within(index, f"{self.spec.task_label(index)}: asking the model")
            else:
                name = self.spec.task_label(index)
                self._report(self.percent, name, f"{name}: the model answered")


_active: contextvars.ContextVar[_Run | None] = contextvars.ContextVar(
    "crew_execution_run", default=None
)


def _mine(task_id: Any) -> _Run | None:
    run = _active.get()
    if run is None or run.closed or str(task_id) not in run.task_index:
        return None
    return run


def _before_model_call(_context: Any) -> None:
    # every model call made in this execution's context, including the work a
    # hierarchical crew's manager hands out as tasks of its own
    run = _active.get()
    if run is not None:
        run.stop_if_asked("before a model call")


def _on_task_started(_source: Any, event: Any) -> None:
    run = _mine(getattr(event, "task_id", None))
    if run is not None:
        run.on_task_started(event.task_id)


def _on_model_call_started(_source: Any, event: Any) -> None:
    run = _mine(getattr(event, "task_id", None))
    if run is not None:
        run.on_model_call(event.task_id, "started")


def _on_model_call_completed(_source: Any, event: Any) -> None:
    run = _mine(getattr(event, "task_id", None))
    if run is not None:
        run.on_model_call(event.task_id, "completed")


def _agent_role(agent: Any) -> str | None:
    if agent is None:
        return None
    return str(getattr(agent, "role", agent))


# -- the libraries ---------------------------------------------------------------------


@dataclass
class _Library:
    """A crewai module as this adapter uses it, imported and wired once per process."""

    module: ModuleType
    abort: type[BaseException] = StopRequested
    native_async: bool = False
    rate_limit_retry_off: contextvars.ContextVar[bool] | None = None
    wrapped_tools: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, name: str) -> _Library:
        real = name == "crewai" or name.startswith("crewai.")
        if real:
            prepare_environment(crewai_home())
            # crewai warns that callbacks defined as methods cannot be checkpointed
            warnings.filterwarnings("ignore", message=".*callbacks cannot be serialized.*")
        module = importlib.import_module(name)
        if real:
            _redact_library_logs("crewai")
        library = cls(module=module)
        library._wire()
        return library

    def _wire(self) -> None:
        hooks = getattr(self.module, "hooks", None)
        if hooks is not None and hasattr(hooks, "register_before_llm_call_hook"):
            self.abort = hooks.HookAborted
            hooks.register_before_llm_call_hook(_before_model_call)
        events: Any = getattr(self.module, "events", None)
        bus = getattr(events, "crewai_event_bus", None)
        if bus is not None:
            bus.on(events.TaskStartedEvent)(_on_task_started)
            bus.on(events.LLMCallStartedEvent)(_on_model_call_started)
            bus.on(events.LLMCallCompletedEvent)(_on_model_call_completed)
        crew = getattr(self.module, "Crew", None)
        self.native_async = hasattr(crew, "akickoff")
        retry = getattr(getattr(self.module, "llms", None), "retry", None)
        switch = getattr(retry, "_active_llm_rate_limit_retry", None)
        if isinstance(switch, contextvars.ContextVar):
            self.rate_limit_retry_off = switch
        elif bus is not None:
            log.warning(
                "%s: cannot turn off crewai's own rate-limit retries; a 429 may be "
                "retried inside one attempt",
                self.module.__name__,
            )

    def tool(self, name: str) -> Any:
        if name not in self.wrapped_tools:
            self.wrapped_tools[name] = self.module.tools.tool(name)(TOOLS[name])
        return self.wrapped_tools[name]


_libraries: dict[str, _Library] = {}
_libraries_lock = threading.Lock()


def load_library(name: str) -> _Library:
    """The crewai module ``name``, imported and wired once per process."""
    with _libraries_lock:
        if name not in _libraries:
            _libraries[name] = _Library.load(name)
        return _libraries[name]


# -- the runner -------------------------------------------------------------------------


class CrewAIRunner:
    def __init__(self, crewai_module: str = "crewai") -> None:
        self.default_module = crewai_module

    def library_for(self, spec: GraphSpec) -> _Library:
        return load_library(MODULES[spec.runner] if spec.runner else self.default_module)

    def _llm(self, library: _Library, spec: LLMSpec | None) -> Any:
        if spec is None:
            return None
        options: dict[str, Any] = {"model": spec.model, "max_retries": 0}
        if spec.base_url:
            options["base_url"] = spec.base_url
        if spec.api_key_env:
            key = os.environ.get(spec.api_key_env)
            if not key:
                raise ProviderKeyMissing(
                    f"the environment variable {spec.api_key_env} named by the graph "
                    "is not set on the worker"
                )
            options["api_key"] = key
        if spec.temperature is not None:
            options["temperature"] = spec.temperature
        # a bounded model call: a stopped crew's abandoned call must not hold its
        # connection for the SDK's default ten minutes
        options["timeout"] = spec.timeout_seconds or get_settings().default_llm_timeout_seconds
        return library.module.LLM(**options)

    def build(self, library: _Library, spec: GraphSpec, run: _Run) -> Any:
        cw = library.module
        agents = {
            a.role: cw.Agent(
                role=a.role,
                goal=a.goal,
                backstory=a.backstory,
                llm=self._llm(library, a.llm),
                tools=[library.tool(name) for name in a.tools],
                allow_delegation=False,
                max_retry_limit=0,
                verbose=False,
            )
            for a in spec.agents
        }
        tasks: dict[str, Any] = {}
        ordered = []
        for index, t in enumerate(spec.tasks):
            task = cw.Task(
                description=t.description,
                expected_output=t.expected_output,
                agent=agents[t.agent],
                context=[tasks[name] for name in t.context] or None,
                name=spec.task_label(index),
            )
            tasks[spec.task_label(index)] = task
            ordered.append(task)
            if getattr(task, "id", None) is not None:
                run.task_index[str(task.id)] = index
        options: dict[str, Any] = {}
        if spec.settings.tool_failures is not None:
            options["tool_failure_policy"] = spec.settings.tool_failures
        if spec.process == "hierarchical":
            manager = spec.manager_llm or next((a.llm for a in spec.agents if a.llm), None)
            if manager is not None:
                options["manager_llm"] = self._llm(library, manager)
        return cw.Crew(
            agents=list(agents.values()),
            tasks=ordered,
            process=getattr(cw.Process, spec.process),
            step_callback=run.on_step,
            task_callback=run.on_task,
            verbose=False,
            **options,
        )

    def run(self, spec: GraphSpec, inputs: dict[str, Any], hooks: RunHooks) -> RunResult:
        library = self.library_for(spec)
        run = _Run(spec, hooks, library.abort)
        crew = self.build(library, spec, run)
        token = _active.set(run)
        no_retry = library.rate_limit_retry_off.set(True) if library.rate_limit_retry_off else None
        try:
            if library.native_async:
                output = _run_on_loop(self._watched(crew, inputs, run), run)
            else:
                output = crew.kickoff(inputs=inputs)
        except StopRequested:
            raise
        except BaseException as exc:
            if run.stopping or _caused_by(exc, StopRequested):
                raise StopRequested() from exc
            if isinstance(exc, Exception):
                raise CrewFailure(run.label(), exc) from exc
            raise
        finally:
            run.closed = True
            if no_retry is not None and library.rate_limit_retry_off is not None:
                library.rate_limit_retry_off.reset(no_retry)
            _active.reset(token)
        raw = getattr(output, "raw", None)
        if not isinstance(raw, str):
            raise CrewOutputInvalid(f"the crew returned {type(output).__name__}, not text")
        return RunResult(raw=raw, tasks=run.outputs)

    async def _watched(self, crew: Any, inputs: dict[str, Any], run: _Run) -> Any:
        """Run the crew on this loop; cancel it as soon as the execution must stop."""
        kickoff = asyncio.ensure_future(crew.akickoff(inputs=inputs))
        interval = max(0.01, get_settings().stop_check_interval)
        while True:
            done, _ = await asyncio.wait({kickoff}, timeout=interval)
            if done:
                return kickoff.result()
            if run.stopping or run.hooks.should_stop():
                run.stopping = True
                kickoff.cancel()
                await asyncio.wait({kickoff}, timeout=1.0)
                raise StopRequested()


def _run_on_loop(main: Coroutine[Any, Any, Any], run: _Run) -> Any:
    """``asyncio.run``, except that a stopped crew's threads are let go, not waited for.

    crewai runs an agent's (blocking) model call in a thread of the loop's default
    executor; cancelling the crew does not end that call. When the execution stops,
    the loop is closed without waiting: the abandoned call ends by itself when the
    provider answers or the model's timeout passes, and its result is dropped.
    """
    loop = asyncio.new_event_loop()
    executor = ThreadPoolExecutor(thread_name_prefix="crew-call")
    loop.set_default_executor(executor)
    abandon = False
    try:
        return loop.run_until_complete(main)
    except BaseException:
        abandon = True  # stopped or failed: calls still in flight are not waited for
        raise
    finally:
        try:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.wait(pending, timeout=1.0))
            loop.run_until_complete(loop.shutdown_asyncgens())
            if abandon or run.stopping:
                executor.shutdown(wait=False, cancel_futures=True)
            else:
                loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
