"""The raw Celery baseline: the service's own Celery settings, a task that does nothing.

``celery -A bench.raw_app worker`` runs it (the repository root on ``PYTHONPATH``). The
app is made by the service's ``make_celery`` (same broker, serializer, acks, prefetch
and priority settings) but imports none of the service's tasks. The task only counts itself done
(one Redis ``INCR``), so the benchmark knows when the last one has run without a
result backend; a second one only notes when it started (one ``HSET``), for the
publish-to-start latency.
"""

from __future__ import annotations

import time
from typing import Any

import redis

from execution_service.config import get_settings
from execution_service.messaging.celery_app import make_celery

NOOP = "bench.noop"
DONE_KEY = "bench:done"
STAMP = "bench.stamp"
STARTED_KEY = "bench:started"  # a hash: token -> when its stamp task started (time.time)

app = make_celery(get_settings())
app.conf.imports = ()

_client: Any = None


def _redis() -> Any:
    global _client
    if _client is None:  # one connection per pool process, made after the fork
        _client = redis.Redis.from_url(get_settings().broker_url)
    return _client


@app.task(name=NOOP, acks_late=True)
def noop() -> None:
    _redis().incr(DONE_KEY)


@app.task(name=STAMP, acks_late=True)
def stamp(token: str) -> None:
    """When a no-op task starts, for the publish-to-start latency on an idle stack."""
    _redis().hset(STARTED_KEY, token, repr(time.time()))
