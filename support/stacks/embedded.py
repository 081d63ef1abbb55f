"""The embedded stack: the whole service inside the test process.

SQLite in a temporary folder, the in-memory priority broker, Celery worker threads and
the API on a loopback port (``execution_service.embedded.EmbeddedStack``). It is the
default stack: it needs no server.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from pathlib import Path

from execution_service import cli
from execution_service.config import Settings
from execution_service.embedded import EmbeddedStack
from execution_service.messaging.celery_app import RUN_EXECUTION, get_celery

from ..polling import wait_until
from ..stack_settings import OVERRIDES
from . import OPERATORS, SUITE_OWNER, CommandAnswer, issue_key
from .database import Database


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
        self.api_key = ""
        self.operator_key = ""
        self.database = Database(self.settings.database_url)
        self._stopped = False

    def start(self) -> None:
        self.stack.start()
        self.base_url = self.stack.base_url
        self.api_key = issue_key(self, SUITE_OWNER).secret
        self.operator_key = issue_key(self, OPERATORS, admin=True).secret

    def operator(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 120.0
    ) -> CommandAnswer:
        """``execution-service <args>``, run in this process (the stack's settings are
        the process's, so ``env`` cannot change them: a command that needs other
        settings runs on the services stack)."""
        if env:
            raise AssertionError(
                "the embedded stack runs the operator's commands in its own process, on its "
                "own settings: tag the scenario @use.with_stack=services"
            )
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(list(args))
            except SystemExit as exc:  # argparse refusing the arguments
                code = exc.code if isinstance(exc.code, int) else 2
        return CommandAnswer(code, out.getvalue(), err.getvalue())

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
