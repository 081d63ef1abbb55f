"""The ``execution-service`` command.

Its subcommands live by job:

* ``operator_commands``: run the service's processes and look after its database
  (api, worker, migrate, keys, owners, demo, bench);
* ``serve_command``: ``serve``, the whole service in one process (API, worker, reaper,
  SQLite in a data folder) until Ctrl-C or SIGTERM;
* ``client_commands``: talk to a running service over HTTP with a URL and a key
  (queue, watch, cancel, list, stats), helped by ``api_client`` (the HTTP calls and the
  event stream), ``watch_display`` (the progress bar, or plain lines) and ``outcomes``
  (the exit codes).

The client commands never touch the service's settings or database: they are what an
engineer runs on any machine that can reach the API.
"""

from __future__ import annotations

import argparse
import sys

from execution_service.cli import client_commands, operator_commands, serve_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="execution-service",
        description="Run the crew-execution service, or talk to a running one.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve_command.register(sub)
    operator_commands.register(sub)
    client_commands.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    if given[:1] == ["bench"]:
        return operator_commands.run_bench(given[1:])  # every flag, --help too, is the bench's
    parser = build_parser()
    args, extra = parser.parse_known_args(given)
    if extra and not getattr(args, "takes_extra", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if getattr(args, "client", False):
        return int(args.handler(args))
    from execution_service.config import get_settings

    try:
        settings = get_settings()
    except ValueError as exc:  # pydantic's ValidationError: a setting the service refuses
        print(f"execution-service: the settings are refused:\n{exc}", file=sys.stderr)
        return 2
    level = "WARNING" if getattr(args, "quiet_logs", False) else settings.log_level
    from execution_service import logs

    logs.configure(level, settings.log_format)  # a worker's: Celery's signal (worker/app.py)
    if getattr(args, "takes_extra", False):
        return int(args.handler(args, extra))
    return int(args.handler(args))
