"""An execution's event stream (server-sent events) and the blocking wait for its end.

Events, oldest first: every status change of the history (``execution.<status>``; a
retry's wait is in its ``details.delay_seconds``; the final one carries the result or
the error and every task's output), and the steps of its running attempts recorded by
the worker (``task.started``, ``task.completed`` with the task's output, ``progress``;
``task.reused`` with the stored output of a task an attempt re-used, not run again).
Each has an id that grows within the execution: ``"<h>"`` for history row ``h``,
``"<h>.<s>"`` for step ``s`` written after it (see ``store/stream_events.py``). A client
that reconnects with the last id it saw (``Last-Event-ID``) gets exactly the events
after it. The stream ends after the final status (or after ``stream_max_seconds``, when
the client reconnects as server-sent events do).

New events are found by one watcher per API process and event loop (:class:`Watcher`):
while anybody follows or waits, it reads the newest history and step ids of every
execution followed in two grouped reads every ``stream_poll_interval`` and wakes the
followers whose execution has new ones; they then read their new events. Nothing holds a
database connection between reads; no stream or wait costs a read while nothing happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from execution_service.config import get_settings
from execution_service.service import executions
from execution_service.service.access import Principal
from execution_service.service.refusals import ExecutionNotFound, InvalidRequest
from execution_service.service.views import execution_view
from execution_service.status import TERMINAL
from execution_service.store.engine import DatabaseUnavailable
from execution_service.store.stream_events import StoredEvents, read_events, read_marks

log = logging.getLogger(__name__)

KEEP_ALIVE = b": keep-alive\n\n"
_TERMINAL = frozenset(status.value for status in TERMINAL)

# --- positions and events (pure) -----------------------------------------------------


@dataclass(frozen=True, order=True)
class Position:
    """Where an event stands in its execution's stream: history row ``history``, and
    step ``step`` written after it (0: the history row itself)."""

    history: int = 0
    step: int = 0

    def event_id(self) -> str:
        return str(self.history) if self.step == 0 else f"{self.history}.{self.step}"


START = Position()
_EVENT_ID = re.compile(r"(\d{1,18})(?:\.(\d{1,18}))?")


def parse_event_id(text: str | None, field: str = "Last-Event-ID") -> Position:
    """The position an event id this service handed out names (none or empty: the
    start); :class:`InvalidRequest` naming ``field`` for anything else."""
    if text is None or not text.strip():
        return START
    found = _EVENT_ID.fullmatch(text.strip())
    if found is None:
        raise InvalidRequest(
            f"{field}: not an event id of this stream ('<number>' or '<number>.<number>')",
            {"field": field},
        )
    return Position(int(found[1]), int(found[2] or 0))


@dataclass(frozen=True)
class Event:
    position: Position
    name: str
    data: dict[str, Any]
    final: bool = False


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def events_of(stored: StoredEvents) -> list[Event]:
    """The stored history rows and steps as events, in stream order; when more steps
    wait beyond those read, only the events up to the last step read (the rest are
    read next time)."""
    execution_id = str(stored.execution.id)
    events: list[Event] = []
    for row in stored.history:
        data: dict[str, Any] = {
            "execution_id": execution_id,
            "status": row.to_status,
            "from_status": row.from_status,
            "attempt": row.attempt,
            "at": _iso(row.at),
            "message": row.message,
            "details": row.details,
        }
        final = row.to_status in _TERMINAL
        if final:
            view = execution_view(stored.execution)
            data.update(result=view["result"], error=view["error"], outputs=view["outputs"])
        events.append(Event(Position(row.id), f"execution.{row.to_status}", data, final))
    for step in stored.steps:
        data = {"execution_id": execution_id, "attempt": step.attempt, "at": _iso(step.at)}
        data.update(step.data)
        events.append(Event(Position(step.after_event, step.id), step.kind, data))
    events.sort(key=lambda event: event.position)
    if stored.more and stored.steps:
        last = stored.steps[-1]
        cut = Position(last.after_event, last.id)
        events = [event for event in events if event.position <= cut]
    return events


def _json(data: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(data)
    except TypeError:  # an integer past 64 bits in a result: the standard library's
        return json.dumps(data, separators=(",", ":")).encode()


def frame(event: Event) -> bytes:
    """One server-sent event: its id, its name, its data as one line of JSON."""
    return (
        b"id: "
        + event.position.event_id().encode()
        + b"\nevent: "
        + event.name.encode()
        + b"\ndata: "
        + _json(event.data)
        + b"\n\n"
    )


# --- the watcher --------------------------------------------------------------------


class Watcher:
    """Wakes the followers of executions with new events (see the module's docstring).

    ``read`` gives the newest (history id, step id) of each execution asked for."""

    def __init__(
        self,
        interval: float,
        read: Callable[[Iterable[uuid.UUID]], dict[uuid.UUID, tuple[int, int]]] = read_marks,
    ) -> None:
        self.interval = interval
        self.read = read
        self.rounds = 0
        self._followers: dict[uuid.UUID, set[asyncio.Event]] = {}
        self._marks: dict[uuid.UUID, tuple[int, int]] = {}
        self._task: asyncio.Task[None] | None = None
        self._unreachable = False

    @contextlib.contextmanager
    def follow(self, execution_id: uuid.UUID) -> Iterator[asyncio.Event]:
        """An event set whenever ``execution_id`` has new events (clear it, then read)."""
        changed = asyncio.Event()
        self._followers.setdefault(execution_id, set()).add(changed)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        try:
            yield changed
        finally:
            followers = self._followers.get(execution_id)
            if followers is not None:
                followers.discard(changed)
                if not followers:
                    del self._followers[execution_id]
                    self._marks.pop(execution_id, None)

    @property
    def followed(self) -> int:
        return len(self._followers)

    async def _run(self) -> None:
        while self._followers:
            ids = list(self._followers)
            try:
                marks = await asyncio.to_thread(self.read, ids)
                self._unreachable = False
            except DatabaseUnavailable as exc:
                if not self._unreachable:
                    log.warning("event streams: the database is unreachable (%s)", exc)
                self._unreachable = True
                marks = None
            self.rounds += 1
            if marks is not None:
                for execution_id in ids:
                    mark = marks.get(execution_id, (0, 0))
                    if self._marks.get(execution_id) != mark:
                        if execution_id in self._followers:
                            self._marks[execution_id] = mark
                        for changed in self._followers.get(execution_id, ()):
                            changed.set()
            await asyncio.sleep(self.interval)


_watchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Watcher] = (
    weakref.WeakKeyDictionary()
)


def watcher() -> Watcher:
    """The watcher of the running event loop (one per API process)."""
    loop = asyncio.get_running_loop()
    found = _watchers.get(loop)
    if found is None:
        found = _watchers[loop] = Watcher(get_settings().stream_poll_interval)
    return found


# --- the stream ---------------------------------------------------------------------


async def _read(execution_id: uuid.UUID, caller: Principal, after: Position) -> StoredEvents:
    stored = await asyncio.to_thread(
        read_events, execution_id, caller.owner, after.history, after.step
    )
    if stored is None:
        raise ExecutionNotFound(f"No execution with id {execution_id}")
    return stored


async def open_stream(
    execution_id: uuid.UUID, caller: Principal, after: Position = START
) -> AsyncIterator[bytes]:
    """The caller's execution's events after ``after`` as server-sent events; the first
    read happens here, so that another owner's (or no) execution is refused
    (:class:`ExecutionNotFound`) before the stream starts."""
    stored = await _read(execution_id, caller, after)
    return _stream(execution_id, caller, after, stored)


async def _stream(
    execution_id: uuid.UUID, caller: Principal, after: Position, stored: StoredEvents | None
) -> AsyncIterator[bytes]:
    settings = get_settings()
    ends_at = time.monotonic() + settings.stream_max_seconds
    with watcher().follow(execution_id) as changed:
        changed.set()  # what came between the first read and following is read again
        while True:
            if stored is None:
                changed.clear()
                stored = await _read(execution_id, caller, after)
            events = events_of(stored)
            more = stored.more
            stored = None
            for event in events:
                yield frame(event)
                after = event.position
                if event.final:
                    return
            if more:
                continue
            while not changed.is_set():
                left = ends_at - time.monotonic()
                if left <= 0:
                    return
                try:
                    await asyncio.wait_for(
                        changed.wait(), min(left, settings.stream_keepalive_seconds)
                    )
                except TimeoutError:
                    if time.monotonic() < ends_at:
                        yield KEEP_ALIVE


# --- the blocking wait ----------------------------------------------------------------


def max_wait_seconds() -> int:
    return get_settings().max_wait_seconds


async def wait_for_end(
    execution_id: uuid.UUID, caller: Principal, seconds: float
) -> dict[str, Any]:
    """The caller's execution's view as soon as it is final, or as it is when
    ``seconds`` have passed."""
    bound = max_wait_seconds()
    if seconds > bound:
        raise InvalidRequest(
            f"wait: at most {bound} seconds (max_wait_seconds)", {"field": "wait", "max": bound}
        )
    ends_at = time.monotonic() + seconds
    with watcher().follow(execution_id) as changed:
        while True:
            changed.clear()
            view = await asyncio.to_thread(executions.get_execution, execution_id, caller)
            left = ends_at - time.monotonic()
            if view["status"] in _TERMINAL or left <= 0:
                return view
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), left)
