"""Named operations on the stack's broker: losing every message it holds, as a Redis
restarted without persistence does (the README's own Redis command runs without it).

Only the suite's own broker is touched: on the services stack the Redis database number
the run claimed (never database 0, never the whole server), on the embedded stack the
in-process queue.
"""

from __future__ import annotations

import redis

from execution_service.messaging.celery_app import get_celery

from ..stacks import Stack
from ..stacks.services import REDIS_CLAIM_KEY, ServicesTestStack


def flush_broker(stack: Stack) -> None:
    """BrokerFlush: every message waiting in the broker is gone.

    Services stack: ``FLUSHDB`` of the run's own Redis database, with the run's claim on
    that number written back in the same transaction (no other run can see it empty and
    take it). The workers keep the crews they are running; their messages, the queue's
    routing (kombu's ``_kombu.binding.*``) and the circuit breakers' state are gone.
    Embedded stack: the in-memory queue is purged (the running crews go on as well)."""
    if isinstance(stack, ServicesTestStack):
        number = stack.redis_db
        if number is None or number == 0:
            raise RuntimeError(f"refusing to flush Redis database {number!r}: not the run's own")
        with redis.Redis.from_url(f"{stack.redis_url}/{number}", socket_timeout=10) as client:
            claim = client.get(REDIS_CLAIM_KEY)
            if claim is None:
                raise RuntimeError(f"Redis database {number} holds no claim of this run")
            with client.pipeline(transaction=True) as flush:
                flush.flushdb()
                flush.set(REDIS_CLAIM_KEY, claim)
                flush.execute()
        return
    get_celery().control.purge()
