"""The stacks the suite runs against: ``embedded`` (default) and ``services``.

Both offer the same surface: ``start``, ``reset`` (fresh data between
scenarios), ``stop``, ``base_url``, ``database``, ``worker_slots``,
``redeliver`` (hand a message to a worker again) and ``leftovers``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, Protocol

from execution_service.celery_app import RUN_EXECUTION, get_celery
from execution_service.config import Settings
from execution_service.embedded import EmbeddedStack

from .database import Database
from .mock_crewai import MODULE as MOCK_CREWAI
from .polling import wait_until


class Stack(Protocol):
    name: str
    base_url: str
    database: Database
    worker_slots: int

    def start(self) -> None: ...
    def reset(self) -> None: ...
    def stop(self) -> None: ...
    def redeliver(self, execution_id: str) -> None: ...
    def leftovers(self) -> list[str]: ...


class EmbeddedTestStack:
    """SQLite in a temporary folder, in-memory broker, worker threads, API on loopback."""

    name = "embedded"

    def __init__(self, worker_slots: int = 4) -> None:
        self.worker_slots = worker_slots
        self.folder = Path(tempfile.mkdtemp(prefix="crew-exec-test-"))
        self.settings = Settings(
            database_url=f"sqlite:///{self.folder / 'executions.sqlite3'}",
            broker_url="memory://",
            crewai_module=MOCK_CREWAI,
            stop_check_interval=0.02,
            log_level="WARNING",
        )
        self.stack = EmbeddedStack(self.settings, worker_threads=worker_slots)
        self.base_url = ""
        self.database = Database(self.settings.database_url)

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

    def leftovers(self) -> list[str]:
        stuck = self.database.stuck()
        return [f"execution {i} left running" for i in stuck]

    def stop(self) -> None:
        self.stack.stop()
        self.database.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def make_stack(name: str, options: dict[str, Any]) -> Stack:
    if name == "embedded":
        return EmbeddedTestStack(worker_slots=int(options.get("worker_slots", 4)))
    if name == "services":
        from .services_stack import ServicesTestStack

        return ServicesTestStack(options)
    raise ValueError(f"unknown stack {name!r}: use embedded or services")
