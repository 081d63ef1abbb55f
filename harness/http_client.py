"""The one light HTTP client the benchmark and the acceptance suite talk to the API with:
one keep-alive HTTP/1.1 connection on the standard library's ``http.client``.

Light enough that the load generator is not the bottleneck: ``requests`` spends about a
millisecond of CPU per call, as much as the API spends answering a status read, so
with it a benchmark's clients (and the suite's timing scenarios) measured mostly
themselves. The benchmark's hot loops use :meth:`Http.call` (status and parsed body,
nothing else built); the suite's ``ApiClient`` uses :meth:`Http.request`, which keeps
what a step asserts on (status, headers, body) in a :class:`Response` with the
attribute names the steps already read (``status_code``, ``json()``, ``text``).

One ``Http`` is one connection: give each thread its own.
"""

from __future__ import annotations

import http.client
import json as jsonlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

# the server closed an idle keep-alive connection: the request is sent again on a new one
STALE = (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected)
# what a call raises when nothing answers (not listening, refused, timed out, cut off)
UNREACHABLE = (OSError, http.client.HTTPException)


@dataclass(frozen=True)
class Response:
    """One answer, with the names of a ``requests`` response the steps read."""

    method: str
    url: str
    status_code: int
    headers: http.client.HTTPMessage  # case-insensitive; a missing header reads as None
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class Http:
    """A keep-alive connection to ``base_url``; reconnects once when the server has closed it.

    With ``key``, every request carries it as ``Authorization: Bearer <key>``.
    """

    def __init__(self, base_url: str, timeout: float = 30.0, key: str | None = None) -> None:
        parts = urlsplit(base_url)
        self.auth = {"Authorization": f"Bearer {key}"} if key else {}
        self.base_url = base_url.rstrip("/")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def _exchange(
        self, method: str, path: str, data: bytes | None, headers: dict[str, str]
    ) -> tuple[http.client.HTTPResponse, bytes]:
        headers = {**self.auth, **headers}
        for attempt in (1, 2):
            try:
                self.conn.request(method, self.prefix + path, body=data, headers=headers)
                response = self.conn.getresponse()
                return response, response.read()
            except STALE:
                # the server closed an idle keep-alive connection: once more on a new one
                self.conn.close()
                if attempt == 2:
                    raise
            except UNREACHABLE:
                self.conn.close()  # the next call opens a fresh connection
                raise
        raise AssertionError("not reached: the loop returns or raises")

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Send ``body`` as JSON; the status and the parsed answer (None when empty)."""
        data = None if body is None else jsonlib.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        response, raw = self._exchange(method, path, data, headers)
        return response.status, (jsonlib.loads(raw) if raw else None)

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        """:meth:`call`, raising ``RuntimeError`` on a status of 400 or more."""
        status, answer = self.call(method, path, body)
        if status >= 400:
            raise RuntimeError(f"{method} {path} -> {status}: {str(answer)[:300]}")
        return answer

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Response:
        """One call with everything the answer holds. ``json`` is sent as JSON, ``data``
        as it is; ``params`` go in the query string (None values left out); ``timeout``
        applies to this call only."""
        sent = dict(headers or {})
        if json is not None:
            data = jsonlib.dumps(json).encode()
            sent.setdefault("Content-Type", "application/json")
        query = {k: v for k, v in (params or {}).items() if v is not None}
        if query:
            path += ("&" if "?" in path else "?") + urlencode(query, doseq=True)
        if timeout is None:
            response, raw = self._exchange(method, path, data, sent)
        else:
            response, raw = self._with_timeout(timeout, method, path, data, sent)
        return Response(method, self.base_url + path, response.status, response.headers, raw)

    def _with_timeout(
        self, timeout: float, method: str, path: str, data: bytes | None, headers: dict[str, str]
    ) -> tuple[http.client.HTTPResponse, bytes]:
        self.conn.timeout = timeout
        if self.conn.sock is not None:
            self.conn.sock.settimeout(timeout)
        try:
            return self._exchange(method, path, data, headers)
        finally:
            self.conn.timeout = self.timeout
            if self.conn.sock is not None:
                self.conn.sock.settimeout(self.timeout)

    def close(self) -> None:
        self.conn.close()


def answers_health(base_url: str, timeout: float = 1.0) -> bool:
    """Whether the API at ``base_url`` answers ``GET /healthz`` with 200 now (False while
    it is not listening, or not answering, yet)."""
    http = Http(base_url, timeout=timeout)
    try:
        return http.call("GET", "/healthz")[0] == 200
    except UNREACHABLE:
        return False
    finally:
        http.close()
