"""Worker processes as the store sees them: which are online (each records itself every
few seconds), and how a worker process uses its database connections."""

from __future__ import annotations

import os

from sqlalchemy import delete, update

from execution_service.store.engine import (
    ping_only_after_idle,
    reset_engines,
    session_scope,
)
from execution_service.store.models import Worker, utcnow

# a worker's writes run again on a fresh connection when theirs turns out broken
# (engine.write, engine.driver_write): a connection used within the last second is not
# pinged
PING_AFTER_IDLE_SECONDS = 1.0


def use_worker_connections() -> None:
    """This process is a worker: ping a pooled connection at checkout only after it lay
    idle ``PING_AFTER_IDLE_SECONDS`` (a ping is a round trip, and a worker checks
    connections out twice per execution)."""
    ping_only_after_idle(PING_AFTER_IDLE_SECONDS)


def forget_parent_connections() -> None:
    """In a forked pool child: drop the parent's engines without closing its sockets
    (a forked child must not share the parent's database connections)."""
    reset_engines(close=False)


def beat(hostname: str, concurrency: int) -> None:
    now = utcnow()
    with session_scope() as session:
        seen = session.execute(
            update(Worker)
            .where(Worker.hostname == hostname)
            .values(last_seen_at=now, pid=os.getpid(), concurrency=concurrency)
            .returning(Worker.hostname)
        ).first()
        if seen is None:
            session.add(
                Worker(
                    hostname=hostname,
                    pid=os.getpid(),
                    concurrency=concurrency,
                    started_at=now,
                    last_seen_at=now,
                )
            )


def leave(hostname: str) -> None:
    with session_scope() as session:
        session.execute(delete(Worker).where(Worker.hostname == hostname))
