"""The client commands: ``queue``, ``watch``, ``cancel``, ``list`` and ``stats``, run
against a service's URL and an API key (``--url``/``EXEC_URL``, ``--key``/
``EXEC_API_KEY``; ``serve`` prints both, ready to export).

What a script can rely on: stdout carries the data (the id ``queue`` made, the result of
a completed execution, the table, the statistics, or the API's JSON with ``--json``);
stderr carries the narrative (progress, status changes, errors); the exit code says how
it ended (``outcomes.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from execution_service.cli.api_client import (
    DEFAULT_URL,
    RECONNECT_SECONDS,
    ApiClient,
    ApiRefused,
    ApiUnreachable,
    ServerEvent,
    follow,
)
from execution_service.cli.outcomes import FINAL_STATUSES, ExitCode, exit_code_of

if TYPE_CHECKING:
    from execution_service.cli.watch_display import Display

PRIORITIES = ("low", "normal", "high", "critical")
STATUSES = ("queued", "running", "retrying", "completed", "failed", "cancelled", "timed_out")


# --- the arguments (pure) -----------------------------------------------------------


def parse_input(text: str) -> tuple[str, Any]:
    """``name=value`` (a string) or ``name:=json`` (any JSON value: ``count:=3``,
    ``tags:='["a","b"]'``), as httpie writes them."""
    name, equals, value = text.partition("=")
    if not equals or not name or name == ":":
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=VALUE or NAME:=JSON")
    if name.endswith(":"):
        try:
            return name[:-1], json.loads(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{text!r}: the value is not JSON ({exc})") from exc
    return name, value


def parse_label(text: str) -> tuple[str, str]:
    """A metadata label, ``key=value`` (strings only, as the API takes them)."""
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise argparse.ArgumentTypeError(f"{text!r}: expected KEY=VALUE")
    return name, value


def graph_reference(text: str) -> Path | str:
    """A graph file (a path that exists), else a graph's id (a UUID)."""
    path = Path(text)
    if path.is_file():
        return path
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a graph file nor a graph id"
        ) from None


def queue_body(args: argparse.Namespace) -> dict[str, Any]:
    """The queue request's body from the command's options (only those given)."""
    body: dict[str, Any] = {"inputs": dict(args.inputs or [])}
    if args.priority:
        body["priority"] = args.priority
    if args.timeout_seconds is not None:
        body["timeout_seconds"] = args.timeout_seconds
    if args.metadata:
        body["metadata"] = dict(args.metadata)
    return body


# --- what is printed (pure) ---------------------------------------------------------


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns aligned with two spaces between them, as ``docker ps`` or ``kubectl get``
    print them: readable on a terminal, and ``awk``/``cut`` friendly elsewhere."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in [headers, *rows]
    ]


def execution_rows(items: Sequence[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for item in items:
        progress = item.get("progress") or {}
        created = str(item.get("created_at") or "")[:19].replace("T", " ")
        rows.append(
            [
                item["id"],
                item["status"],
                item["priority"],
                f"{progress.get('percent', 0):.0f}%",
                progress.get("current_task") or "-",
                created,
                (item.get("error") or {}).get("code") or "-",
            ]
        )
    return rows


LIST_HEADERS = ("ID", "STATUS", "PRIORITY", "PROGRESS", "TASK", "CREATED (UTC)", "ERROR")


def format_stats(stats: dict[str, Any]) -> list[str]:
    """The queue statistics, one fact a line."""
    by_priority = stats.get("queued_by_priority") or {}
    waiting = ", ".join(f"{name} {count}" for name, count in by_priority.items() if count)
    oldest = stats.get("oldest_queued_age_seconds")
    lines = [
        f"queued                 {stats['queued']}" + (f" ({waiting})" if waiting else ""),
        f"running                {stats['running']}",
        f"retrying               {stats['retrying']}",
        f"oldest queued          {'-' if oldest is None else f'{oldest:.1f} s'}",
        f"workers online         {stats['workers_online']} ({stats['worker_slots']} slots)",
        f"completed last minute  {stats['completed_last_minute']}",
        f"failed last minute     {stats['failed_last_minute']}",
    ]
    by_status = stats.get("by_status") or {}
    if by_status:
        lines.append(
            "by status              " + ", ".join(f"{n} {c}" for n, c in by_status.items())
        )
    for breaker in stats.get("circuit_breakers") or []:
        lines.append(f"circuit {breaker.get('name')}: {breaker.get('state')}")
    return lines


def result_text(result: Any) -> str:
    """A completed execution's result: its ``raw`` text, else its JSON."""
    if isinstance(result, dict) and isinstance(result.get("raw"), str):
        return str(result["raw"])
    return json.dumps(result, indent=2)


def error_text(execution_id: str, status: str, error: dict[str, Any] | None) -> str:
    if not error:
        return f"execution {execution_id} {status}"
    where = f" (task {error['task']})" if error.get("task") else ""
    return f"execution {execution_id} {status}: {error.get('code')}: {error.get('message')}{where}"


# --- the commands -------------------------------------------------------------------


def _client(args: argparse.Namespace) -> ApiClient:
    key = args.key or os.environ.get("EXEC_API_KEY")
    if not key:
        raise MissingKey()
    return ApiClient(args.url, key)


class MissingKey(Exception):
    pass


def _queue(args: argparse.Namespace) -> int:
    client = _client(args)
    graph = args.graph
    if isinstance(graph, Path):
        try:
            definition = json.loads(graph.read_text())
        except (OSError, ValueError) as exc:
            print(f"execution-service queue: {graph}: not a JSON graph ({exc})", file=sys.stderr)
            return ExitCode.USAGE
        made = client.call("POST", "/api/v1/graphs", definition)
        graph = made["id"]
        print(f"graph {graph} defined from {args.graph}", file=sys.stderr)
    execution = client.call("POST", f"/api/v1/graphs/{graph}/executions", queue_body(args))
    print(execution["id"], flush=True)
    print(f"execution {execution['id']} {execution['status']}", file=sys.stderr)
    if args.follow:
        return watch_execution(client, execution["id"])
    return ExitCode.COMPLETED


def watch_execution(
    client: ApiClient,
    execution_id: str,
    display_for: Callable[[str], Display] | None = None,
) -> int:
    """Follow the execution's event stream to its final status, showing it (by default
    a bar on a terminal, plain lines elsewhere); the exit code says how it ended."""
    if display_for is None:
        from execution_service.cli.watch_display import make_display  # rich: only to watch

        display_for = make_display
    final: dict[str, Any] = {}
    display = display_for(execution_id)

    def on_event(event: ServerEvent) -> bool:
        data = event.data
        if event.name.startswith("execution."):
            status = event.name.removeprefix("execution.")
            display.status(status, data)
            if status in FINAL_STATUSES:
                final.update(data, status=status)
                return True
        elif event.name == "task.started":
            display.task_started(str(data.get("task")))
        elif event.name == "task.completed":
            display.task_completed(str(data.get("task")))
        elif event.name == "progress":
            display.progress(float(data.get("percent") or 0), data.get("current_task"))
        return False

    def on_reconnect(why: str) -> None:
        print(f"({why}; trying again for {RECONNECT_SECONDS:g} s)", file=sys.stderr)

    try:
        follow(client, execution_id, on_event, on_reconnect)
    except KeyboardInterrupt:
        display.close()
        print(
            f"\nstopped watching; the execution goes on (execution-service watch {execution_id})",
            file=sys.stderr,
        )
        return ExitCode.INTERRUPTED
    finally:
        display.close()
    status = final["status"]
    if status == "completed":
        print(result_text(final.get("result")), flush=True)
    else:
        print(error_text(execution_id, status, final.get("error")), file=sys.stderr)
    return exit_code_of(status)


def _watch(args: argparse.Namespace) -> int:
    return watch_execution(_client(args), args.execution_id)


def _cancel(args: argparse.Namespace) -> int:
    client = _client(args)
    code = ExitCode.COMPLETED
    for execution_id in args.execution_ids:
        try:
            answer = client.call("POST", f"/api/v1/executions/{execution_id}/cancel")
        except ApiRefused as exc:
            print(f"execution-service cancel {execution_id}: {exc}", file=sys.stderr)
            code = ExitCode.REFUSED
            continue
        print(f"{answer['id']} {answer['status']}")
    return code


def _list(args: argparse.Namespace) -> int:
    params: dict[str, Any] = {"limit": args.limit}
    if args.status:
        params["status"] = args.status
    if args.graph_id:
        params["graph_id"] = args.graph_id
    for name, value in args.metadata or []:
        params[f"metadata.{name}"] = value
    page = _client(args).call("GET", "/api/v1/executions", params=params)
    if args.json:
        print(json.dumps(page, indent=2))
        return ExitCode.COMPLETED
    for line in format_table(LIST_HEADERS, execution_rows(page["items"])):
        print(line)
    if page.get("next_cursor"):
        print(f"(more: --limit above {args.limit} shows more)", file=sys.stderr)
    return ExitCode.COMPLETED


def _stats(args: argparse.Namespace) -> int:
    stats = _client(args).call("GET", "/api/v1/queue/stats")
    if args.json:
        print(json.dumps(stats, indent=2))
    else:
        for line in format_stats(stats):
            print(line)
    return ExitCode.COMPLETED


def _guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """The API's refusals and silences as messages and exit codes, not tracebacks."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except MissingKey:
            print(
                f"execution-service {args.command}: no API key: give --key or set "
                "EXEC_API_KEY (`execution-service serve` prints one; an operator makes "
                "them with `execution-service keys create`)",
                file=sys.stderr,
            )
            return ExitCode.USAGE
        except ApiRefused as exc:
            print(f"execution-service {args.command}: {exc}", file=sys.stderr)
            return ExitCode.REFUSED
        except ApiUnreachable as exc:
            print(
                f"execution-service {args.command}: {exc} (is the service running? "
                "`execution-service serve` starts one)",
                file=sys.stderr,
            )
            return ExitCode.UNREACHABLE
        except KeyboardInterrupt:
            return ExitCode.INTERRUPTED

    return run


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The client subcommands, each with its handler (``args.handler``)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url",
        default=os.environ.get("EXEC_URL") or DEFAULT_URL,
        help=f"the service (EXEC_URL; default {DEFAULT_URL})",
    )
    common.add_argument("--key", help="an API key (EXEC_API_KEY)")
    common.set_defaults(client=True)

    def command(name: str, handler: Callable[[argparse.Namespace], int], **kw: Any) -> Any:
        parser = sub.add_parser(name, parents=[common], **kw)
        parser.set_defaults(handler=_guarded(handler))
        return parser

    queue = command(
        "queue",
        _queue,
        help="queue an execution of a graph (a JSON file, or a graph id); prints its id",
    )
    queue.add_argument("graph", type=graph_reference, metavar="GRAPH_FILE_OR_ID")
    queue.add_argument(
        "--input",
        "-i",
        dest="inputs",
        action="append",
        type=parse_input,
        metavar="NAME=VALUE",
        help="an input of the crew (NAME:=JSON for a number, a list...); repeat for more",
    )
    queue.add_argument("--priority", choices=PRIORITIES)
    queue.add_argument("--timeout", dest="timeout_seconds", type=float, metavar="SECONDS")
    queue.add_argument("--metadata", "-m", action="append", type=parse_label, metavar="KEY=VALUE")
    queue.add_argument(
        "--follow", "-f", action="store_true", help="then watch it to its end (as `watch`)"
    )
    watch = command(
        "watch",
        _watch,
        help="follow an execution to its end: a progress bar, its status changes; "
        "the exit code says how it ended",
    )
    watch.add_argument("execution_id", metavar="EXECUTION_ID")
    cancel = command("cancel", _cancel, help="cancel executions")
    cancel.add_argument("execution_ids", nargs="+", metavar="EXECUTION_ID")
    listing = command("list", _list, help="the newest executions, as a table")
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--graph", dest="graph_id", metavar="GRAPH_ID")
    listing.add_argument("--metadata", "-m", action="append", type=parse_label, metavar="KEY=VALUE")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--json", action="store_true", help="the API's answer as JSON")
    stats = command("stats", _stats, help="the queue's statistics")
    stats.add_argument("--json", action="store_true", help="the API's answer as JSON")
