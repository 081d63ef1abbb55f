"""The client commands' side of the HTTP API: calls with a key, the API's errors as
exceptions carrying its code and message, and an execution's event stream read as a
browser reads it (reconnecting with ``Last-Event-ID``).

httpx does the HTTP (a well-kept client, with streaming and timeouts). The server-sent
events format is parsed here (:func:`parse_events`): it is a handful of line rules, and
the reconnection with ``Last-Event-ID`` needs the ids anyway, so a library for it (such
as httpx-sse) would save little.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

DEFAULT_URL = "http://127.0.0.1:8000"
# a stream is quiet at most EXEC_STREAM_KEEPALIVE_SECONDS (15 s) between keep-alives
STREAM_READ_TIMEOUT = 60.0
# while watching, a lost connection is tried again for this long before giving up
RECONNECT_SECONDS = 60.0


class ApiRefused(Exception):
    """The API answered with an error: its HTTP status, error code and message."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details


class ApiUnreachable(Exception):
    """No answer from the API at the URL (nobody listens, a timeout, a dropped link)."""


def refusal_of(response: httpx.Response) -> ApiRefused:
    """The API's error envelope (``{"error": {"code", "message", "details"}}``) as an
    exception; an answer without one (a proxy's page) keeps its status and text."""
    try:
        error = response.json()["error"]
        return ApiRefused(
            response.status_code,
            str(error["code"]),
            str(error["message"]),
            error.get("details"),
        )
    except (ValueError, KeyError, TypeError):
        text = response.text.strip().splitlines()
        return ApiRefused(response.status_code, "HTTP_ERROR", text[0] if text else "")


@dataclass(frozen=True)
class ServerEvent:
    id: str | None
    name: str
    data: dict[str, Any]


def parse_events(lines: Iterable[str]) -> Iterator[ServerEvent]:
    """Server-sent events from a stream's lines: ``id:``, ``event:`` and ``data:`` fields
    (``data`` lines joined with newlines, then read as JSON), a blank line ends an event,
    a line starting with ``:`` is a comment (a keep-alive), unknown fields are ignored."""
    fields: dict[str, str] = {}
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                text = "\n".join(data)
                yield ServerEvent(
                    fields.get("id"), fields.get("event", "message"), json.loads(text)
                )
            fields, data = {}, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name in ("id", "event"):
            fields[name] = value


class ApiClient:
    """Calls to one service (``url``) with one key."""

    def __init__(self, url: str, key: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {key}", "User-Agent": "execution-service-cli"},
            timeout=timeout,
        )

    def close(self) -> None:
        self._http.close()

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """The answer's JSON (None for an empty one); :class:`ApiRefused` for an error
        answer, :class:`ApiUnreachable` when there is none."""
        try:
            response = self._http.request(method, path, json=body, params=params)
        except httpx.TransportError as exc:
            raise ApiUnreachable(f"cannot reach the API at {self.url}: {_reason(exc)}") from exc
        if response.status_code >= 400:
            raise refusal_of(response)
        return response.json() if response.content else None

    def stream(self, execution_id: str, last_id: str | None = None) -> Iterator[ServerEvent]:
        """The execution's events after ``last_id`` on one connection, until the server
        ends the stream. Raises as :meth:`call` does, also in the middle of it."""
        headers = {"Accept": "text/event-stream"}
        if last_id is not None:
            headers["Last-Event-ID"] = last_id
        timeout = httpx.Timeout(self._http.timeout.connect, read=STREAM_READ_TIMEOUT)
        path = f"/api/v1/executions/{execution_id}/stream"
        try:
            with self._http.stream("GET", path, headers=headers, timeout=timeout) as response:
                if response.status_code >= 400:
                    response.read()
                    raise refusal_of(response)
                yield from parse_events(response.iter_lines())
        except httpx.TransportError as exc:
            raise ApiUnreachable(f"lost the API at {self.url}: {_reason(exc)}") from exc


def follow(
    client: ApiClient,
    execution_id: str,
    on_event: Callable[[ServerEvent], bool],
    on_reconnect: Callable[[str], None] = lambda _: None,
    reconnect_seconds: float = RECONNECT_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    pause: Callable[[float], None] = time.sleep,
) -> None:
    """Feed the execution's events to ``on_event`` until it returns True (the final
    one). A stream that ends early (the server's stream lasts ``stream_max_seconds``) or
    breaks is opened again after the last event seen, as browsers do; after
    ``reconnect_seconds`` without a connection, :class:`ApiUnreachable`. ``on_reconnect``
    hears of each outage once, when it starts."""
    last_id: str | None = None
    wait = 0.25
    away_since: float | None = None
    while True:
        try:
            seen = 0
            for event in client.stream(execution_id, last_id):
                away_since, wait, seen = None, 0.25, seen + 1
                if event.id is not None:
                    last_id = event.id
                if on_event(event):
                    return
            away_since = None  # the server ended the stream: open it again
            if seen:
                continue
        except ApiUnreachable as exc:
            now = clock()
            if away_since is None:  # told once per outage
                away_since = now
                on_reconnect(str(exc))
            if now - away_since >= reconnect_seconds:
                raise
        pause(wait)
        wait = min(wait * 2, 5.0)


def _reason(exc: httpx.TransportError) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
