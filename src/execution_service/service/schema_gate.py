"""Whether this process's database has the schema the code needs, as the API asks it:
an API started on a database that was never migrated (or is behind, after an upgrade)
answers every ``/api/v1`` request 503 ``SCHEMA_NOT_MIGRATED`` naming
``execution-service migrate``, never a 500 (``no such table``).

What it costs: the schema is looked at (Alembic's version row against the migrations
shipped with the package: one indexed read) on the first request only; while it is not
at the head, again at most every ``recheck_seconds`` (the answers in between use the
verdict kept), so running ``execution-service migrate`` lets the API serve within that
time, without a restart. Once it is at the head it is never looked at again: the check
per request is one attribute read. A schema that goes missing afterwards (a table
dropped by hand) is caught where the database says so (``store/engine.py``:
:class:`~execution_service.store.engine.SchemaOutOfDate`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from execution_service.errors.codes import ErrorCode
from execution_service.service.readiness import Check, schema_verdict
from execution_service.service.refusals import ServiceError
from execution_service.store import migrate

MIGRATE = "execution-service migrate"


class SchemaNotMigrated(ServiceError):
    status = 503
    code = ErrorCode.SCHEMA_NOT_MIGRATED


def not_migrated(detail: str) -> SchemaNotMigrated:
    return SchemaNotMigrated(
        f"The database does not have the schema this version of the service needs "
        f"({detail}): run `{MIGRATE}`, then try again.",
        details={"run": MIGRATE, "schema": detail},
    )


def _look() -> Check:
    return schema_verdict(migrate.database_revisions(), migrate.head_revisions())


class SchemaGate:
    """See the module's docstring. ``look`` raises
    :class:`~execution_service.store.engine.DatabaseUnavailable` when the database
    cannot be reached (no verdict is kept then)."""

    def __init__(
        self,
        recheck_seconds: float = 5.0,
        look: Callable[[], Check] = _look,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.recheck_seconds = recheck_seconds
        self._look = look
        self._clock = clock
        self._lock = threading.Lock()
        self.at_head = False
        self._kept: tuple[float, Check] | None = None  # (look again after, verdict)

    def require(self) -> None:
        """Return when the schema is at the head; else raise :class:`SchemaNotMigrated`."""
        if self.at_head:
            return
        with self._lock:
            kept = self._kept
            if kept is None or self._clock() >= kept[0]:
                verdict = self._look()
                kept = self._kept = (self._clock() + self.recheck_seconds, verdict)
            if kept[1].ok:
                self.at_head = True
                return
        raise not_migrated(kept[1].detail or "unknown")
