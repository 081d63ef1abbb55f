"""A worker told to stop (SIGTERM, Celery's warm shutdown) within a grace period.

When a worker is asked to stop, its running crews get ``worker_shutdown_grace_seconds``
to finish. A crew still running then is asked to stop (and stopped hard after
``stop_grace_seconds``, as a cancelled one is), and its execution is **handed back**: its
attempt is released (not counted, no error recorded) and a message is queued for it, so
another worker starts it again at once, without waiting for the heartbeat timeout.
Nothing is left running.

Who learns of the stop, and how (``worker/tasks.py`` connects these):

* the worker's main process gets Celery's ``worker_shutting_down`` signal; it starts the
  grace period here (crews of the ``threads`` and ``solo`` pools run in that process)
  and sends SIGTERM to its prefork pool processes;
* a prefork pool process that gets SIGTERM (from its main process, or from a signal
  sent to the whole process group, as ``systemd`` and ``kill -- -PGID`` do) starts the
  grace period when it is running a task; an idle one ends at once, as before (Celery
  restores SIGTERM's default in pool processes), so a pool with nothing to finish stops
  without delay.

:class:`Shutdown` is the clock (pure, no signals: the unit tests drive it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Shutdown:
    """When a stop was asked for, and when running crews must be handed back."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._hand_back_at: float | None = None
        self._tasks = 0

    def begin(self, grace: float) -> None:
        """A stop was asked for: crews still running ``grace`` seconds from now are handed
        back. Asking again changes nothing (the first deadline holds)."""
        with self._lock:
            if self._hand_back_at is None:
                self._hand_back_at = self._clock() + max(0.0, grace)

    @property
    def stopping(self) -> bool:
        return self._hand_back_at is not None

    def hand_back_due(self) -> bool:
        """Whether a crew still running now must be stopped and handed back."""
        at = self._hand_back_at
        return at is not None and self._clock() >= at

    def seconds_left(self) -> float | None:
        """Seconds until the hand-back; None when no stop was asked for."""
        at = self._hand_back_at
        return None if at is None else max(0.0, at - self._clock())

    def task_started(self) -> None:
        with self._lock:
            self._tasks += 1

    def task_ended(self) -> None:
        with self._lock:
            self._tasks = max(0, self._tasks - 1)

    @property
    def busy(self) -> bool:
        """Whether this process is running a task now."""
        return self._tasks > 0

    def reset(self) -> None:
        """Forget the stop (a forked pool process starts afresh)."""
        with self._lock:
            self._hand_back_at = None
            self._tasks = 0


shutdown = Shutdown()
"""This process's (each prefork pool process has its own)."""
