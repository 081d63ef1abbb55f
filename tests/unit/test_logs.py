"""Log lines (logs.py): their time, the execution's fields, JSON, no secret."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator

import pytest

from execution_service import logs


@pytest.fixture
def lines() -> Iterator[tuple[logging.Logger, io.StringIO, dict[str, logging.Handler]]]:
    out = io.StringIO()
    logger = logging.getLogger("test.logs")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handlers = {"json": logs.handler("json", out), "text": logs.handler("text", out)}
    yield logger, out, handlers
    for handler in handlers.values():
        logger.removeHandler(handler)


def _use(logger: logging.Logger, handler: logging.Handler) -> None:
    for old in list(logger.handlers):
        logger.removeHandler(old)
    logger.addHandler(handler)


def test_a_json_line_carries_the_time_and_the_execution_fields(lines) -> None:  # type: ignore[no-untyped-def]
    logger, out, handlers = lines
    _use(logger, handlers["json"])
    with logs.about(execution_id="e-1", worker="w1@h"):
        logs.bind(attempt=2, graph_id="g-9")
        logger.info("attempt %d failed", 2)
    logger.info("outside")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["message"] == "attempt 2 failed"
    assert first["execution_id"] == "e-1"
    assert first["attempt"] == 2
    assert first["graph_id"] == "g-9"
    assert first["worker"] == "w1@h"
    assert first["level"] == "INFO"
    assert first["time"].endswith("Z") and "T" in first["time"]
    assert "execution_id" not in second and "attempt" not in second


def test_a_text_line_starts_with_its_time_and_ends_with_the_fields(lines) -> None:  # type: ignore[no-untyped-def]
    logger, out, handlers = lines
    _use(logger, handlers["text"])
    with logs.about(execution_id="e-2"):
        logger.warning("slow")
    line = out.getvalue().strip()
    assert line[:4].isdigit() and line[10] == "T"
    assert line.endswith("WARNING test.logs slow [execution_id=e-2]")


def test_no_secret_reaches_a_line(lines) -> None:  # type: ignore[no-untyped-def]
    logger, out, handlers = lines
    for kind in ("json", "text"):
        _use(logger, handlers[kind])
        try:
            raise RuntimeError("called with api_key=sk-abcdefghijklmnop")
        except RuntimeError:
            logger.exception("redis://:hunter22@cache:6379/0 refused, Bearer abcdef123456")
    text = out.getvalue()
    for secret in ("hunter22", "abcdefghijklmnop", "abcdef123456"):
        assert secret not in text


def test_a_thread_started_elsewhere_does_not_see_the_fields_but_a_copy_does(lines) -> None:  # type: ignore[no-untyped-def]
    import contextvars

    seen: dict[str, object] = {}
    with logs.about(execution_id="e-3"):
        context = contextvars.copy_context()
    threading.Thread(target=lambda: seen.update(plain=logs.current())).start()
    threading.Thread(target=lambda: context.run(lambda: seen.update(copied=logs.current()))).start()
    for thread in threading.enumerate():
        if thread is not threading.main_thread():
            thread.join(1)
    assert seen["plain"] == {}
    assert seen["copied"] == {"execution_id": "e-3"}


def test_dict_config_names_the_same_formatter() -> None:
    config = logs.dict_config("INFO", "json")
    assert config["formatters"]["service"]["()"] == "execution_service.logs.JsonFormatter"
    assert config["handlers"]["stderr"]["filters"] == ["execution"]
