"""The operator's commands of ``execution-service``: api, worker, migrate, keys, owners,
demo and bench (the ones that run the service's processes or touch its database)."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from execution_service import logs

if TYPE_CHECKING:
    from execution_service.config import Settings

# the settings are imported by each command that needs them: the client commands share
# this parser and should not pay for loading them

IN_PROCESS_BROKERS = ("memory", "prioritymemory")


def in_process_broker(url: str) -> bool:
    """Whether ``url`` names a broker that lives inside one process (kombu's memory
    transports): no worker in another process can ever read its messages."""
    return url.partition("://")[0].lower() in IN_PROCESS_BROKERS


API_ALONE_REFUSED = """\
execution-service api: the broker is in-process (EXEC_BROKER_URL={url}), so no worker
could take this API's executions: they would stay queued for ever. Run instead:

  execution-service serve      # the API, its worker and SQLite in one process

or set EXEC_BROKER_URL to a Redis URL and run `execution-service worker` beside the API."""


def _api(args: argparse.Namespace) -> int:
    from execution_service.config import get_settings

    settings = get_settings()
    if in_process_broker(settings.broker_url):
        print(API_ALONE_REFUSED.format(url=settings.broker_url), file=sys.stderr)
        return 2

    from execution_service.api import metrics
    from execution_service.api.app import create_app

    workers = args.workers or settings.api_workers
    # The GIL is handed between threads every 5 ms by default: a status read arriving
    # while the admission thread publishes a batch would wait that long for each of its
    # turns. 0.5 ms keeps short requests short under load, for a little throughput.
    sys.setswitchinterval(settings.api_switch_interval)
    made = None
    if workers > 1 and not os.environ.get(metrics.MULTIPROCESS):
        # each process counts its HTTP requests in a file of this folder, and a scrape
        # of any of them sums them all (api/metrics.py); a fresh folder per start
        made = tempfile.mkdtemp(prefix="crew-execution-metrics-")
        os.environ[metrics.MULTIPROCESS] = made
    try:
        _serve(args, settings, workers, create_app)
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
    return 0


def _serve(args: argparse.Namespace, settings: Settings, workers: int, create_app: Any) -> None:
    import uvicorn

    uvicorn.run(
        # several processes need the app by name: each one builds its own
        "execution_service.api.app:create_app" if workers > 1 else create_app(),
        factory=workers > 1,
        workers=workers,
        host=args.host or settings.api_host,
        port=args.port or settings.api_port,
        log_level=settings.log_level.lower(),
        # uvicorn's lines, in every API process, through this service's handler
        log_config=logs.dict_config(settings.log_level, settings.log_format),
        access_log=False,
    )


WORKER_HELP = """\
A thin wrapper over `celery worker`: it runs

  celery -A execution_service.worker.app worker \\
      --queues $EXEC_QUEUE_NAME,$EXEC_WEBHOOK_QUEUE_NAME \\
      --concurrency $EXEC_WORKER_CONCURRENCY --pool $EXEC_WORKER_POOL \\
      --loglevel $EXEC_LOG_LEVEL --without-gossip --without-mingle [EXTRA...]

with the defaults taken from the settings (executions, 2, prefork, INFO).
--concurrency and --pool override the settings; every other argument goes to
`celery worker` unchanged and after these, so it wins, e.g.

  execution-service worker --hostname w1@%h --max-tasks-per-child 100

Plain `celery -A execution_service.worker.app worker` works as well: the app
carries the same queue, pool, concurrency and broker settings.
"""


def _worker(args: argparse.Namespace, extra: list[str]) -> int:
    """A thin wrapper over ``celery worker`` with this service's app, queue and pool.

    See ``WORKER_HELP`` (``execution-service worker --help``) for the exact command.
    """
    from execution_service.config import get_settings
    from execution_service.worker.app import app

    settings = get_settings()
    argv = [
        "worker",
        "--queues",
        f"{settings.queue_name},{settings.webhook_queue_name}",
        "--concurrency",
        str(args.concurrency or settings.worker_concurrency),
        "--pool",
        args.pool or settings.worker_pool,
        "--loglevel",
        settings.log_level,
        "--without-gossip",
        "--without-mingle",
        *extra,
    ]
    app.worker_main(argv=argv)
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from execution_service.config import get_settings
    from execution_service.store.migrate import check, upgrade

    url = get_settings().database_url
    if args.check:
        check(url)
        print("models and migrations agree")
    else:
        upgrade(url)
        print("database is at the latest schema")
    return 0


def _keys(args: argparse.Namespace) -> int:
    """Make, list and revoke API keys (each belongs to an owner)."""
    import uuid

    from execution_service.service import access

    if args.action == "create":
        made = access.create_key(args.owner, admin=args.admin, name=args.name)
        role = "an operator's (admin) key" if made.row.admin else "a key"
        print(
            f"{role} for owner {made.row.owner!r}, id {made.row.id}; it is shown this once",
            file=sys.stderr,
        )
        print(made.secret)
        return 0
    if args.action == "list":
        print(f"{'id':<36}  {'owner':<20} {'key starts':<12} {'role':<8} {'created':<20} revoked")
        for key in access.list_keys(args.owner):
            print(
                f"{key.id!s:<36}  {key.owner:<20} {key.prefix:<12} "
                f"{'admin' if key.admin else 'member':<8} "
                f"{key.created_at:%Y-%m-%d %H:%M:%S}  "
                f"{'' if key.revoked_at is None else f'{key.revoked_at:%Y-%m-%d %H:%M:%S}'}"
            )
        return 0
    try:
        key_id = uuid.UUID(args.key_id)
    except ValueError:
        print(f"keys revoke: {args.key_id!r} is not a key id (see keys list)", file=sys.stderr)
        return 2
    revoked = access.revoke_key(key_id)
    if revoked is None:
        print(f"keys revoke: no key with id {key_id}", file=sys.stderr)
        return 1
    print(f"key {revoked.id} of owner {revoked.owner!r} is revoked")
    return 0


def _owners(args: argparse.Namespace) -> int:
    """List the owners; set an owner's own limit of active executions."""
    from execution_service.config import get_settings
    from execution_service.store import api_keys

    if args.action == "list":
        default = get_settings().max_active_per_owner
        for name, limit in api_keys.owners():
            own = f"{limit} (its own)" if limit is not None else f"{default} (the setting's)"
            print(f"{name:<30} active executions at most {own}")
        return 0
    if args.action == "webhook-secret":
        from execution_service.store import webhook_deliveries

        # the owner's webhook signing secret (made on first use), for the owner's eyes
        print(webhook_deliveries.secret_of(args.owner))
        return 0
    if not api_keys.set_owner_limit(args.owner, args.max_active):
        print(f"owners limit: no owner {args.owner!r} (keys create makes one)", file=sys.stderr)
        return 1
    return 0


def _owner_name(value: str) -> str:
    import re

    from execution_service.service.access import OWNER_PATTERN

    if not re.fullmatch(OWNER_PATTERN, value):
        raise argparse.ArgumentTypeError(
            "an owner is 1-200 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return value


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return number


def _demo(args: argparse.Namespace) -> int:
    from execution_service.demo import run_demo

    folder = Path(args.data_dir or tempfile.mkdtemp(prefix="crew-execution-demo-"))
    return run_demo(folder, topic=args.topic)


def _checkout() -> Path | None:
    """The repository this package is installed from (editable), when ``bench/`` is in it."""
    root = Path(__file__).resolve().parents[3]  # <root>/src/execution_service/cli/<this>.py
    found = (root / "bench" / "__main__.py").is_file() and (root / "src").is_dir()
    return root if found else None


def run_bench(argv: list[str]) -> int:
    """``python -m bench <argv>`` from the checkout, its own flags and ``--help`` included.

    The benchmark is not part of the wheel (it lives in ``bench/`` beside ``src/``), and
    nothing in this package imports it: it runs as a process of its own.
    """
    root = _checkout()
    if root is None:
        print(
            "execution-service bench: the benchmark lives in the repository (bench/), not in "
            "the installed package; run it from a checkout: python -m bench",
            file=sys.stderr,
        )
        return 2
    paths = [str(root), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    child = subprocess.Popen([sys.executable, "-m", "bench", *argv], env=env)

    def forward(signum: int, _frame: FrameType | None) -> None:
        child.send_signal(signum)

    # Ctrl-C reaches the benchmark from the terminal already: it takes its stack down and
    # ends, and this process waits for that; a SIGTERM sent to this process is passed on
    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
        signal.SIGTERM: signal.signal(signal.SIGTERM, forward),
    }
    try:
        return child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The operator's subcommands, each with its handler (``args.handler``)."""
    api = sub.add_parser("api", help="serve the HTTP API (a worker runs apart: `worker`)")
    api.add_argument("--host")
    api.add_argument("--port", type=int)
    api.add_argument("--workers", type=int, help="API processes (EXEC_API_WORKERS, default 1)")
    api.set_defaults(handler=_api)
    worker = sub.add_parser(
        "worker",
        help="run a Celery worker (extra arguments go to `celery worker`)",
        description=WORKER_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    worker.add_argument("--concurrency", type=int, help="pool size (EXEC_WORKER_CONCURRENCY)")
    worker.add_argument("--pool", help="prefork, threads, solo... (EXEC_WORKER_POOL)")
    worker.set_defaults(handler=_worker, takes_extra=True)
    migrate = sub.add_parser("migrate", help="bring the database to the latest schema")
    migrate.add_argument(
        "--check", action="store_true", help="fail if models and migrations differ"
    )
    migrate.set_defaults(handler=_migrate)
    keys = sub.add_parser("keys", help="make, list and revoke API keys")
    keys.set_defaults(handler=_keys)
    keys_sub = keys.add_subparsers(dest="action", required=True)
    create = keys_sub.add_parser("create", help="make a key for an owner; prints it once")
    create.add_argument("--owner", required=True, type=_owner_name)
    create.add_argument("--admin", action="store_true", help="an operator's key")
    create.add_argument("--name", help="a label for the listing")
    listing = keys_sub.add_parser("list", help="every key (never the key itself)")
    listing.add_argument("--owner", type=_owner_name)
    revoke = keys_sub.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    owners = sub.add_parser("owners", help="the owners and their limits")
    owners.set_defaults(handler=_owners)
    owners_sub = owners.add_subparsers(dest="action", required=True)
    owners_sub.add_parser("list", help="every owner and its limit of active executions")
    secret = owners_sub.add_parser(
        "webhook-secret", help="print the secret an owner's webhooks are signed with"
    )
    secret.add_argument("owner", type=_owner_name)
    limit = owners_sub.add_parser("limit", help="set an owner's limit of active executions")
    limit.add_argument("owner", type=_owner_name)
    group = limit.add_mutually_exclusive_group(required=True)
    group.add_argument("--max-active", type=_positive, help="queued + running at most")
    group.add_argument(
        "--default",
        dest="max_active",
        action="store_const",
        const=None,
        help="back to EXEC_MAX_ACTIVE_PER_OWNER",
    )
    demo = sub.add_parser("demo", help="run a scripted demo crew on the embedded stack")
    demo.add_argument("--topic", default="octopuses")
    demo.add_argument("--data-dir")
    demo.set_defaults(handler=_demo, quiet_logs=True)
    # listed for --help only: main() hands `bench ...` to the benchmark before parsing
    sub.add_parser(
        "bench",
        help="benchmark the service against raw Celery, from a checkout (python -m bench)",
    )
