"""How every process logs: the API, the workers (Celery's own lines included) and the
commands.

* Every line has its time (UTC, ISO 8601 with milliseconds).
* ``EXEC_LOG_FORMAT=text`` (default): ``<time> <LEVEL> <logger> <message>`` followed by
  the execution's fields when the line is about one (``execution_id=... attempt=...``).
* ``EXEC_LOG_FORMAT=json``: one JSON object per line: ``time``, ``level``, ``logger``,
  ``message``, ``process``, ``exception`` (when there is one), and ``execution_id``,
  ``attempt``, ``graph_id``, ``worker`` when the line is about an execution: the same
  names in the API's and the workers' logs, so that one query finds an execution's
  lines everywhere.

The fields come from a context variable (:func:`about`), set where the code knows the
execution: a worker's task (and the crew's thread, which runs in a copy of the task's
context), an API route with an execution or a graph in its path. A logging filter on the
handler copies them onto every record, so a line logged by any library inside that
context carries them too.

Every line is passed through ``errors/redact.py`` before it is written: no API key, token
or password in a URL reaches a log, whatever a message or an exception carried.

Hand-written rather than python-json-logger or structlog: the formatter is a dozen
lines over the standard library's ``logging``, which Celery and uvicorn already use,
and the redaction must run on the whole line (exception text included).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from execution_service.errors.redact import redact

FIELDS = ("execution_id", "attempt", "graph_id", "worker")
"""The execution's fields a line carries when it is about one."""

_LONGEST_LINE = 32_000

_context: ContextVar[dict[str, Any] | None] = ContextVar("execution_log_fields", default=None)


def current() -> dict[str, Any]:
    """The execution's fields in force here (empty when none)."""
    return dict(_context.get() or {})


@contextlib.contextmanager
def about(**fields: Any) -> Iterator[None]:
    """Lines logged within carry ``fields`` (added to those already in force; a None
    value is left out)."""
    token = _context.set({**current(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def bind(**fields: Any) -> None:
    """Add ``fields`` to the context in force until it ends (inside :func:`about`, or a
    request's own context)."""
    _context.set({**current(), **{k: v for k, v in fields.items() if v is not None}})


class ExecutionFields(logging.Filter):
    """Copies the execution's fields in force onto each record (a handler's filter:
    it sees the records of every logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _context.get()
        for name in FIELDS:
            if not hasattr(record, name):
                value = fields.get(name) if fields else None
                setattr(record, name, None if value is None else str(value))
        return True


def _time(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """``<time> <LEVEL> <logger> <message> [execution_id=... attempt=...]``."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_time(record)} {record.levelname} {record.name} {record.getMessage()}"
        fields = " ".join(
            f"{name}={getattr(record, name)}"
            for name in FIELDS
            if getattr(record, name, None) is not None
        )
        if fields:
            line = f"{line} [{fields}]"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        elif record.exc_text:
            line = f"{line}\n{record.exc_text}"
        return redact(line, _LONGEST_LINE)


class JsonFormatter(logging.Formatter):
    """One JSON object per line (see the module's docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage(), _LONGEST_LINE),
            "process": record.process,
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = int(value) if name == "attempt" and value.isdigit() else value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info), _LONGEST_LINE)
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def handler(log_format: str, stream: Any = None) -> logging.Handler:
    """A stream handler (stderr by default) writing this service's lines."""
    made = logging.StreamHandler(stream or sys.stderr)
    made.setFormatter(formatter(log_format))
    made.addFilter(ExecutionFields())
    return made


def configure(level: str | int, log_format: str) -> None:
    """The process's logging: one handler on the root logger (any handler there before
    is replaced), at ``level``."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler(log_format))
    root.setLevel(level)


def dict_config(level: str | int, log_format: str) -> dict[str, Any]:
    """:func:`configure` as a ``logging.config.dictConfig`` dictionary, for programs that
    set up logging in processes of their own (uvicorn's ``log_config``: each API
    process applies it)."""
    kind = "JsonFormatter" if log_format == "json" else "TextFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"execution": {"()": f"{__name__}.ExecutionFields"}},
        "formatters": {"service": {"()": f"{__name__}.{kind}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "service",
                "filters": ["execution"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        # uvicorn's loggers write through the root's handler
        "loggers": {
            name: {"handlers": [], "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
