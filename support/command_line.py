"""The engineer's command line: ``execution-service`` run as a process of its own, as a
person runs it in a shell, and what it printed and how it exited.

* the client commands (queue, watch, cancel, list, stats) run against the stack's API
  with the suite's owner's key in ``EXEC_URL`` and ``EXEC_API_KEY``; their output is a
  pipe, not a terminal, so they write plain lines;
* ``serve`` runs a whole service of its own (its own data folder, a free port), started
  and stopped here; its output goes to a log in the workspace;
* the operator's commands that must not start (``api`` on the in-process broker) run
  here too, with their own environment.

:class:`CommandLine` is the workspace (``@fixture.command_line``): a folder for graph
files and data folders, and every process it started, all removed at the end.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hamcrest import (
    assert_that,
    contains_string,
    equal_to,
    has_entries,
    has_item,
    has_length,
    matches_regexp,
)

from harness.processes import Child, free_port, spawn, stop

from .builders.graph_definitions import failing_graph_definition, graph_definition
from .builders.scripted import task_script
from .polling import eventually, wait_until
from .stacks import run_command, service_command, services_stack
from .world import World

ROOT = Path(__file__).resolve().parents[1]
COMMAND_TIMEOUT = 60.0
EXIT = {"completed": 0, "failed": 1, "cancelled": 3, "timed out": 4, "refused": 5}
EXIT["unreachable"] = 6
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _env(**extra: str) -> dict[str, str]:
    """This process's environment without the service's settings (a shell of its own),
    plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXEC_")}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


@dataclass
class Served:
    """One ``execution-service serve`` and what it printed."""

    child: Child
    data_dir: Path
    url: str = ""
    key: str | None = None

    def output(self) -> str:
        self.child.log.flush()
        return self.child.log_path.read_text(errors="replace")


class CommandLine:
    """See the module's docstring."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="crew-exec-cli-"))
        self.children: list[Child] = []
        self.background: list[subprocess.Popen[str]] = []
        self.cleanups: list[Callable[[], None]] = []  # after the processes have stopped

    def path(self, name: str) -> Path:
        return self.folder / name

    def run(self, *args: str, env: dict[str, str], timeout: float = COMMAND_TIMEOUT) -> Any:
        """The command to its end; one still running after ``timeout`` is killed and
        answers -9."""
        return run_command(args, self.folder, env, timeout)

    def start(self, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
        child = subprocess.Popen(
            [*service_command(), *args],
            cwd=self.folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.background.append(child)
        return child

    def serve(self, data_dir: Path, **settings: str) -> Served:
        port = free_port()
        argv = [*service_command(), "serve", "--data-dir", str(data_dir), "--port", str(port)]
        name = f"serve-{len(self.children) + 1}"
        child = spawn(name, argv, _env(**settings), self.path(f"{name}.log"), cwd=self.folder)
        self.children.append(child)
        served = Served(child, data_dir)
        wait_until(lambda: "Ctrl-C stops it" in served.output() or not child.alive(), 60)
        text = served.output()
        found = re.search(r"export EXEC_URL=(\S+)", text)
        assert found is not None and child.alive(), f"serve did not start:\n{text}"
        served.url = found.group(1)
        key = re.search(r"export EXEC_API_KEY=(\S+)", text)
        served.key = key.group(1) if key else None
        return served

    def close(self) -> None:
        for process in self.background:
            if process.poll() is None:
                process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.communicate(timeout=5)
        stop(self.children, grace=15)
        for cleanup in self.cleanups:
            cleanup()
        shutil.rmtree(self.folder, ignore_errors=True)


def workspace(context: Any) -> CommandLine:
    found = getattr(context, "command_line", None)
    assert found is not None, "tag the feature @fixture.command_line"
    return found


def _client_env(w: World, url: str | None = None, key: str | None = None) -> dict[str, str]:
    return _env(EXEC_URL=url or w.api.base_url, EXEC_API_KEY=key or w.api.key or "")


def _answer(w: World) -> Any:
    answer = w.before.get("command")
    assert answer is not None, "no command ran in this scenario"
    return answer


# --- graph files --------------------------------------------------------------------


def write_graph_file(w: World, cli: CommandLine, tasks: int) -> None:
    definition = graph_definition(tasks=tasks, steps=3, step_seconds=0.05, name="from a file")
    definition["runner"] = "scripted"
    _write(w, cli, definition)


def write_failing_graph_file(w: World, cli: CommandLine) -> None:
    definition = failing_graph_definition("auth_failed", tasks=2, failing_task=2)
    _write(w, cli, definition)


def _write(w: World, cli: CommandLine, definition: dict[str, Any]) -> None:
    import json

    path = cli.path(f"graph-{uuid.uuid4().hex[:8]}.json")
    path.write_text(json.dumps(definition, indent=2))
    w.before["graph_file"] = path


# --- the client commands ------------------------------------------------------------


def queue_file(w: World, cli: CommandLine, *inputs: str, follow: bool = True) -> None:
    args = ["queue", str(w.before["graph_file"])]
    for item in inputs:
        args += ["--input", item]
    if follow:
        args.append("--follow")
    w.before["command"] = cli.run(*args, env=_client_env(w))


def exit_code_is(w: World, outcome: str, code: int) -> None:
    assert_that(EXIT[outcome], equal_to(code), f"the exit code of {outcome} (README)")
    answer = _answer(w)
    assert_that(answer.code, equal_to(code), f"{answer.out}\n{answer.err}")


def showed_the_run(w: World, tasks: int) -> None:
    """The plain lines of a watch: queued, running, each task started and completed in
    order, then completed."""
    lines = [line.strip() for line in _answer(w).err.splitlines()]
    news = [
        line
        for line in lines
        if line in ("queued", "completed") or line.startswith(("running", "task "))
    ]
    expected = ["queued", "running (attempt 1)"]
    for number in range(1, tasks + 1):
        expected += [f"task task {number} started", f"task task {number} completed"]
    expected.append("completed")
    assert_that(news, equal_to(expected), _answer(w).err)
    assert_that(lines, has_item(matches_regexp(r"^\[#+ *\] +\d+% task \d$")), "a progress line")


def printed_id_and_result(w: World) -> None:
    """stdout: the execution's id, then its result (and nothing else)."""
    out = _answer(w).out.splitlines()
    assert_that(out[0], matches_regexp(f"^{UUID}$"))
    w.execution = w.api.execution(out[0])
    assert_that("\n".join(out[1:]), equal_to(w.execution["result"]["raw"]))


def api_has_it_completed_with(w: World, name: str, value: str) -> None:
    execution = w.api.execution(w.focus()["id"])
    assert_that(execution, has_entries(status="completed", inputs={name: value}))


def named_the_error(w: World, code: str) -> None:
    assert_that(_answer(w).err, contains_string(code))


def watch_in_background(w: World, cli: CommandLine) -> None:
    w.before["watch"] = cli.start("watch", w.focus()["id"], env=_client_env(w))


def cancel(w: World, cli: CommandLine) -> None:
    w.before["command"] = cli.run("cancel", w.focus()["id"], env=_client_env(w))


def cancelled_by_command(w: World) -> None:
    answer = _answer(w)
    assert_that(answer.code, equal_to(0), answer.err)
    assert_that(answer.out.strip(), equal_to(f"{w.focus()['id']} cancelled"))
    assert_that(w.api.execution(w.focus()["id"]), has_entries(status="cancelled"))


def watch_ended(w: World, outcome: str, code: int) -> None:
    assert_that(EXIT[outcome], equal_to(code), f"the exit code of {outcome} (README)")
    watch: subprocess.Popen[str] = w.before["watch"]
    try:
        _, err = watch.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        watch.kill()
        _, err = watch.communicate()
        raise AssertionError(f"the watch did not end within 30 s:\n{err}") from None
    assert_that(watch.returncode, equal_to(code), err)
    assert_that(err, contains_string("cancelled"))


def list_executions(w: World, cli: CommandLine, *args: str) -> None:
    w.before["command"] = cli.run("list", *args, env=_client_env(w))


def list_somewhere_silent(w: World, cli: CommandLine) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    w.before["command"] = cli.run("list", env=_client_env(w, url=url))


def table_shows_completed(w: World, count: int) -> None:
    answer = _answer(w)
    assert_that(answer.code, equal_to(0), answer.err)
    header, *rows = answer.out.splitlines()
    assert_that(
        header.split(),
        equal_to(["ID", "STATUS", "PRIORITY", "PROGRESS", "TASK", "CREATED", "(UTC)", "ERROR"]),
    )
    assert_that(rows, has_length(count))
    listed = {row.split()[0]: row.split()[1] for row in rows}
    assert_that(listed, equal_to({e["id"]: "completed" for e in w.executions}))


def ask_stats(w: World, cli: CommandLine) -> None:
    w.before["command"] = cli.run("stats", env=_client_env(w))


def stats_show(w: World, completed: int) -> None:
    answer = _answer(w)
    assert_that(answer.code, equal_to(0), answer.err)
    slots = w.api.stats()["worker_slots"]
    workers = w.api.stats()["workers_online"]
    assert_that(answer.out, matches_regexp(rf"completed last minute +{completed}\n"))
    assert_that(answer.out, contains_string(f"workers online         {workers} ({slots} slots)"))


def watch_missing(w: World, cli: CommandLine) -> None:
    w.before["command"] = cli.run("watch", str(uuid.uuid4()), env=_client_env(w))


def says_unreachable(w: World) -> None:
    err = _answer(w).err
    assert_that(err, contains_string("cannot reach the API"))
    assert_that(err, contains_string("execution-service serve"))


# --- serve --------------------------------------------------------------------------


def serve_new(w: World, cli: CommandLine, **settings: str) -> None:
    data_dir = cli.path(f"data-{uuid.uuid4().hex[:8]}")
    w.before["served"] = cli.serve(data_dir, **settings)
    w.before["serve_settings"] = settings


def serve_new_handing_back(w: World, cli: CommandLine, grace: float) -> None:
    """Served with a short shutdown grace, and lost messages sent again after 1 s (the
    in-process broker's messages die with the process)."""
    settings = {
        "EXEC_WORKER_SHUTDOWN_GRACE_SECONDS": str(grace),
        "EXEC_REDISPATCH_AFTER_SECONDS": "1",
    }
    serve_new(w, cli, **settings)


def _served(w: World) -> Served:
    served = w.before.get("served")
    assert served is not None, "nothing is served in this scenario"
    return served


def printed_url_and_key(w: World) -> None:
    served = _served(w)
    assert_that(served.url, matches_regexp(r"^http://127\.0\.0\.1:\d+$"))
    assert_that(served.key, matches_regexp(r"^cex_\S{20,}$"))
    assert_that(served.output(), contains_string(str(served.data_dir)))


def queue_file_on_served(w: World, cli: CommandLine, follow: bool = True) -> None:
    served = _served(w)
    w.before["key"] = w.before.get("key") or served.key
    env = _client_env(w, url=served.url, key=w.before["key"])
    args = ["queue", str(w.before["graph_file"]), *(["--follow"] if follow else [])]
    w.before["command"] = cli.run(*args, env=env)
    answer = w.before["command"]
    w.before["execution_id"] = answer.out.splitlines()[0] if answer.out else None


def served_execution(w: World, status: str) -> dict[str, Any]:
    """The served execution of this scenario, as ``status`` (waited for)."""
    served = _served(w)
    execution_id = w.before["execution_id"]
    env = _client_env(w, url=served.url, key=w.before["key"])

    def listed() -> list[str]:
        answer = w.before["cli"].run("list", env=env)
        return [row for row in answer.out.splitlines() if row.startswith(execution_id)]

    rows = eventually(
        listed,
        has_item(contains_string(f" {status} ")),
        timeout=45,
        what=f"execution {execution_id} {status} on the served service",
    )
    return {"id": execution_id, "row": rows[0]}


def stop_served(w: World) -> None:
    served = _served(w)
    served.child.popen.send_signal(signal.SIGTERM)
    try:
        w.before["stopped_code"] = served.child.popen.wait(timeout=15)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"serve did not stop within 15 s:\n{served.output()}") from None


def stopped_cleanly(w: World) -> None:
    served = _served(w)
    assert_that(w.before["stopped_code"], equal_to(0), served.output())
    assert_that(served.output().splitlines()[-1], equal_to("stopped"))
    assert_that(served.child.survivors(), has_length(0))


def restart(w: World, cli: CommandLine) -> None:
    stop_served(w)
    before = _served(w)
    w.before["earlier"] = before
    w.before["served"] = cli.serve(before.data_dir, **w.before.get("serve_settings", {}))


def earlier_key_kept(w: World) -> None:
    served = _served(w)
    assert_that(served.key, equal_to(None))
    assert_that(served.output(), contains_string("still works"))


def earlier_key_lists(w: World, cli: CommandLine) -> None:
    w.before["cli"] = cli
    served_execution(w, "completed")


def execution_on_served_completed(w: World, cli: CommandLine) -> None:
    w.before["cli"] = cli
    queue_file_on_served(w, cli)
    exit_code_is(w, "completed", 0)


def execution_on_served_running(w: World, cli: CommandLine, steps: int, ms: int) -> None:
    w.before["cli"] = cli
    definition = graph_definition(task_plans=[task_script(steps, ms / 1000)], name="long")
    definition["runner"] = "scripted"
    _write(w, cli, definition)
    queue_file_on_served(w, cli, follow=False)
    served_execution(w, "running")


def handed_back_then_completed(w: World) -> None:
    row = served_execution(w, "completed")["row"]
    served = _served(w)
    env = _client_env(w, url=served.url, key=w.before["key"])
    watched = w.before["cli"].run("watch", row.split()[0], env=env)
    assert_that(watched.code, equal_to(0), watched.err)
    assert_that(watched.err, contains_string("retrying: Handed back to the queue"))
    assert_that(watched.err, contains_string("running (attempt 1)"))


# --- the operator's commands --------------------------------------------------------


def start_api_on_in_process_broker(w: World, cli: CommandLine) -> None:
    database = f"sqlite:///{cli.path('api-alone.sqlite3')}"
    env = _env(EXEC_BROKER_URL="prioritymemory://", EXEC_DATABASE_URL=database)
    w.before["command"] = cli.run("api", "--port", str(free_port()), env=env, timeout=20)


# --- an API on a database never migrated (services stack: it needs Redis) ------------


def api_on_unmigrated_database(w: World, cli: CommandLine, kind: str) -> None:
    """An API process of its own (the stack's settings and broker) on a new, empty
    database: a SQLite file, or a PostgreSQL database of the run (dropped at the end)."""
    from urllib.parse import urlparse

    import psycopg

    from harness import scratch

    from .stacks.services import DB_PREFIX

    stack = services_stack(w.stack, "an API process of its own beside Redis")
    if kind == "SQLite":
        url = f"sqlite:///{cli.path(f'unmigrated-{uuid.uuid4().hex[:8]}.sqlite3')}"
    else:
        name = f"{DB_PREFIX}{uuid.uuid4().hex[:8]}"
        admin = f"{stack.postgres_url}/postgres"
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            scratch.create_database(conn, name, "test")

        def drop() -> None:
            with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
                scratch.drop_database(conn, name)

        cli.cleanups.append(drop)
        url = f"postgresql+psycopg://{urlparse(stack.postgres_url).netloc}/{name}"
    port = free_port()
    env = {**stack._env(), "EXEC_DATABASE_URL": url}
    argv = [*service_command(), "api", "--host", "127.0.0.1", "--port", str(port)]
    child = spawn(f"api-{port}", argv, env, cli.path(f"api-{port}.log"), cwd=ROOT)
    cli.children.append(child)
    base = f"http://127.0.0.1:{port}"
    w.before["unmigrated"] = {"base": base, "env": {"EXEC_DATABASE_URL": url}}

    import httpx

    def healthy() -> bool:
        with contextlib.suppress(httpx.HTTPError, ValueError):
            return bool(_get(base, "/healthz", None)[0] == 200)
        return False

    assert wait_until(healthy, 60), f"the API did not start:\n{child.tail()}"


def _get(base: str, path: str, key: str | None) -> tuple[int, dict[str, Any]]:
    import httpx

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    answer = httpx.get(base + path, headers=headers, timeout=10)
    try:
        return answer.status_code, answer.json()
    except ValueError:  # a 500's plain text
        return answer.status_code, {"text": answer.text}


def list_from_unmigrated(w: World) -> None:
    api = w.before["unmigrated"]
    w.before["answer"] = _get(api["base"], "/api/v1/executions", w.api.key)


def answers_not_migrated(w: World, command: str) -> None:
    status, body = w.before["answer"]
    assert_that(status, equal_to(503), str(body))
    assert_that(body["error"], has_entries(code="SCHEMA_NOT_MIGRATED"))
    assert_that(body["error"]["message"], contains_string(f"`{command}`"))


def operator_migrates_it(w: World) -> None:
    api = w.before["unmigrated"]
    migrated = w.stack.operator("migrate", env=api["env"])
    assert_that(migrated.code, equal_to(0), migrated.err)
    made = w.stack.operator("keys", "create", "--owner", "engineer", env=api["env"])
    assert_that(made.code, equal_to(0), made.err)
    api["key"] = made.out.strip()


def serves_within(w: World, seconds: float) -> None:
    api = w.before["unmigrated"]
    eventually(
        lambda: _get(api["base"], "/api/v1/executions", api["key"]),
        equal_to((200, {"items": [], "next_cursor": None})),
        timeout=seconds,
        what="the API listing, once migrated",
    )
