"""Readiness (``GET /readyz``): may this process take traffic now?

Three checks, each named in the answer:

* ``database``: one round trip (``SELECT 1``);
* ``broker``: one round trip (Redis ``PING``; the embedded in-memory broker always answers);
* ``schema``: the database is at the migrations' head (Alembic's version table against
  the scripts shipped with the package); kept ``readiness_cache_seconds``, since it
  changes only when somebody migrates, and not checked while the database is away.

The database and broker checks run at once in threads of their own, each waited for
``readiness_timeout_seconds`` at most: a server that does not answer makes the check
fail in that time, never hang the probe. A check still running from an earlier call
(its server hangs) is waited on again rather than started twice, so a probe called every
second does not pile threads up. ``/healthz`` stays a liveness check: it reads nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass
from typing import Any

from execution_service.config import get_settings
from execution_service.errors.codes import ErrorCode
from execution_service.messaging.health import ping_broker
from execution_service.service.refusals import ServiceError
from execution_service.store import migrate
from execution_service.store.engine import DatabaseUnavailable, ping

log = logging.getLogger(__name__)

CHECKS = ("database", "broker", "schema")


class NotReady(ServiceError):
    status = 503
    code = ErrorCode.NOT_READY


@dataclass(frozen=True)
class Check:
    """One check's verdict: ``ok``, what is wrong (``detail``) and how long it took."""

    ok: bool
    detail: str | None = None
    ms: float = 0.0


def schema_verdict(database: frozenset[str], head: frozenset[str]) -> Check:
    """Whether a database at revisions ``database`` is at the migrations' ``head``."""
    if database == head:
        return Check(True)
    if not database:
        return Check(False, f"never migrated; the migrations' head is {_names(head)}")
    return Check(False, f"at revision {_names(database)}; the migrations' head is {_names(head)}")


def _names(revisions: frozenset[str]) -> str:
    return ", ".join(sorted(revisions))


class Readiness:
    """The checks of one process (see the module's docstring)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="readiness")
        self._lock = threading.Lock()
        self._pending: dict[str, Future[Check]] = {}
        self._schema: tuple[float, Check] | None = None  # (when, verdict)

    def _start(self, name: str, probe: Callable[[], Check]) -> Future[Check]:
        with self._lock:
            pending = self._pending.get(name)
            if pending is None or pending.done():
                pending = self._pending[name] = self._pool.submit(probe)
            return pending

    def _wait(self, name: str, pending: Future[Check], timeout: float) -> Check:
        try:
            return pending.result(timeout=max(0.0, timeout))
        except FutureTimeout:
            return Check(False, f"no answer within {timeout:g} s", timeout * 1000)

    def check(self) -> dict[str, Any]:
        """Every check's verdict; raises :class:`NotReady` naming the failing ones."""
        settings = get_settings()
        timeout = settings.readiness_timeout_seconds
        started = time.monotonic()
        database = self._start("database", lambda: _timed("database", _no_verdict(ping)))
        broker = self._start(
            "broker", lambda: _timed("broker", _no_verdict(lambda: ping_broker(timeout)))
        )
        checks = {"database": self._wait("database", database, timeout)}
        checks["broker"] = self._wait("broker", broker, timeout - (time.monotonic() - started))
        checks["schema"] = self._schema_check(checks["database"].ok, timeout)
        answer = {"checks": {name: asdict(check) for name, check in checks.items()}}
        failing = [name for name in CHECKS if not checks[name].ok]
        if failing:
            details = "; ".join(f"{name}: {checks[name].detail}" for name in failing)
            raise NotReady(
                f"Not ready: {', '.join(failing)} ({details}).",
                details={"status": "not_ready", "failing": failing, **answer},
            )
        return {"status": "ready", **answer}

    def _schema_check(self, database_ok: bool, timeout: float) -> Check:
        cached = self._schema
        fresh_for = get_settings().readiness_cache_seconds
        if cached is not None and time.monotonic() - cached[0] < fresh_for:
            return cached[1]
        if not database_ok:
            return Check(False, "not checked: the database is unavailable")
        pending = self._start("schema", lambda: _timed("schema", _schema_at_head))
        verdict = self._wait("schema", pending, timeout)
        if verdict.ok or verdict.detail not in _UNKNOWN:
            self._schema = (time.monotonic(), verdict)  # a verdict, not a failure to look
        return verdict


def _no_verdict(probe: Callable[[], None]) -> Callable[[], Check | None]:
    """A probe that passes unless it raises."""

    def run() -> Check | None:
        probe()
        return None

    return run


_UNREACHABLE = "unreachable"
_UNKNOWN = (_UNREACHABLE, None)


def _schema_at_head() -> Check:
    return schema_verdict(migrate.database_revisions(), migrate.head_revisions())


def _timed(name: str, probe: Callable[[], Check | None]) -> Check:
    """``probe``'s verdict (None: passed) with the time it took; an error is a failed
    check whose kind alone is answered (what it was goes to the log)."""
    started = time.monotonic()
    try:
        verdict = probe() or Check(True)
    except DatabaseUnavailable as exc:
        log.warning("readiness: the database is unavailable (%s)", exc)
        verdict = Check(False, _UNREACHABLE)
    except Exception as exc:  # a broker or driver error
        log.warning("readiness: %s check failed: %s: %s", name, type(exc).__name__, exc)
        verdict = Check(False, _UNREACHABLE)
    return Check(verdict.ok, verdict.detail, round((time.monotonic() - started) * 1000, 2))


_readiness: Readiness | None = None
_made = threading.Lock()


def readiness() -> dict[str, Any]:
    """This process's readiness (see :class:`Readiness`)."""
    global _readiness
    with _made:
        if _readiness is None:
            _readiness = Readiness()
    return _readiness.check()
