"""The ``execution-service`` command: api, worker, migrate, demo, bench."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType

from execution_service.config import get_settings


def _api(args: argparse.Namespace) -> int:
    import uvicorn

    from execution_service.api.app import create_app

    settings = get_settings()
    workers = args.workers or settings.api_workers
    # The GIL is handed between threads every 5 ms by default: a status read arriving
    # while the admission thread publishes a batch would wait that long for each of its
    # turns. 0.5 ms keeps short requests short under load, for a little throughput.
    sys.setswitchinterval(settings.api_switch_interval)
    uvicorn.run(
        # several processes need the app by name: each one builds its own
        "execution_service.api.app:create_app" if workers > 1 else create_app(),
        factory=workers > 1,
        workers=workers,
        host=args.host or settings.api_host,
        port=args.port or settings.api_port,
        log_level=settings.log_level.lower(),
        access_log=False,
    )
    return 0


WORKER_HELP = """\
A thin wrapper over `celery worker`: it runs

  celery -A execution_service.worker.app worker --queues $EXEC_QUEUE_NAME \\
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
    from execution_service.worker.app import app

    settings = get_settings()
    argv = [
        "worker",
        "--queues",
        settings.queue_name,
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
    from execution_service.store.migrate import check, upgrade

    url = get_settings().database_url
    if args.check:
        check(url)
        print("models and migrations agree")
    else:
        upgrade(url)
        print("database is at the latest schema")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from execution_service.demo import run_demo

    folder = Path(args.data_dir or tempfile.mkdtemp(prefix="crew-execution-demo-"))
    return run_demo(folder, topic=args.topic)


def _checkout() -> Path | None:
    """The repository this package is installed from (editable), when ``bench/`` is in it."""
    root = Path(__file__).resolve().parents[2]  # <root>/src/execution_service/cli.py
    found = (root / "bench" / "__main__.py").is_file() and (root / "src").is_dir()
    return root if found else None


def _bench(argv: list[str]) -> int:
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


def main(argv: list[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    if given[:1] == ["bench"]:
        return _bench(given[1:])  # every flag, --help too, is the benchmark's
    parser = argparse.ArgumentParser(prog="execution-service", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    api = sub.add_parser("api", help="serve the HTTP API")
    api.add_argument("--host")
    api.add_argument("--port", type=int)
    api.add_argument("--workers", type=int, help="API processes (EXEC_API_WORKERS, default 1)")
    worker = sub.add_parser(
        "worker",
        help="run a Celery worker (extra arguments go to `celery worker`)",
        description=WORKER_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    worker.add_argument("--concurrency", type=int, help="pool size (EXEC_WORKER_CONCURRENCY)")
    worker.add_argument("--pool", help="prefork, threads, solo... (EXEC_WORKER_POOL)")
    migrate = sub.add_parser("migrate", help="bring the database to the latest schema")
    migrate.add_argument(
        "--check", action="store_true", help="fail if models and migrations differ"
    )
    demo = sub.add_parser("demo", help="run a scripted demo crew on the embedded stack")
    demo.add_argument("--topic", default="octopuses")
    demo.add_argument("--data-dir")
    # listed for --help only: main() hands `bench ...` to the benchmark before parsing
    sub.add_parser(
        "bench",
        help="benchmark the service against raw Celery, from a checkout (python -m bench)",
    )
    args, extra = parser.parse_known_args(argv)
    level = "WARNING" if args.command == "demo" else get_settings().log_level
    logging.basicConfig(level=level, format="%(levelname)s %(name)s %(message)s")
    if args.command == "worker":
        return _worker(args, extra)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    handlers = {"api": _api, "migrate": _migrate, "demo": _demo}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
