"""Runs a graph as a crewai crew: builds the crew, runs it, stops it.

The same production code runs every graph; only the library under it differs: real
crewai or the scripted stand-in shaped like it (``crews.crewai.loading`` picks and
loads it: the graph's ``runner``, else the setting ``default_runner``). Progress and
stop checks come from the crew's callbacks and crewai's events (``crews.crewai.events``).

With ``Crew.akickoff`` the crew runs on an event loop next to a watcher that cancels
it as soon as ``hooks.should_stop()`` says so, even in the middle of a model call;
without it (the stand-in) ``Crew.kickoff`` runs in the calling thread.

Retries belong to the service's retry policy, so the adapter turns the library's
own down: the openai SDK's (``LLM(max_retries=0)``), the agent's re-runs of a
failed task (``Agent(max_retry_limit=0)``) and crewai's 429 retry loop (three tries,
no setting; switched off for the crew's context through the context variable
crewai itself uses to avoid nesting that loop). See the README for what remains.

A crew may start mid-way (``execution_service/resume.py``): the outputs of its first
tasks, kept from an earlier attempt or the execution a rerun reruns, are given to
those tasks as crewai's ``TaskOutput`` and the crew runs only the tasks after them
(:meth:`CrewAIRunner.build`); no private crewai internal is used for it.

Before anything is built, the graph is checked against this worker's settings
(:meth:`CrewAIRunner.check`): its models' endpoints and keys against the provider
policy (``PROVIDER_NOT_ALLOWED``; no key is read), and the scripted crew against
the switch that enables it. A model at a ``base_url`` that names no key gets a
placeholder key, so the model library never falls back to the worker's own key
(``OPENAI_API_KEY`` and the like) for a URL the graph chose.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

from execution_service.config import get_settings
from execution_service.crews.crewai.events import SETTLE_SECONDS, CrewRun, active_run
from execution_service.crews.crewai.loading import Library, load_library
from execution_service.crews.interface import (
    RunHooks,
    Runner,
    RunResult,
    StopRequested,
    TaskResult,
    current_run,
)
from execution_service.errors.exceptions import (
    BudgetExceeded,
    CrewFailure,
    CrewOutputInvalid,
    ProviderKeyMissing,
    ProviderNotAllowed,
    RunnerNotEnabled,
)
from execution_service.graph import GraphSpec, LLMSpec
from execution_service.provider_policy import (
    PLACEHOLDER_KEY,
    needs_placeholder,
    normalise,
    provider_refusals,
    scripted_refusals,
)
from execution_service.usage import Ledger, Usage


@cache
def get_runner() -> Runner:
    """This process's runner, built once: there is one runner, this adapter, whatever
    library a graph runs on; each library it loads is imported once per process too
    (``import crewai`` takes seconds)."""
    return CrewAIRunner()


class CrewAIRunner:
    """The runner: one per process (:func:`get_runner`), for every graph."""

    def check(self, spec: GraphSpec) -> None:
        """Refuse a graph this worker's settings do not allow, before anything is built."""
        settings = get_settings()
        refused = scripted_refusals(spec, settings.scripted_runner_enabled)
        if refused:
            raise RunnerNotEnabled("; ".join(f"{r.field}: {r.message}" for r in refused))
        refused = provider_refusals(settings.provider_policy, spec)
        if refused:
            raise ProviderNotAllowed("; ".join(f"{r.field}: {r.message}" for r in refused))

    def library_for(self, spec: GraphSpec) -> Library:
        """The graph's ``runner``, else the worker's ``default_runner`` setting."""
        return load_library(spec.runner or get_settings().default_runner)

    def _llm(self, library: Library, spec: LLMSpec | None) -> Any:
        if spec is None:
            return None
        options: dict[str, Any] = {"model": spec.model, "max_retries": 0}
        if spec.base_url:
            options["base_url"] = normalise(spec.base_url)  # the URL the policy allowed
        if spec.api_key_env:
            key = os.environ.get(spec.api_key_env)
            if not key:
                raise ProviderKeyMissing(
                    f"the environment variable {spec.api_key_env} named by the graph "
                    "is not set on the worker"
                )
            options["api_key"] = key
        elif needs_placeholder(spec):
            # never the library's fallback (the worker's OPENAI_API_KEY...) for this URL
            options["api_key"] = PLACEHOLDER_KEY
        if spec.temperature is not None:
            options["temperature"] = spec.temperature
        # a bounded model call: a stopped crew's abandoned call must not hold its
        # connection for the SDK's default ten minutes
        options["timeout"] = spec.timeout_seconds or get_settings().default_llm_timeout_seconds
        return library.module.LLM(**options)

    def build(
        self, library: Library, spec: GraphSpec, run: CrewRun, reused: Sequence[TaskResult] = ()
    ) -> Any:
        """The crew of ``spec``. With ``reused`` (the outputs of its first tasks, kept
        from before): every task is built, the re-used ones carry their output (as
        crewai's own ``Crew.replay`` gives them theirs) and stay out of the crew, which
        starts at the next one; a later task's explicit context names the re-used tasks
        as it names any, so it reads the same outputs as in a run from the start (the
        adapter gives a task without a ``context`` none: ``context=None``)."""
        cw = library.module
        agents = {
            a.role: cw.Agent(
                role=a.role,
                goal=a.goal,
                backstory=a.backstory,
                llm=_named(run, self._llm(library, a.llm), a.llm),
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
            if index < len(reused):
                task.output = _task_output(library, task, t.agent, reused[index])
            elif getattr(task, "id", None) is not None:
                run.task_index[str(task.id)] = index
        options: dict[str, Any] = {}
        if spec.settings.tool_failures is not None:
            options["tool_failure_policy"] = spec.settings.tool_failures
        if spec.process == "hierarchical":
            manager = spec.manager_llm or next((a.llm for a in spec.agents if a.llm), None)
            if manager is not None:
                options["manager_llm"] = _named(run, self._llm(library, manager), manager)
        return cw.Crew(
            agents=list(agents.values()),
            tasks=ordered[len(reused) :],
            process=getattr(cw.Process, spec.process),
            step_callback=run.on_step,
            task_callback=run.on_task,
            verbose=False,
            **options,
        )

    def run(
        self,
        spec: GraphSpec,
        inputs: dict[str, Any],
        hooks: RunHooks,
        reused: Sequence[TaskResult] = (),
    ) -> RunResult:
        self.check(spec)
        library = self.library_for(spec)
        run = CrewRun(spec, hooks, library.abort)
        context = current_run.get()
        if context is not None:  # usage counts every attempt together, as the budget does
            run.ledger = Ledger(Usage.from_document(context.usage_before))
            run.budget = context.budget
        run.prices = get_settings().model_prices
        if spec.process != "sequential":
            reused = ()  # a manager orders the work: no task's place is known
        reused = list(reused)[: len(spec.tasks) - 1]
        # the crew starts at task len(reused): its progress and outputs start there
        run.outputs = list(reused)
        run.done = len(reused)
        run.percent = 100.0 * run.done / run.total
        crew = self.build(library, spec, run, reused)
        token = active_run.set(run)
        no_retry = library.rate_limit_retry_off.set(True) if library.rate_limit_retry_off else None
        try:
            if library.native_async:
                output = _run_on_loop(self._watched(crew, inputs, run), run)
            else:
                output = crew.kickoff(inputs=inputs)
            run.settle(SETTLE_SECONDS)  # the last calls' usage, counted before it is written
        except BaseException as exc:
            if run.exceeded is not None and not run.stopping:
                # stopped by its budget, before a model call
                spent = run.exceeded
                raise BudgetExceeded(run.label(), spent.field, spent.used, spent.limit) from exc
            if isinstance(exc, StopRequested):
                raise
            if run.stopping or _caused_by(exc, StopRequested):
                raise StopRequested() from exc
            if isinstance(exc, Exception):
                run.settle(SETTLE_SECONDS)
                raise CrewFailure(run.label(), exc) from exc
            raise
        finally:
            run.closed = True
            if no_retry is not None and library.rate_limit_retry_off is not None:
                library.rate_limit_retry_off.reset(no_retry)
            active_run.reset(token)
        raw = getattr(output, "raw", None)
        if not isinstance(raw, str):
            raise CrewOutputInvalid(f"the crew returned {type(output).__name__}, not text")
        return RunResult(raw=raw, tasks=run.outputs)

    async def _watched(self, crew: Any, inputs: dict[str, Any], run: CrewRun) -> Any:
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


def _run_on_loop(main: Coroutine[Any, Any, Any], run: CrewRun) -> Any:
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


def _named(run: CrewRun, llm: Any, spec: LLMSpec | None) -> Any:
    """``llm``, remembered as the graph's model ``spec.model`` (its calls' usage is
    counted under the name the graph, and the price table, give it)."""
    if llm is not None and spec is not None:
        run.models[id(llm)] = spec.model
    return llm


def _task_output(library: Library, task: Any, agent: str, output: TaskResult) -> Any:
    """A re-used task's stored output as the library's ``TaskOutput``."""
    return library.module.TaskOutput(
        description=task.description,
        name=output.name,
        expected_output=task.expected_output,
        raw=output.raw,
        agent=output.agent or agent,
    )


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
