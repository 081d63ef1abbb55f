"""The crewai library a graph's crew is built from, loaded and wired once per process.

Two libraries answer to the same names: real ``crewai`` and the scripted stand-in
(``crews.scripted.library``). A graph picks one with its ``runner`` (``"crewai"`` or
``"scripted"``); a graph that names none gets the setting ``default_runner``
(``EXEC_DEFAULT_RUNNER``). Each is imported once per process (``import crewai`` takes
seconds), under a lock, and wired once (``crews.crewai.events``). Real crewai is
imported offline, with its files in the worker's folder (``crews.crewai.environment``)
and its logs redacted (``crews.crewai.log_redaction``); when it is not installed the
import error reaches the worker, which records RUNNER_UNAVAILABLE.

What the adapter uses of a library, all optional except the first line:

* ``LLM``, ``Agent``, ``Task``, ``Crew``, ``Process``, ``Crew.kickoff``, the
  ``step_callback`` / ``task_callback`` of a crew (the stand-in has only these);
* ``tools.tool`` (wraps the allow-listed functions of ``execution_service.crews.tools``);
* ``Crew.akickoff``: the crew runs on an event loop next to a watcher that cancels
  it as soon as ``hooks.should_stop()`` says so, even in the middle of a model call;
* ``hooks.register_before_llm_call_hook`` / ``hooks.HookAborted`` and
  ``events.crewai_event_bus`` (see ``crews.crewai.events``);
* ``llms.retry._active_llm_rate_limit_retry``: crewai's 429 retry loop (three tries,
  no setting) is switched off for the crew's context through the context variable
  crewai itself uses to avoid nesting that loop; retries belong to the service.
"""

from __future__ import annotations

import contextvars
import importlib
import logging
import threading
import warnings
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal

from execution_service.crews.crewai.environment import crewai_home, prepare_environment
from execution_service.crews.crewai.events import install_stop_hook, listen_to_events
from execution_service.crews.crewai.log_redaction import redact_library_logs
from execution_service.crews.interface import StopRequested
from execution_service.crews.tools import TOOLS

log = logging.getLogger(__name__)

LibraryName = Literal["crewai", "scripted"]

MODULES: dict[LibraryName, str] = {
    "crewai": "crewai",
    "scripted": "execution_service.crews.scripted.library",
}
"""A graph's ``runner`` (or the setting ``default_runner``) -> the module its crew is built from."""


@dataclass
class Library:
    """A crewai module as this adapter uses it, imported and wired once per process."""

    module: ModuleType
    abort: type[BaseException] = StopRequested
    native_async: bool = False
    rate_limit_retry_off: contextvars.ContextVar[bool] | None = None
    wrapped_tools: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, name: LibraryName) -> Library:
        real = name == "crewai"
        if real:
            prepare_environment(crewai_home())
            # crewai warns that callbacks defined as methods cannot be checkpointed
            warnings.filterwarnings("ignore", message=".*callbacks cannot be serialized.*")
        module = importlib.import_module(MODULES[name])
        if real:
            redact_library_logs("crewai")
        library = cls(module=module)
        library._wire()
        return library

    def _wire(self) -> None:
        abort = install_stop_hook(self.module)
        if abort is not None:
            self.abort = abort
        has_bus = listen_to_events(self.module)
        crew = getattr(self.module, "Crew", None)
        self.native_async = hasattr(crew, "akickoff")
        retry = getattr(getattr(self.module, "llms", None), "retry", None)
        switch = getattr(retry, "_active_llm_rate_limit_retry", None)
        if isinstance(switch, contextvars.ContextVar):
            self.rate_limit_retry_off = switch
        elif has_bus:
            log.warning(
                "%s: cannot turn off crewai's own rate-limit retries; a 429 may be "
                "retried inside one attempt",
                self.module.__name__,
            )

    def tool(self, name: str) -> Any:
        """The allow-listed tool ``name``, wrapped by this library's ``tools.tool`` once."""
        if name not in self.wrapped_tools:
            self.wrapped_tools[name] = self.module.tools.tool(name)(TOOLS[name])
        return self.wrapped_tools[name]


_libraries: dict[LibraryName, Library] = {}
_libraries_lock = threading.Lock()


def load_library(name: LibraryName) -> Library:
    """The library ``name`` ("crewai" or "scripted"), imported and wired once per process."""
    with _libraries_lock:
        if name not in _libraries:
            _libraries[name] = Library.load(name)
        return _libraries[name]
