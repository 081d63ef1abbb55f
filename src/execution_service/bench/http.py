"""A small keep-alive HTTP/1.1 client: light enough that the load generator is not the
bottleneck (``requests`` spends about a millisecond of CPU per call)."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

STALE = (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected)


class Http:
    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout = timeout
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                raw = response.read()
                break
            except STALE:
                # the server closed an idle keep-alive connection: once more on a new one
                self.conn.close()
                if attempt == 2:
                    raise
            except (http.client.HTTPException, OSError):
                self.conn.close()  # the next call opens a fresh connection
                raise
        return response.status, (json.loads(raw) if raw else None)

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        status, answer = self.call(method, path, body)
        if status >= 400:
            raise RuntimeError(f"{method} {path} -> {status}: {str(answer)[:300]}")
        return answer

    def close(self) -> None:
        self.conn.close()
