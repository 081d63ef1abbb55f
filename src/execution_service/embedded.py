"""The embedded stack: SQLite, an in-memory broker, an in-process Celery worker
and the API on a loopback port, all in one process. The default way to run.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

import uvicorn
from celery.worker import WorkController

from execution_service.api.app import create_app
from execution_service.config import Settings, use_settings
from execution_service.messaging import celery_app
from execution_service.service import access
from execution_service.store import engine
from execution_service.store.migrate import upgrade
from execution_service.store.models import LOCAL_OWNER
from execution_service.worker.reaper import Reaper

log = logging.getLogger(__name__)


class EmbeddedStack:
    """Start with :meth:`start`, stop with :meth:`stop`; ``base_url`` is where the API is."""

    def __init__(
        self,
        settings: Settings,
        port: int = 0,
        worker_threads: int = 4,
        api_shutdown_seconds: int | None = None,
    ) -> None:
        """``api_shutdown_seconds``: on :meth:`stop`, how long the API waits for open
        connections (an event stream) before closing them (None: as long as they last)."""
        self.settings = settings
        self.api_shutdown_seconds = api_shutdown_seconds
        self.port = port
        self.worker_threads = worker_threads
        self.worker_name = f"embedded@{socket.gethostname()}"
        self._server: uvicorn.Server | None = None
        self._threads: list[threading.Thread] = []
        self._worker: Any = None
        self._reaper: Reaper | None = None
        self.base_url = ""

    def start(self, timeout: float = 30.0) -> None:
        use_settings(self.settings)
        engine.reset_engines()
        celery_app.reset_celery()
        upgrade(self.settings.database_url)
        self._start_worker(timeout)
        self._reaper = Reaper(self.worker_name, self.worker_threads)
        self._reaper.start()
        self._start_api(timeout)

    def local_key(self, owner: str = LOCAL_OWNER, admin: bool = True) -> str:
        """A new API key of ``owner`` (by default the owner ``local``, as an operator)."""
        return access.create_key(owner, admin=admin, name="embedded").secret

    def _start_worker(self, timeout: float) -> None:
        from execution_service.worker.app import app  # registers the tasks on this process's app

        app.conf.worker_hijack_root_logger = False
        self._worker = WorkController(
            app=app,
            hostname=self.worker_name,
            pool="threads",
            concurrency=self.worker_threads,
            queues=[self.settings.queue_name, self.settings.webhook_queue_name],
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
            loglevel=self.settings.log_level,
        )
        thread = threading.Thread(target=self._worker.start, name="celery-worker", daemon=True)
        thread.start()
        self._threads.append(thread)
        deadline = time.monotonic() + timeout
        while not getattr(self._worker.consumer, "task_consumer", None):
            if time.monotonic() > deadline:
                raise RuntimeError("the embedded Celery worker did not start")
            time.sleep(0.02)

    def _start_api(self, timeout: float) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.settings.api_host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            create_app(),
            log_level="warning",
            access_log=False,
            timeout_keep_alive=30,
            timeout_graceful_shutdown=self.api_shutdown_seconds,
        )
        self._server = uvicorn.Server(config)
        thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="api", daemon=True
        )
        thread.start()
        self._threads.append(thread)
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the embedded API did not start")
            time.sleep(0.02)
        self.base_url = f"http://{self.settings.api_host}:{self.port}"

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._reaper is not None:
            self._reaper.stop()
        if self._worker is not None:
            self._worker.stop(in_sighandler=False, exitcode=0)
        for thread in self._threads:
            thread.join(timeout)
        self._threads = [t for t in self._threads if t.is_alive()]
        engine.reset_engines()

    def alive_threads(self) -> list[str]:
        """The stack's threads still running (none, after a clean :meth:`stop`)."""
        return [t.name for t in self._threads if t.is_alive()]
