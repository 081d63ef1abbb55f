"""The request body's size limit, checked before anything reads or parses the body.

A pure ASGI middleware: a body announced by ``Content-Length`` over the limit is refused
at once, unread; a chunked body (no ``Content-Length``) is read up to the limit and
refused as soon as it passes it, and otherwise handed on whole. Either way the refusal
is 413 ``BODY_TOO_LARGE`` and no route runs, so nothing is written. A request without a
body, or with a ``Content-Length`` within the limit, costs one look at its headers.
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from execution_service.errors.codes import ErrorCode


def too_large_body(limit: int) -> bytes:
    """The 413 answer's body: the error envelope naming the limit."""
    return orjson.dumps(
        {
            "error": {
                "code": ErrorCode.BODY_TOO_LARGE,
                "message": f"The request body is larger than max_body_bytes ({limit} bytes).",
                "details": {"max_body_bytes": limit},
            }
        }
    )


def announced_length(headers: list[tuple[bytes, bytes]]) -> tuple[int | None, bool]:
    """The body's ``Content-Length`` (None when absent or unreadable) and whether it is
    sent chunked."""
    length: int | None = None
    chunked = False
    for name, value in headers:
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                length = None
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
    return length, chunked


class BodyLimit:
    """Refuse request bodies larger than ``limit`` bytes with 413 ``BODY_TOO_LARGE``."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length, chunked = announced_length(scope["headers"])
        if length is not None and not chunked:
            if length > self.limit:
                await self._refuse(send)
            else:
                await self.app(scope, receive, send)
            return
        if not chunked:
            await self.app(scope, receive, send)  # no body
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before the body was whole
            body += message.get("body", b"")
            if len(body) > self.limit:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _refuse(self, send: Send) -> None:
        content = too_large_body(self.limit)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(content)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the already-read body over once, then waits as the
    server's would (for the client to disconnect)."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
