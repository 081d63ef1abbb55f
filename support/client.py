"""The HTTP client the suite talks to the service with, on ``requests``."""

from __future__ import annotations

from typing import Any

import requests


class ApiError(AssertionError):
    def __init__(self, response: requests.Response) -> None:
        super().__init__(
            f"{response.request.method} {response.url} -> "
            f"{response.status_code}: {response.text[:500]}"
        )
        self.response = response


class ApiClient:
    """One method per API call; ``raw`` for requests the suite builds itself."""

    def __init__(self, base_url: str, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()

    def raw(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return self.http.request(method, self.base_url + path, **kwargs)

    def _ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.raw(method, path, **kwargs)
        if response.status_code >= 400:
            raise ApiError(response)
        return response.json() if response.content else None

    def create_graph(self, definition: dict[str, Any]) -> dict[str, Any]:
        return self._ok("POST", "/api/v1/graphs", json=definition)

    def get_graph(self, graph_id: str) -> requests.Response:
        return self.raw("GET", f"/api/v1/graphs/{graph_id}")

    def delete_graph(self, graph_id: str) -> None:
        self._ok("DELETE", f"/api/v1/graphs/{graph_id}")

    def queue(self, graph_id: str, **body: Any) -> requests.Response:
        return self.raw("POST", f"/api/v1/graphs/{graph_id}/executions", json=body)

    def queue_ok(self, graph_id: str, **body: Any) -> dict[str, Any]:
        return self._ok("POST", f"/api/v1/graphs/{graph_id}/executions", json=body)

    def execution(self, execution_id: str) -> dict[str, Any]:
        return self._ok("GET", f"/api/v1/executions/{execution_id}")

    def events(self, execution_id: str) -> list[dict[str, Any]]:
        return self._ok("GET", f"/api/v1/executions/{execution_id}/events")["items"]

    def list(self, **params: Any) -> dict[str, Any]:
        return self._ok("GET", "/api/v1/executions", params=params)

    def cancel(self, execution_id: str) -> requests.Response:
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
        except requests.RequestException:
            return False
