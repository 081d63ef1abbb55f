"""The services stack: PostgreSQL, Redis, and the service as separate processes.

Select it with ``behave -D stack=services`` or ``EXEC_TEST_STACK=services behave``.
For one run it builds, and at the end takes down again:

* a fresh PostgreSQL database ``crew_exec_test_<8 hex>`` on the local server, brought to
  the latest schema by ``execution-service migrate`` (the Alembic migrations, as in
  production, never ``create_all``) and then checked with ``execution-service migrate
  --check`` (models and migrations agree on PostgreSQL too);
* a Redis database number of its own: the first of 1..15 that is empty, claimed with
  ``SET NX`` of a marker key so that two runs never share one. Database 0 is left alone
  (it is the service's production default). A number rather than a ``global_keyprefix``:
  flushing it at the end cannot touch anything else, and ``redis-cli -n N keys '*'``
  shows exactly what a run left behind;
* the API as its own process (``execution-service api --port <free port>``) and two
  Celery workers (``execution-service worker --hostname w1@%h`` and ``w2@%h``), prefork
  pool, concurrency 2 each: four worker slots in two processes.

Every process runs in a session of its own (its whole process group is signalled at the
end) and dies with the test run if the run is killed. Logs: ``reports/services/<run>/``.
A run killed outright leaves its database and Redis number behind; the next run removes
them (they are labelled with the owner's process id). Killing and restarting workers in
the middle of a run are named operations in ``support/faults/worker_processes.py``.
"""

from __future__ import annotations

import atexit
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import redis
from celery import Celery
from celery.utils.nodenames import host_format

from execution_service.config import Settings
from execution_service.messaging.celery_app import RUN_EXECUTION, make_celery
from execution_service.priorities import BROKER_PRIORITY, PRIORITY_STEPS, Priority
from harness import processes, scratch
from harness.http_client import answers_health
from harness.processes import Child

from ..polling import wait_until
from ..stack_settings import as_environment
from . import OPERATORS, SUITE_OWNER, CommandAnswer, issue_key, run_command, service_command
from .database import Database

ROOT = Path(__file__).resolve().parents[2]  # the repository
DB_PREFIX = "crew_exec_test_"
REDIS_CLAIM_KEY = "crew_exec_test:owner"
QUEUE = "executions"
WORKER_APP = "execution_service.worker.app"
# the longest execution the service accepts, by default (the workers run with the defaults)
MAX_TIMEOUT = Settings.model_fields["max_timeout_seconds"].default

POSTGRES_START = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
REDIS_START = (
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" '
    "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log"
)

DEFAULTS = {
    # where the servers are; userdata (-D key=value) or EXEC_TEST_POSTGRES / EXEC_TEST_REDIS
    "postgres": "postgresql://postgres@127.0.0.1:5432",
    "redis": "redis://127.0.0.1:6379",
    "workers": "2",
    "worker_concurrency": "2",
    # how workers are started: "execution-service" (the wrapper) or "celery" (plain
    # `celery -A execution_service.worker.app worker`, which must behave the same)
    "worker_command": "execution-service",
}


class ServicesUnavailable(RuntimeError):
    """PostgreSQL or Redis is down: the message says which and how to start it."""


# -- process identity, leftovers of killed runs (harness.scratch), child processes
# (harness.processes): shared with the benchmark's stack


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}"


class _Teardown:
    """Runs each part of a teardown once, and keeps going when a part fails."""

    def __init__(self) -> None:
        self.done: set[str] = set()
        self.problems: list[str] = []

    def part(self, name: str, action: Callable[[], object]) -> None:
        if name in self.done:
            return
        try:
            action()
        except Exception as exc:
            self.problems.append(f"stop: could not {name}: {type(exc).__name__}: {exc}")
        else:
            self.done.add(name)


class ServicesTestStack:
    """PostgreSQL + Redis + the API and two prefork workers as separate processes."""

    name = "services"

    def __init__(self, options: dict[str, Any]) -> None:
        def option(key: str) -> str:
            env = os.environ.get(f"EXEC_TEST_{key.upper()}")
            return str(env or options.get(f"services_{key}") or DEFAULTS[key])

        self.postgres_url = option("postgres").rstrip("/")
        self.redis_url = option("redis").rstrip("/")
        self.worker_count = int(option("workers"))
        self.worker_concurrency = int(option("worker_concurrency"))
        self.worker_slots = self.worker_count * self.worker_concurrency
        self.worker_names = [host_format(f"w{i + 1}@%h") for i in range(self.worker_count)]
        self.worker_command = option("worker_command")
        if self.worker_command not in ("execution-service", "celery"):
            raise ValueError(
                f"services_worker_command={self.worker_command!r}: use execution-service or celery"
            )

        self.run_id = secrets.token_hex(4)
        self.db_name = f"{DB_PREFIX}{self.run_id}"
        pg = urlsplit(self.postgres_url)
        self.database_url = f"postgresql+psycopg://{pg.netloc}/{self.db_name}"
        self.redis_db: int | None = None
        self.broker_url = ""
        self.base_url = ""
        self.api_key = ""
        self.operator_key = ""
        self.logs = ROOT / "reports" / "services" / f"run-{self.run_id}"

        self.database = Database(self.database_url)
        self.children: list[Child] = []
        self.celery: Celery | None = None
        self._teardown = _Teardown()
        self._created_database = False

    # -- the servers -------------------------------------------------------------------------

    def _admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(f"{self.postgres_url}/postgres", autocommit=True, connect_timeout=3)

    def _redis(self, db: int = 0) -> redis.Redis:
        return redis.Redis.from_url(
            f"{self.redis_url}/{db}", socket_connect_timeout=3, socket_timeout=10
        )

    def check_services(self) -> None:
        """Fail at once, naming the service that is down and the command that starts it."""
        down = []
        try:
            with self._admin() as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            where = _where(self.postgres_url)
            down.append(
                f"PostgreSQL is not reachable at {where} ({str(exc).strip().splitlines()[0]}).\n"
                f"  Start it with:\n    {POSTGRES_START}"
            )
        try:
            with self._redis() as client:
                client.ping()
        except redis.RedisError as exc:
            where = _where(self.redis_url)
            down.append(
                f"Redis is not reachable at {where} ({exc}).\n  Start it with:\n    {REDIS_START}"
            )
        if down:
            raise ServicesUnavailable(
                "the services stack needs PostgreSQL and Redis:\n" + "\n".join(down)
            )

    def _sweep_dead_runs(self) -> None:
        """Remove the databases and Redis numbers of earlier runs that were killed outright."""
        with self._admin() as conn:
            scratch.sweep_dead_runs(
                conn,
                self._redis,
                DB_PREFIX,
                REDIS_CLAIM_KEY,
                lambda what: print(f"services stack: {what}", file=sys.stderr),
            )

    def _create_database(self) -> None:
        with self._admin() as conn:
            scratch.create_database(conn, self.db_name, "test")
            self._created_database = True

    @property
    def _claim_token(self) -> str:
        return f"{scratch.OWNER} token={self.run_id}"

    def _claim_redis_db(self) -> None:
        self.redis_db = scratch.claim_redis_db(
            self._redis, REDIS_CLAIM_KEY, self._claim_token, "services stack"
        )
        self.broker_url = f"{self.redis_url}/{self.redis_db}"

    # -- the processes -----------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("EXEC_")}
        paths = [str(ROOT / "src"), str(ROOT)]
        if os.environ.get("PYTHONPATH"):
            paths.append(os.environ["PYTHONPATH"])
        env.update(
            PYTHONPATH=os.pathsep.join(paths),
            PYTHONUNBUFFERED="1",
            EXEC_DATABASE_URL=self.database_url,
            EXEC_BROKER_URL=self.broker_url,
            EXEC_QUEUE_NAME=QUEUE,
            EXEC_STOP_CHECK_INTERVAL="0.02",
            EXEC_WORKER_CONCURRENCY=str(self.worker_concurrency),
            EXEC_WORKER_POOL="prefork",
            EXEC_LOG_LEVEL="INFO",
            # one JSON object per line (features/logs.feature reads them)
            EXEC_LOG_FORMAT="json",
        )
        env.update(as_environment())  # the settings both stacks run with
        return env

    def operator(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 120.0
    ) -> CommandAnswer:
        """``execution-service <args>`` as a process of its own, on the stack's settings
        (``env``: settings of its own on top); a command still running after ``timeout``
        is stopped and answers -9."""
        return run_command(args, ROOT, {**self._env(), **(env or {})}, timeout)

    def _run(self, name: str, *args: str) -> None:
        """Run one command to the end (a migration); its output goes to the log folder."""
        result = subprocess.run(
            [*service_command(), *args],
            cwd=ROOT,
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        (self.logs / f"{name}.log").write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            raise RuntimeError(
                f"`execution-service {' '.join(args)}` failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}"
            )

    def _spawn(self, name: str, *args: str, command: list[str] | None = None) -> Child:
        argv = [*(command or service_command()), *args]
        child = processes.spawn(name, argv, self._env(), self.logs / f"{name}.log", cwd=ROOT)
        self.children.append(child)
        return child

    def launch(self, name: str, *args: str) -> Child:
        """Start ``execution-service <args>`` on the run's database and broker, its log
        beside the others, as a process the caller owns: it is not one of the stack's
        processes, and the caller stops it (``support/stacks/api_processes.py``)."""
        argv = [*service_command(), *args]
        return processes.spawn(name, argv, self._env(), self.logs / f"{name}.log", cwd=ROOT)

    def _dead_children(self) -> str:
        return "\n".join(
            f"  {c.name} exited with {c.popen.returncode}; the end of {c.log_path}:\n{c.tail()}"
            for c in self.children
            if not c.alive()
        )

    def _ready(self, what: str, condition: Any, timeout: float) -> None:
        def ready_or_dead() -> bool:
            return bool(self._dead_children()) or condition()

        ready = wait_until(ready_or_dead, timeout=timeout, interval=0.1)
        if dead := self._dead_children():
            raise RuntimeError(
                f"the services stack: a process exited before {what} was ready\n{dead}"
            )
        if not ready:
            raise RuntimeError(
                f"the services stack: {what} not ready within {timeout:g} s (logs: {self.logs})"
            )

    def _api_healthy(self) -> bool:
        return answers_health(self.base_url)

    def _inspect(self, timeout: float = 1.0) -> Any:
        assert self.celery is not None
        return self.celery.control.inspect(
            destination=self.worker_names, timeout=timeout, limit=len(self.worker_names)
        )

    def running_workers(self) -> list[str]:
        """The workers answering a ping, by hostname."""
        replies = self._inspect().ping() or {}
        return sorted(name for name in replies if name in self.worker_names)

    # -- the worker processes (support/faults/worker_processes.py kills and restarts them) --

    # -- the API process (support/faults/api_process.py kills and restarts it) -------------

    def start_api(self) -> Child:
        """Start the API process on the stack's address (``base_url``)."""
        port = self.base_url.rsplit(":", 1)[1]
        return self._spawn("api", "api", "--host", "127.0.0.1", "--port", port)

    def api_process(self) -> Child:
        """The live API process."""
        return next(c for c in self.children if c.name == "api" and c.alive())

    def worker_process(self, hostname: str) -> Child:
        """The live process of the worker called ``hostname`` (``w1@<host>``)."""
        short = hostname.split("@")[0]
        return next(c for c in self.children if c.name == f"worker-{short}" and c.alive())

    def start_worker(self, hostname: str) -> Child:
        """Start the worker called ``hostname``, with the run's ``worker_command``."""
        short = hostname.split("@")[0]
        args = ("worker", "--hostname", f"{short}@%h")
        if self.worker_command == "celery":
            plain = [str(Path(sys.executable).parent / "celery"), "-A", WORKER_APP]
            return self._spawn(f"worker-{short}", *args, "-l", "INFO", command=plain)
        return self._spawn(f"worker-{short}", *args)

    def forget(self, child: Child) -> None:
        """Reap a process that has exited and drop it from the stack's processes."""
        child.popen.wait(timeout=5)
        child.log.close()
        self.children.remove(child)

    def wait_for_workers(self, what: str = "the workers") -> None:
        """Until every worker answers a ping; fail with the logs of any that died."""
        self._ready(what, self._all_workers_answer, timeout=60)

    def _all_workers_answer(self) -> bool:
        return self.running_workers() == sorted(self.worker_names)

    def check_worker_settings(self) -> list[str]:
        """Read the settings back from the running workers: what matters for long crews."""
        inspect = self._inspect(timeout=5)
        stats = inspect.stats() or {}
        confs = inspect.conf(with_defaults=True) or {}
        wanted = {
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "task_serializer": "json",
            "accept_content": ["json"],
            "result_backend": None,
        }
        problems = []
        for name in self.worker_names:
            stat, conf = stats.get(name), confs.get(name)
            if stat is None or conf is None:
                problems.append(f"{name} did not report its settings")
                continue
            pool = stat["pool"]
            if "prefork" not in str(pool.get("implementation")):
                problems.append(f"{name} runs the {pool.get('implementation')} pool, not prefork")
            if pool.get("max-concurrency") != self.worker_concurrency:
                problems.append(f"{name} has {pool.get('max-concurrency')} pool slots")
            if stat.get("prefetch_count") != self.worker_concurrency:
                problems.append(f"{name} prefetches {stat.get('prefetch_count')} messages")
            visibility = stat["broker"].get("transport_options", {}).get("visibility_timeout")
            if not visibility or visibility <= MAX_TIMEOUT:
                problems.append(f"{name} has a Redis visibility timeout of {visibility}")
            problems += [
                f"{name} has {key}={conf.get(key)!r}, wanted {value!r}"
                for key, value in wanted.items()
                if conf.get(key) != value
            ]
        return problems

    # -- the Stack surface -------------------------------------------------------------------

    def start(self) -> None:
        self.check_services()
        atexit.register(self.stop)
        self.logs.mkdir(parents=True, exist_ok=True)
        self._sweep_dead_runs()
        self._create_database()
        self._claim_redis_db()
        self.celery = make_celery(Settings(broker_url=self.broker_url, queue_name=QUEUE))
        self._run("migrate", "migrate")
        self._run("migrate-check", "migrate", "--check")
        self.api_key = issue_key(self, SUITE_OWNER).secret
        self.operator_key = issue_key(self, OPERATORS, admin=True).secret
        port = processes.free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        self.start_api()
        for name in self.worker_names:
            self.start_worker(name)
        self._ready("the API", self._api_healthy, timeout=30)
        self.wait_for_workers()
        problems = self.check_worker_settings()
        if problems:
            raise RuntimeError(
                "the workers do not run with the intended settings:\n  " + "\n  ".join(problems)
            )

    def _idle(self) -> bool:
        inspect = self._inspect(timeout=2)
        active, reserved = inspect.active() or {}, inspect.reserved() or {}
        everyone = set(self.worker_names)
        if set(active) != everyone or set(reserved) != everyone:
            return False  # a worker did not answer: not known to be idle
        return not any(active.values()) and not any(reserved.values())

    def reset(self) -> None:
        self.database.stop_everything()
        assert self.celery is not None
        self.celery.control.purge()
        idle = wait_until(lambda: bool(self._dead_children()) or self._idle(), 20, 0.05)
        if dead := self._dead_children():
            raise RuntimeError(f"a process of the services stack died\n{dead}")
        if not idle:
            raise RuntimeError(f"the workers did not go idle between scenarios (logs: {self.logs})")
        self.database.wipe()

    def redeliver(self, execution_id: str) -> None:
        assert self.celery is not None
        self.celery.send_task(
            RUN_EXECUTION,
            args=[execution_id],
            queue=QUEUE,
            priority=BROKER_PRIORITY[Priority.NORMAL],
        )

    def _broker_backlog(self) -> list[str]:
        if self.redis_db is None:
            return []
        with self._redis(self.redis_db) as client:
            queues = [QUEUE] + [f"{QUEUE}:{step}" for step in PRIORITY_STEPS if step]
            found = [f"{n} messages left in {q}" for q in queues if (n := client.llen(q))]
            if unacked := client.hlen("unacked"):
                found.append(f"{unacked} messages delivered but never acknowledged")
            return [f"Redis db {self.redis_db}: {f}" for f in found]

    def leftovers(self) -> list[str]:
        """What the run left while the stack is still up (after the last reset)."""
        found = [f"execution {i} left running" for i in self.database.stuck()]
        found += self._broker_backlog()
        found += [
            f"{c.name} died during the run (exit {c.popen.returncode}); see {c.log_path}"
            for c in self.children
            if not c.alive()
        ]
        return found

    def stop(self) -> None:
        """Take everything down; safe to call twice, after a failed start, or from atexit.

        SIGINT and SIGTERM wait until the teardown is over (a second Ctrl-C must not
        leave half of it undone); SIGKILL still works.
        """
        signals = {signal.SIGINT, signal.SIGTERM}
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
        try:
            self._stop()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def _stop(self) -> None:
        part = self._teardown.part
        if self.children and self._created_database:
            # first, so that workers in a warm shutdown stop their crews instead of finishing
            part("cancel the running executions", self.database.stop_everything)
        part("stop the processes", self._stop_children)
        if self.celery is not None:
            part("close the broker connections", self.celery.close)
        part("close the database connections", self.database.close)
        if self._created_database:
            part("drop the database", self._drop_database)
        if self.redis_db is not None:
            part("flush the Redis database", self._flush_redis)
        atexit.unregister(self.stop)

    def _drop_database(self) -> None:
        with self._admin() as conn:
            scratch.drop_database(conn, self.db_name)

    def _flush_redis(self) -> None:
        assert self.redis_db is not None
        with self._redis(self.redis_db) as client:
            scratch.release_redis_db(client, REDIS_CLAIM_KEY, self._claim_token)

    def _stop_children(self, grace: float = 15.0) -> None:
        processes.stop(self.children, grace)

    def verify_clean(self) -> list[str]:
        """After :meth:`stop`: no process, no database, no Redis key left behind."""
        found = list(self._teardown.problems)
        for child in self.children:
            found += [
                f"{child.name} process {processes.describe(p)} still alive"
                for p in child.survivors()
            ]
        if self._created_database:
            try:
                with self._admin() as conn:
                    if conn.execute(
                        "SELECT 1 FROM pg_database WHERE datname = %s", [self.db_name]
                    ).fetchone():
                        found.append(f"database {self.db_name} still exists")
            except psycopg.Error as exc:
                found.append(f"could not check database {self.db_name}: {exc}")
        if self.redis_db is not None:
            try:
                with self._redis(self.redis_db) as client:
                    keys = sorted(k.decode() for k in client.keys("*"))
                if keys:
                    found.append(
                        f"Redis db {self.redis_db} still holds {len(keys)} keys: {keys[:5]}"
                    )
            except redis.RedisError as exc:
                found.append(f"could not check Redis db {self.redis_db}: {exc}")
        return found
