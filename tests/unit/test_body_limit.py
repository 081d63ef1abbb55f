"""The request body's size limit (``api/limits.py``): refused with 413 BODY_TOO_LARGE
before the application reads a byte of it, whether announced by Content-Length or sent
in chunks; bodies within the limit reach the application whole."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from execution_service.api.limits import BodyLimit, announced_length

LIMIT = 100


class App:
    """An ASGI app that reads the whole body and answers 200 with its length."""

    def __init__(self) -> None:
        self.called = False
        self.body = b""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.called = True
        while True:
            message = await receive()
            self.body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(self.body)).encode()})


def call(headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> tuple[App, list[Any]]:
    app = App()
    sent: list[Any] = []
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    received = 0

    async def receive() -> Any:
        nonlocal received
        received += 1
        if messages:
            return messages.pop(0)
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    asyncio.run(BodyLimit(app, LIMIT)(scope, receive, send))
    return app, sent


def status(sent: list[Any]) -> int:
    return int(sent[0]["status"])


def test_a_body_announced_over_the_limit_is_refused_unread() -> None:
    app, sent = call([(b"content-length", b"101")], [b"x" * 101])
    assert not app.called
    assert status(sent) == 413
    error = json.loads(sent[1]["body"])["error"]
    assert error["code"] == "BODY_TOO_LARGE"
    assert error["details"] == {"max_body_bytes": LIMIT}
    assert "max_body_bytes" in error["message"]


def test_a_body_announced_within_the_limit_reaches_the_app() -> None:
    app, sent = call([(b"content-length", b"100")], [b"x" * 100])
    assert app.called and app.body == b"x" * 100
    assert status(sent) == 200


def test_a_chunked_body_over_the_limit_is_refused_before_the_app_runs() -> None:
    app, sent = call([(b"transfer-encoding", b"chunked")], [b"x" * 60, b"x" * 60])
    assert not app.called
    assert status(sent) == 413


def test_a_chunked_body_within_the_limit_reaches_the_app_whole() -> None:
    app, sent = call([(b"transfer-encoding", b"chunked")], [b"x" * 50, b"y" * 50])
    assert app.body == b"x" * 50 + b"y" * 50
    assert status(sent) == 200


def test_a_request_without_a_body_passes() -> None:
    app, sent = call([], [b""])
    assert app.called and status(sent) == 200


def test_the_announced_length() -> None:
    assert announced_length([(b"content-length", b"12")]) == (12, False)
    assert announced_length([(b"transfer-encoding", b"Chunked")]) == (None, True)
    assert announced_length([(b"content-length", b"twelve")]) == (None, False)
    assert announced_length([]) == (None, False)
