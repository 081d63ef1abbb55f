"""``execution-service serve``: the whole service in one process, for one engineer on one
machine: the API, a worker (threads) and its reaper, an in-process broker, and SQLite in
a data folder that outlives the process (``--data-dir``, ``EXEC_DATA_DIR``, default
``$XDG_DATA_HOME/crew-execution``, i.e. ``~/.local/share/crew-execution``). The database
is migrated at every start. It runs until Ctrl-C or SIGTERM.

**Its key.** At the first start it makes an API key of the owner ``local`` (an
operator's: it may also reset circuit breakers) and prints it, once: only its digest is
stored, as for every key. Later starts keep that key working and say which it is (its
first characters); ``--new-key`` revokes it and prints a new one (a lost key). The key
is never written to a file.

**Stopping.** Ctrl-C or SIGTERM stops taking requests, then the worker stops as a
Celery worker does on SIGTERM (``worker/shutdown.py``): running crews get
``EXEC_WORKER_SHUTDOWN_GRACE_SECONDS`` (``--grace``) to finish, and those still running
then are stopped and handed back (their attempt not counted). A second Ctrl-C stops at
once. Nothing is lost: the messages of the in-process broker die with the process, but
the database keeps every waiting execution, and the reaper of the next start sends
them again (after ``EXEC_REDISPATCH_AFTER_SECONDS``, the rule for lost messages).

**Scripted crews** (``"runner": "scripted"``, the stand-in that needs no model) are
allowed here unless ``EXEC_SCRIPTED_RUNNER_ENABLED=false``: this is a local service.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

SERVE_KEY_NAME = "serve"
API_SHUTDOWN_SECONDS = 1


def default_data_dir() -> Path:
    """``EXEC_DATA_DIR``, else ``$XDG_DATA_HOME/crew-execution``, else
    ``~/.local/share/crew-execution``."""
    given = os.environ.get("EXEC_DATA_DIR")
    if given:
        return Path(given)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "crew-execution"


def serve_settings(data_dir: Path, host: str | None, port: int | None) -> Any:
    """The service's settings (from ``EXEC_*`` as always) with serve's own: SQLite in the
    data folder, the in-process broker, the scripted crew allowed unless turned off."""
    from execution_service.config import Settings

    own: dict[str, Any] = {
        "database_url": f"sqlite:///{data_dir / 'executions.sqlite3'}",
        "broker_url": "prioritymemory://",
    }
    if "EXEC_SCRIPTED_RUNNER_ENABLED" not in os.environ:
        own["scripted_runner_enabled"] = True
    if host:
        own["api_host"] = host
    if port is not None:
        own["api_port"] = port
    return Settings(**own)


def _announce_key(new_key: bool) -> tuple[str | None, str]:
    """Make the local key if there is none (or ``new_key``); the secret (None when an
    earlier one stays) and a line saying which key works."""
    from execution_service.service import access
    from execution_service.store.models import LOCAL_OWNER

    live = [
        key
        for key in access.list_keys(LOCAL_OWNER)
        if key.name == SERVE_KEY_NAME and key.revoked_at is None
    ]
    if live and not new_key:
        key = live[-1]
        return None, (
            f"the key of the owner '{LOCAL_OWNER}' made {key.created_at:%Y-%m-%d %H:%M} "
            f"UTC ({key.prefix}...) still works; lost it? `execution-service serve "
            "--new-key` replaces it"
        )
    for key in live:
        access.revoke_key(key.id)
    made = access.create_key(LOCAL_OWNER, admin=True, name=SERVE_KEY_NAME)
    replaced = " (the earlier one is revoked)" if live else ""
    return made.secret, (
        f"a new key of the owner '{LOCAL_OWNER}'{replaced}; it is shown this once "
        "(only its digest is stored)"
    )


class _StopRequests:
    """Ctrl-C / SIGTERM: the first asks for a clean stop, the second stops at once."""

    def __init__(self) -> None:
        self.asked = threading.Event()

    def __call__(self, signum: int, _frame: FrameType | None) -> None:
        if self.asked.is_set():
            print("\nstopped at once", file=sys.stderr, flush=True)
            os._exit(128 + signum)
        self.asked.set()


def _serve(args: argparse.Namespace) -> int:
    from celery.signals import worker_shutting_down

    from execution_service.embedded import EmbeddedStack

    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    for name in ("EXEC_DATABASE_URL", "EXEC_BROKER_URL"):
        if name in os.environ:
            print(f"note: serve ignores {name} (it uses {data_dir})", file=sys.stderr)
    settings = serve_settings(data_dir, args.host, args.port)
    if args.grace is not None:
        settings.worker_shutdown_grace_seconds = args.grace
    # the in-process broker has no host: kombu's warning about it says nothing here
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)
    stack = EmbeddedStack(
        settings,
        port=settings.api_port,
        worker_threads=args.threads,
        # open event streams (a `watch`) would hold the API's stop up: they are closed
        # after this long, and their clients reconnect to the next start
        api_shutdown_seconds=API_SHUTDOWN_SECONDS,
    )
    stop = _StopRequests()
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            stack.start()
        except OSError as exc:
            print(
                f"execution-service serve: cannot listen on {settings.api_host}:"
                f"{settings.api_port} ({exc.strerror}); choose another with --port",
                file=sys.stderr,
            )
            stack.stop()
            return 1
        secret, which = _announce_key(args.new_key)
        url = stack.base_url
        grace = settings.worker_shutdown_grace_seconds
        print(f"crew-execution is serving at {url} (API docs: {url}/docs)", flush=True)
        print(f"data: {data_dir} (SQLite, kept across restarts)", flush=True)
        print(which, flush=True)
        print(f"  export EXEC_URL={url}", flush=True)
        if secret is not None:
            print(f"  export EXEC_API_KEY={secret}", flush=True)
        print(
            f"Ctrl-C stops it (running crews get {grace:g} s to finish, then go back "
            "to the queue; Ctrl-C again stops at once)",
            flush=True,
        )
        stop.asked.wait()
        print("stopping...", flush=True)
        # the event streams cut after API_SHUTDOWN_SECONDS are logged as cancelled tasks
        logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
        # what Celery's worker does on SIGTERM: the crews get their grace period
        worker_shutting_down.send(sender=stack.worker_name, sig="SIGTERM", how="Warm", exitcode=0)
        stack.stop(timeout=grace + settings.stop_grace_seconds + 10)
        left = stack.alive_threads()
        if left:
            print(f"stopped, leaving threads running: {', '.join(left)}", flush=True)
            return 1
        print("stopped", flush=True)
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser(
        "serve",
        help="run the whole service in one process (API, worker, SQLite in a data folder) "
        "until Ctrl-C",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument(
        "--data-dir", help="where the database lives (EXEC_DATA_DIR; default: see above)"
    )
    serve.add_argument("--host", help="listen on this address (EXEC_API_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen on this port (EXEC_API_PORT, 8000)")
    serve.add_argument("--threads", type=int, default=4, help="crews run at once (4)")
    serve.add_argument(
        "--grace",
        type=float,
        metavar="SECONDS",
        help="on stopping, how long running crews may finish "
        "(EXEC_WORKER_SHUTDOWN_GRACE_SECONDS, 20)",
    )
    serve.add_argument(
        "--new-key", action="store_true", help="revoke the local key and print a new one"
    )
    serve.set_defaults(handler=_serve, quiet_logs=True)
