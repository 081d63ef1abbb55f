"""The services stack the benchmark runs on, started and taken down by the benchmark.

* PostgreSQL: a fresh database ``crew_exec_bench_<8 hex>``, brought to the latest schema
  with the Alembic migrations, dropped at the end;
* Redis: the first empty database number of 1..15, claimed with ``SET NX`` of a marker
  key, flushed at the end;
* processes: the API (``execution-service api``), the service's workers
  (``execution-service worker``) and, for the baseline, raw Celery workers running a
  no-op task (``celery -A bench.raw_app worker``) with the same pool and concurrency.
  Each runs in a session of its own and dies with the benchmark.

A benchmark killed outright leaves its database and Redis number behind; the next one
removes them (they are labelled with the owner's process id). The claims and the
process handling are ``harness.scratch`` and ``harness.processes``, shared with the
acceptance suite's services stack.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import redis
from celery import Celery

from bench.options import BenchOptions
from execution_service.config import Settings
from execution_service.messaging.celery_app import make_celery
from execution_service.store.migrate import upgrade
from harness import processes, scratch
from harness.http_client import answers_health

DB_PREFIX = "crew_exec_bench_"
REDIS_CLAIM_KEY = "crew_exec_bench:owner"
SERVICE_QUEUE = "executions"
RAW_QUEUE = "bench_raw"
RAW_APP = "bench.raw_app"
_HOST = scratch.HOST
# the repository root: the raw Celery workers import ``bench.raw_app`` from it
ROOT = Path(__file__).resolve().parents[1]


def _bin(name: str) -> str:
    return processes.console_script(name) or name


@dataclass
class Child(processes.Child):
    kind: str = "service"  # "api", "service" or "raw"


class BenchStack:
    """PostgreSQL database, Redis number, the API and the workers of one benchmark run."""

    def __init__(self, options: BenchOptions) -> None:
        self.options = options
        self.run_id = secrets.token_hex(4)
        self.db_name = f"{DB_PREFIX}{self.run_id}"
        self.database_url = (
            f"postgresql+psycopg://{urlsplit(options.postgres).netloc}/{self.db_name}"
        )
        self.redis_db: int | None = None
        self.broker_url = ""
        self.base_url = ""
        self.api_key = ""
        # an operator's key, for GET /metrics (bench/operator_views.py)
        self.operator_key = ""
        # more settings of the service's workers (the task events phase turns them on)
        self.worker_env: dict[str, str] = {}
        self.logs = options.logs / f"run-{self.run_id}"
        self.children: list[Child] = []
        self.celery: Celery | None = None
        self.raw_celery: Celery | None = None
        self._created_database = False

    # -- servers ----------------------------------------------------------------------

    def _admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(
            f"{self.options.postgres}/postgres", autocommit=True, connect_timeout=3
        )

    def backend_pids(self) -> list[int]:
        """The PostgreSQL server processes serving the benchmark's database."""
        with self._admin() as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.db_name,)
            ).fetchall()
        return [int(row[0]) for row in rows]

    def redis_client(self, db: int | None = None) -> redis.Redis:
        number = self.redis_db if db is None else db
        return redis.Redis.from_url(f"{self.options.redis}/{number}", socket_timeout=10)

    def _sweep(self) -> None:
        with self._admin() as conn:
            scratch.sweep_dead_runs(
                conn, self.redis_client, DB_PREFIX, REDIS_CLAIM_KEY, lambda what: None
            )

    def _create_database(self) -> None:
        with self._admin() as conn:
            scratch.create_database(conn, self.db_name, "bench")
            self._created_database = True

    def _claim_redis(self) -> None:
        self.redis_db = scratch.claim_redis_db(
            self.redis_client, REDIS_CLAIM_KEY, scratch.OWNER, "benchmark"
        )
        self.broker_url = f"{self.options.redis}/{self.redis_db}"

    # -- processes --------------------------------------------------------------------

    def env(self, queue: str = SERVICE_QUEUE) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("EXEC_")}
        paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        env.update(
            PYTHONPATH=os.pathsep.join(paths),
            PYTHONUNBUFFERED="1",
            EXEC_DATABASE_URL=self.database_url,
            EXEC_BROKER_URL=self.broker_url,
            EXEC_QUEUE_NAME=queue,
            EXEC_DEFAULT_RUNNER="scripted",
            EXEC_SCRIPTED_RUNNER_ENABLED="true",
            # the webhook receiver of bench/push.py listens on loopback
            EXEC_WEBHOOK_ALLOWED_HOSTS='["127.0.0.1"]',
            EXEC_WORKER_CONCURRENCY=str(self.options.concurrency),
            EXEC_WORKER_POOL="prefork",
            EXEC_API_WORKERS=str(self.options.api_workers),
            EXEC_LOG_LEVEL=self.options.log_level,
        )
        return env

    def _spawn(
        self,
        name: str,
        kind: str,
        argv: list[str],
        queue: str = SERVICE_QUEUE,
        extra: dict[str, str] | None = None,
    ) -> Child:
        log_path = self.logs / f"{name}.log"
        popen, log = processes.launch(argv, {**self.env(queue), **(extra or {})}, log_path)
        child = Child(name, popen, log_path, log, kind)
        self.children.append(child)
        return child

    def start(self) -> None:
        self._sweep()
        self._create_database()
        self._claim_redis()
        upgrade(self.database_url)
        self.api_key = self._make_key()
        self.operator_key = self._make_key("bench-operators", admin=True)
        self.celery = make_celery(Settings(broker_url=self.broker_url, queue_name=SERVICE_QUEUE))
        self.raw_celery = make_celery(Settings(broker_url=self.broker_url, queue_name=RAW_QUEUE))
        port = processes.free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        argv = [_bin("execution-service"), "api", "--host", "127.0.0.1", "--port", str(port)]
        self._spawn("api", "api", argv)
        self._wait("the API", self._api_healthy, 30)
        self.start_workers(self.options.workers)

    def _make_key(self, owner: str = "bench", admin: bool = False) -> str:
        """An API key for the benchmark's clients, made as an operator makes one."""
        made = subprocess.run(
            [_bin("execution-service"), "keys", "create", "--owner", owner]
            + (["--admin"] if admin else []),
            env=self.env(SERVICE_QUEUE),
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return made.stdout.strip()

    def _api_healthy(self) -> bool:
        return answers_health(self.base_url)

    def _wait(self, what: str, ready: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            dead = [c.name for c in self.children if not c.alive()]
            if dead:
                raise RuntimeError(
                    f"{', '.join(dead)} exited before {what} was ready ({self.logs})"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} not ready within {timeout:g} s ({self.logs})")
            time.sleep(0.1)

    def workers(self, kind: str) -> list[Child]:
        return [c for c in self.children if c.kind == kind and c.alive()]

    def start_workers(self, count: int, kind: str = "service") -> None:
        """Start ``count`` workers of ``kind`` ("service" or "raw") and wait for their pings."""
        names = []
        for index in range(count):
            short = f"{'w' if kind == 'service' else 'raw'}{index + 1}"
            names.append(f"{short}@{_HOST}")
            common = ["--hostname", f"{short}@%h", "--concurrency", str(self.options.concurrency)]
            if kind == "service":
                argv = [_bin("execution-service"), "worker", *common]
                self._spawn(f"worker-{short}", kind, argv, extra=self.worker_env)
            else:
                argv = [
                    *[_bin("celery"), "-A", RAW_APP, "worker", "--queues", RAW_QUEUE],
                    *["--pool", "prefork", "--loglevel", self.options.log_level],
                    *["--without-gossip", "--without-mingle", *common],
                ]
                self._spawn(f"worker-{short}", kind, argv, queue=RAW_QUEUE)
        self._wait(f"the {kind} workers", lambda: self._answer(names), 60)

    def _answer(self, names: list[str]) -> bool:
        assert self.celery is not None
        replies = self.celery.control.inspect(destination=names, timeout=1.0).ping() or {}
        return set(names) <= set(replies)

    def stop_workers(self, kind: str = "service") -> None:
        leaving = [c for c in self.children if c.kind == kind]
        processes.stop(leaving)
        self.children = [c for c in self.children if c not in leaving]

    def pause_consuming(self) -> None:
        """Workers stop taking messages of the service's queue (they keep running)."""
        assert self.celery is not None
        names = [f"{c.name.removeprefix('worker-')}@{_HOST}" for c in self.workers("service")]
        self.celery.control.cancel_consumer(SERVICE_QUEUE, destination=names, reply=True)

    def resume_consuming(self) -> None:
        assert self.celery is not None
        names = [f"{c.name.removeprefix('worker-')}@{_HOST}" for c in self.workers("service")]
        self.celery.control.add_consumer(SERVICE_QUEUE, destination=names, reply=True)

    def stop(self) -> None:
        processes.stop(list(self.children))
        self.children = []
        for app in (self.celery, self.raw_celery):
            if app is not None:
                app.close()
        if self._created_database:
            with self._admin() as conn:
                scratch.drop_database(conn, self.db_name)
            self._created_database = False
        if self.redis_db is not None:
            with self.redis_client() as client:
                scratch.release_redis_db(client, REDIS_CLAIM_KEY, scratch.OWNER)
            self.redis_db = None
