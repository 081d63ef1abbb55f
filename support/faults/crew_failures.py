"""The failures a scripted crew can be told to raise, in the words the features use.

Each maps to one of the scripted crew's failure kinds
(``execution_service.crews.scripted.script.FAILURE_KINDS``), which raises what the real
library or provider would (an SDK timeout, an HTTP 429 with its headers, ...).
"""

from __future__ import annotations

FAILURES: dict[str, str] = {
    "a rate limit (HTTP 429)": "rate_limit",
    "an exhausted quota (HTTP 429)": "quota_exceeded",
    "a provider server error (HTTP 500)": "server_error",
    "a bad gateway (HTTP 502)": "bad_gateway",
    "a provider outage (HTTP 503)": "service_unavailable",
    "a gateway timeout (HTTP 504)": "gateway_timeout",
    "an overloaded provider (HTTP 529)": "overloaded",
    "rejected credentials (HTTP 401)": "auth_failed",
    "a model it may not use (HTTP 403)": "permission_denied",
    "an unknown model (HTTP 404)": "model_not_found",
    "a prompt over the context length": "context_length",
    "a context window error from litellm": "context_window",
    "content refused by the provider": "content_filtered",
    "a request the provider rejects (HTTP 400)": "bad_request",
    "an unprocessable request (HTTP 422)": "unprocessable",
    "an SDK timeout": "sdk_timeout",
    "an SDK connection error": "sdk_connection_error",
    "a read timeout as crewai reports it": "read_timeout",
    "a refused connection as crewai reports it": "connection_refused",
    "a rate limit wrapped in another error": "wrapped_rate_limit",
    "a rate limit from litellm": "litellm_rate_limit",
    "an httpx read timeout": "httpx_read_timeout",
    "an httpx connection error": "httpx_connect_error",
    "a requests connection error": "requests_connection_error",
    "a DNS failure": "dns_failure",
    "a connection reset": "connection_reset",
    "a socket timeout": "socket_timeout",
    "a failing tool": "tool_error",
    "a tool that cannot reach its service": "tool_network_error",
    "an answer the agent cannot parse": "output_parser",
    "a missing input": "missing_input",
    "an error inside the crew": "crew_error",
    "a bad value inside the crew": "value_error",
    "a worker out of memory": "memory_error",
    "a runner that is not installed": "runner_import_error",
}


def kind(words: str) -> str:
    try:
        return FAILURES[words]
    except KeyError as exc:
        raise AssertionError(
            f"no failure called {words!r} in support/faults/crew_failures.py"
        ) from exc
