"""The suite's handle on a stack's store: read-only checks, plus the reset between scenarios.

Both stacks build one from their database URL (SQLite or PostgreSQL). The scenarios read
the service through its API; they come here only for what the API does not show: rows
counted to prove a refused request wrote nothing, every stored column searched for a
secret, the histories of thousands of executions at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import create_engine, func, select, text

from execution_service.store.models import Execution, ExecutionEvent, Graph, IdempotencyKey


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        args: dict[str, Any] = {"timeout": 30} if url.startswith("sqlite") else {}
        self.engine = create_engine(url, connect_args=args)

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(model)).scalar_one()
                for name, model in (
                    ("graphs", Graph),
                    ("executions", Execution),
                    ("events", ExecutionEvent),
                    ("idempotency_keys", IdempotencyKey),
                )
            }

    def stuck(self, statuses: tuple[str, ...] = ("running",)) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(Execution.id).where(Execution.status.in_(statuses)))
            return [str(r.id) for r in rows]

    def histories(self) -> dict[str, list[str]]:
        """The statuses each stored execution went through, in order, by execution id."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(ExecutionEvent.execution_id, ExecutionEvent.to_status).order_by(
                    ExecutionEvent.execution_id, ExecutionEvent.id
                )
            ).all()
        found: dict[str, list[str]] = {}
        for ident, status in rows:
            found.setdefault(str(ident), []).append(status)
        return found

    def first_queued_last_finished(self) -> tuple[datetime, datetime]:
        """When the first stored execution was created, and when the last one finished."""
        with self.engine.connect() as conn:
            first = conn.execute(select(func.min(Execution.created_at))).scalar_one()
            last = conn.execute(select(func.max(Execution.finished_at))).scalar_one()
        return first, last

    def stop_everything(self) -> int:
        """Mark every unfinished execution cancelled, so workers drop or stop it."""
        with self.engine.begin() as conn:
            result = conn.execute(
                text(
                    "UPDATE executions SET status = 'cancelled' "
                    "WHERE status IN ('queued', 'running', 'retrying')"
                )
            )
            return result.rowcount

    def wipe(self) -> None:
        with self.engine.begin() as conn:
            for table in (
                "webhook_deliveries",
                "idempotency_keys",
                "execution_events",
                "execution_metadata",
                "executions",
                "graphs",
                # the metrics' folded totals (store/metric_reads.py)
                "execution_totals",
                "metrics_fold",
            ):
                conn.execute(text(f"DELETE FROM {table}"))

    def dump_execution(self, execution_id: str) -> str:
        """Every stored column of an execution and its history, as text."""
        with self.engine.connect() as conn:
            return _dump(conn, execution_id)

    def close(self) -> None:
        self.engine.dispose()


def _dump(conn: Any, execution_id: str) -> str:
    rows = conn.execute(
        text("SELECT * FROM executions WHERE CAST(id AS TEXT) LIKE :i"),
        {"i": f"%{execution_id.replace('-', '%')}%"},
    ).all()
    events = conn.execute(
        text("SELECT * FROM execution_events WHERE CAST(execution_id AS TEXT) LIKE :i"),
        {"i": f"%{execution_id.replace('-', '%')}%"},
    ).all()
    return repr(rows) + repr(events)
