"""The stacks the suite runs against: ``embedded`` (default) and ``services``.

Both offer the same surface: ``start``, ``reset`` (fresh data between
scenarios), ``stop``, ``base_url``, ``database``, ``worker_slots``,
``redeliver`` (hand a message to a worker again), ``running_workers`` (the
hostnames of the workers answering), ``leftovers`` (what a run left while the
stack is up) and ``verify_clean`` (what is left after ``stop``).

The services stack is in ``support/services_stack.py``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, Protocol

from execution_service.config import Settings
from execution_service.embedded import EmbeddedStack
from execution_service.messaging.celery_app import RUN_EXECUTION, get_celery

from .database import Database
from .polling import wait_until
from .test_settings import OVERRIDES


class Stack(Protocol):
    name: str
    base_url: str
    database: Database
    worker_slots: int

    def start(self) -> None: ...
    def reset(self) -> None: ...
    def stop(self) -> None: ...
    def redeliver(self, execution_id: str) -> None: ...
    def running_workers(self) -> list[str]: ...
    def leftovers(self) -> list[str]: ...
    def verify_clean(self) -> list[str]: ...


class EmbeddedTestStack:
    """SQLite in a temporary folder, in-memory broker, worker threads, API on loopback."""

    name = "embedded"

    def __init__(self, worker_slots: int = 4) -> None:
        self.worker_slots = worker_slots
        self.folder = Path(tempfile.mkdtemp(prefix="crew-exec-test-"))
        self.settings = Settings(
            database_url=f"sqlite:///{self.folder / 'executions.sqlite3'}",
            broker_url="prioritymemory://",
            log_level="WARNING",
            **OVERRIDES,
        )
        self.stack = EmbeddedStack(self.settings, worker_threads=worker_slots)
        self.base_url = ""
        self.database = Database(self.settings.database_url)
        self._stopped = False

    def start(self) -> None:
        self.stack.start()
        self.base_url = self.stack.base_url

    def _idle(self) -> bool:
        from celery.worker import state

        return not state.active_requests and not state.reserved_requests

    def reset(self) -> None:
        self.database.stop_everything()
        get_celery().control.purge()
        if not wait_until(self._idle, timeout=15):
            raise RuntimeError("the embedded worker did not go idle between scenarios")
        self.database.wipe()

    def redeliver(self, execution_id: str) -> None:
        get_celery().send_task(RUN_EXECUTION, args=[execution_id])

    def running_workers(self) -> list[str]:
        return [self.stack.worker_name]

    def leftovers(self) -> list[str]:
        stuck = self.database.stuck()
        return [f"execution {i} left running" for i in stuck]

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.stack.stop()
        self.database.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def verify_clean(self) -> list[str]:
        found = [f"thread {name} still running" for name in self.stack.alive_threads()]
        if self.folder.exists():
            found.append(f"folder {self.folder} still exists")
        return found


def make_stack(name: str, options: dict[str, Any]) -> Stack:
    if name == "embedded":
        return EmbeddedTestStack(worker_slots=int(options.get("worker_slots", 4)))
    if name == "services":
        from .services_stack import ServicesTestStack

        return ServicesTestStack(options)
    raise ValueError(f"unknown stack {name!r}: use embedded or services")
