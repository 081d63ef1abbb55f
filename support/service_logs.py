"""The service's log lines, as an operator reads them.

On the services stack every process writes its lines to its own file
(``reports/services/run-<id>/api.log``, ``worker-w1.log``, ...), one JSON object per line
(the stack runs with ``EXEC_LOG_FORMAT=json``); a scenario reads what was appended since
it began. The embedded stack runs in this process: its lines are those the service's
loggers write while the scenario runs, kept with the service's own JSON handler
(``execution_service.logs``), as ``EXEC_LOG_FORMAT=json`` writes them.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hamcrest import assert_that, greater_than, has_entries, has_length, matches_regexp

from execution_service import logs

from .polling import eventually
from .stacks import services_stack
from .world import World

TIME = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


def keep_json_lines(w: World, add_cleanup: Callable[..., None]) -> None:
    """From now on, the lines the service writes (see the module's docstring)."""
    if w.stack.name != "services":
        stream = io.StringIO()
        handler = logs.handler("json", stream)
        logger = logging.getLogger("execution_service")
        level = logger.level
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)

        def stop() -> None:
            logger.removeHandler(handler)
            logger.setLevel(level)

        add_cleanup(stop)
        w.before["log_lines"] = lambda: {"api": stream.getvalue(), "workers": stream.getvalue()}
        return
    folder = services_stack(w.stack, "log files").logs
    offsets = {path: path.stat().st_size for path in folder.glob("*.log")}

    def appended() -> dict[str, str]:
        found = {"api": "", "workers": ""}
        for path in sorted(folder.glob("*.log")):
            if path.name.startswith(("api", "worker")):
                kind = "api" if path.name.startswith("api") else "workers"
                found[kind] += _since(path, offsets.get(path, 0))
        return found

    w.before["log_lines"] = appended


def _since(path: Path, offset: int) -> str:
    with path.open("rb") as file:
        file.seek(offset)
        return file.read().decode(errors="replace")


def _json_lines(text: str) -> list[dict[str, Any]]:
    found = []
    for line in text.splitlines():
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


def _about(w: World, kind: str, words: str) -> list[dict[str, Any]]:
    """The JSON lines of ``kind`` (api, workers) about the focused execution that say
    ``words``."""
    execution_id = w.focus()["id"]
    return [
        line
        for line in _json_lines(w.before["log_lines"]()[kind])
        if line.get("execution_id") == execution_id and words in line.get("message", "")
    ]


def _ran_on(w: World, execution_id: str) -> str | None:
    """The worker its last attempt started on, as its history says (``started on X``)."""
    starts = [e["message"] for e in w.api.events(execution_id) if e["status"] == "running"]
    return starts[-1].removeprefix("started on ") if starts else None


def said_with_fields(w: World, kind: str, words: str, fields: dict[str, Any]) -> None:
    """A JSON line of ``kind`` says ``words`` about the focused execution, with its time
    and ``fields`` (``...``: the graph and the worker, as the API shows them)."""
    execution_id = w.focus()["id"]
    found = eventually(
        lambda: _about(w, kind, words),
        has_length(greater_than(0)),
        timeout=10,
        what=f"a line of the {kind} logs saying {words!r} about {execution_id}",
    )
    known = {
        "graph_id": w.api.execution(execution_id)["graph_id"],
        "worker": _ran_on(w, execution_id),
    }
    wanted = {name: known[name] if value is ... else value for name, value in fields.items()}
    assert_that(found[0], has_entries(time=matches_regexp(TIME), level="INFO", **wanted))
