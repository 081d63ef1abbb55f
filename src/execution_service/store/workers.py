"""Which workers are online: each worker process records itself every few seconds."""

from __future__ import annotations

import os
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from execution_service.store.engine import read_scope, session_scope
from execution_service.store.models import Worker, utcnow


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


def online(within: float) -> tuple[int, int]:
    """Workers seen in the last ``within`` seconds, and their pool slots in all."""
    since = utcnow() - timedelta(seconds=within)
    with read_scope() as session:
        count, slots = session.execute(
            select(func.count(), func.coalesce(func.sum(Worker.concurrency), 0)).where(
                Worker.last_seen_at >= since
            )
        ).one()
    return int(count), int(slots)
