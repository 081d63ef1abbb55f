"""The threads crews run in, kept for the next attempt instead of started for each one.

Starting a thread costs a hand-over with the new thread (``Thread.start`` waits until it
runs), a noticeable share of a short execution's time in its pool slot. A thread that
ran a crew to its end waits for the next one; each crew runs in a fresh
``contextvars.Context``, as it would in a new thread.

A thread whose crew had to be stopped hard (:meth:`CrewRun.interrupt`, which injects an
exception into it) is never used again: it ends as soon as the crew lets go. Whether
the crew is still running and the injection are decided under the thread's own lock,
so an exception is never injected into a thread that went back to wait for work.
"""

from __future__ import annotations

import contextvars
import ctypes
import functools
import os
import queue
import threading
from collections.abc import Callable

IDLE_KEPT = 4
"""Idle threads a process keeps (a prefork pool child runs one crew at a time)."""


class CrewRun:
    """One crew running in a kept thread: wait for it, or stop it hard."""

    def __init__(self, worker: _CrewThread) -> None:
        self._worker = worker
        self.done = threading.Event()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the crew to end; whether it has."""
        return self.done.wait(timeout)

    def interrupt(self, exception: type[BaseException]) -> bool:
        """Inject ``exception`` into the crew's thread if the crew is still running;
        the thread is then let go (never reused). Returns whether it was injected."""
        return self._worker.interrupt(self, exception)


class _CrewThread(threading.Thread):
    def __init__(self, pool: CrewThreads, number: int) -> None:
        super().__init__(name=f"crew-{number}", daemon=True)
        self._pool = pool
        self._jobs: queue.SimpleQueue[tuple[CrewRun, Callable[[], None]] | None] = (
            queue.SimpleQueue()
        )
        self._state = threading.Lock()  # guards _current and _abandoned
        self._current: CrewRun | None = None
        self._abandoned = False

    def submit(self, run: CrewRun, job: Callable[[], None]) -> None:
        with self._state:
            self._current = run
        self._jobs.put((run, job))

    def interrupt(self, run: CrewRun, exception: type[BaseException]) -> bool:
        with self._state:
            if self._current is not run or self.ident is None:
                return False
            self._abandoned = True
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(self.ident), ctypes.py_object(exception)
            )
            return True

    def run(self) -> None:
        try:
            while True:
                item = self._jobs.get()
                if item is None:
                    return
                run, job = item
                try:
                    contextvars.Context().run(job)
                finally:
                    with self._state:
                        self._current = None
                        abandoned = self._abandoned
                    run.done.set()
                if abandoned or not self._pool._give_back(self):
                    return
        except BaseException:  # an injected stop that came late: the thread just ends
            return

    def stop(self) -> None:
        self._jobs.put(None)


class CrewThreads:
    """Runs crews in kept threads (see the module's docstring)."""

    def __init__(self, idle_kept: int = IDLE_KEPT) -> None:
        self._idle: list[_CrewThread] = []
        self._lock = threading.Lock()
        self._idle_kept = idle_kept
        self._started = 0

    def start(self, job: Callable[[], None]) -> CrewRun:
        """Run ``job`` (which must catch its own exceptions) in a kept or a new thread,
        in a copy of the caller's context (its log fields: ``logs.py``)."""
        job = functools.partial(contextvars.copy_context().run, job)
        with self._lock:
            worker = None
            while self._idle and worker is None:
                worker = self._idle.pop()
                if not worker.is_alive():
                    worker = None
            if worker is None:
                self._started += 1
                worker = _CrewThread(self, self._started)
                fresh = True
            else:
                fresh = False
        run = CrewRun(worker)
        worker.submit(run, job)
        if fresh:
            worker.start()
        return run

    def _give_back(self, worker: _CrewThread) -> bool:
        with self._lock:
            if len(self._idle) >= self._idle_kept:
                return False
            self._idle.append(worker)
            return True

    def reset(self) -> None:
        """Let the idle threads end."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()

    def _forget(self) -> None:
        # in a forked child the parent's threads do not exist (nor does the lock's holder)
        self._lock = threading.Lock()
        self._idle = []


crew_threads = CrewThreads()
os.register_at_fork(after_in_child=crew_threads._forget)
