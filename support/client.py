"""The HTTP client the suite talks to the service with: one method per API call, on the
harness's light keep-alive client (the one the benchmark uses too).

The answers are ``harness.http_client.Response``: ``status_code``, ``headers``,
``json()`` and ``text``, the names the steps read.
"""

from __future__ import annotations

from typing import Any

from harness.http_client import UNREACHABLE, Http, Response


class ApiError(AssertionError):
    def __init__(self, response: Response) -> None:
        super().__init__(
            f"{response.method} {response.url} -> {response.status_code}: {response.text[:500]}"
        )
        self.response = response


class ApiClient:
    """One method per API call; ``raw`` for requests the suite builds itself.

    Every request carries ``key`` (an API key: the owner the client acts for), unless it
    is None. One connection: each simulated user of a load scenario makes its own client.
    """

    def __init__(self, base_url: str, key: str | None, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.timeout = timeout
        self.http = Http(self.base_url, timeout=timeout, key=key)

    def same_owner(self) -> ApiClient:
        """A client of its own (another connection) for the same owner."""
        return ApiClient(self.base_url, self.key, self.timeout)

    def raw(self, method: str, path: str, **kwargs: Any) -> Response:
        """``kwargs``: ``json``, ``data``, ``headers``, ``params``, ``timeout``."""
        return self.http.request(method, path, **kwargs)

    def _ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.raw(method, path, **kwargs)
        if response.status_code >= 400:
            raise ApiError(response)
        return response.json() if response.content else None

    def create_graph(self, definition: dict[str, Any]) -> dict[str, Any]:
        return self._ok("POST", "/api/v1/graphs", json=definition)

    def get_graph(self, graph_id: str) -> Response:
        return self.raw("GET", f"/api/v1/graphs/{graph_id}")

    def delete_graph(self, graph_id: str) -> None:
        self._ok("DELETE", f"/api/v1/graphs/{graph_id}")

    def queue(self, graph_id: str, **body: Any) -> Response:
        return self.raw("POST", f"/api/v1/graphs/{graph_id}/executions", json=body)

    def queue_ok(self, graph_id: str, **body: Any) -> dict[str, Any]:
        return self._ok("POST", f"/api/v1/graphs/{graph_id}/executions", json=body)

    def execution(self, execution_id: str) -> dict[str, Any]:
        return self._ok("GET", f"/api/v1/executions/{execution_id}")

    def events(self, execution_id: str) -> list[dict[str, Any]]:
        return self._ok("GET", f"/api/v1/executions/{execution_id}/events")["items"]

    def list(self, **params: Any) -> dict[str, Any]:
        return self._ok("GET", "/api/v1/executions", params=params)

    def cancel(self, execution_id: str) -> Response:
        return self.raw("POST", f"/api/v1/executions/{execution_id}/cancel")

    def stats(self) -> dict[str, Any]:
        return self._ok("GET", "/api/v1/queue/stats")

    def circuit_breakers(self) -> dict[str, Any]:
        return self._ok("GET", "/api/v1/circuit-breakers")

    def reset_circuit_breakers(self) -> None:
        for circuit in self.circuit_breakers()["items"]:
            self._ok("POST", f"/api/v1/circuit-breakers/{circuit['name']}/reset")

    def healthy(self) -> bool:
        try:
            return self.raw("GET", "/healthz", timeout=2).status_code == 200
        except UNREACHABLE:
            return False
