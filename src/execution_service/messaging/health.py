"""Whether the broker answers, for the readiness check (``GET /readyz``)."""

from __future__ import annotations

import threading
from typing import Any

from execution_service.config import get_settings
from execution_service.messaging import memory_transport

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def ping_broker(timeout: float) -> None:
    """One round trip to the broker (Redis ``PING``), given up after ``timeout`` seconds;
    raises the client's error when it does not answer. The in-memory broker of the
    embedded stack lives in this process: it always answers."""
    url = get_settings().broker_url
    if not url.startswith(("redis://", "rediss://")):
        if url.startswith(("memory", memory_transport.SCHEME)):
            return
        # another kombu transport: connecting is its check
        from execution_service.messaging.celery_app import get_celery

        with get_celery().connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
        return
    import redis

    with _lock:
        client = _clients.get(url)
        if client is None:
            # one client per process, kept (its connections are pooled), with its own
            # bounded timeouts: a broker that does not answer costs ``timeout`` at most
            client = _clients[url] = redis.Redis.from_url(
                url, socket_connect_timeout=timeout, socket_timeout=timeout
            )
    client.ping()
