"""A crowd: several simulated users calling the API at once, each timing every call.

Each user is a thread with an HTTP client of its own (a keep-alive connection), so
users really overlap. A user is a function of its client and the shared
:class:`Timings`; it times each call with :meth:`Timings.timed` under a kind
("queue", "status", ...). A failure in any user stops nobody else: every failure is
collected and reported together when all users are done.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from harness.percentiles import percentile

from .client import ApiClient

T = TypeVar("T")
User = Callable[[ApiClient, "Timings"], None]


@dataclass
class Timings:
    """What a crowd of users measured: seconds per call, by kind, and what went wrong."""

    calls: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, kind: str, call: Callable[[], T]) -> T:
        start = time.perf_counter()
        result = call()
        spent = time.perf_counter() - start
        with self.lock:
            self.calls[kind].append(spent)
        return result

    def fail(self, what: str) -> None:
        with self.lock:
            self.failures.append(what)

    def count(self, kind: str) -> int:
        return len(self.calls.get(kind, []))

    def rate(self, kind: str) -> float:
        """Calls of ``kind`` per second of the crowd's whole run."""
        return self.count(kind) / self.elapsed if self.elapsed else 0.0

    def ms(self, kind: str, pct: float) -> float:
        return 1000 * percentile(self.calls[kind], pct)

    def figures(self, *kinds: str) -> dict[str, Any]:
        """Count, rate and p50/p95/p99/max in milliseconds for each kind."""
        found: dict[str, Any] = {"seconds": round(self.elapsed, 3)}
        for kind in kinds or tuple(self.calls):
            values = self.calls.get(kind, [])
            found[f"{kind}_count"] = len(values)
            if not values:
                continue
            found[f"{kind}_per_second"] = round(self.rate(kind), 1)
            for pct in (50, 95, 99):
                found[f"{kind}_p{pct}_ms"] = round(self.ms(kind, pct), 2)
            found[f"{kind}_max_ms"] = round(1000 * max(values), 2)
        return found


class Tickets:
    """Hands out 0..total-1 once each to whichever user asks next."""

    def __init__(self, total: int) -> None:
        self.total = total
        self._next = 0
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[int]:
        while True:
            with self._lock:
                if self._next >= self.total:
                    return
                ticket = self._next
                self._next += 1
            yield ticket


def crowd(
    api: ApiClient,
    users: list[User],
    timeout: float = 300.0,
    clients: list[ApiClient] | None = None,
) -> Timings:
    """Run every user in a thread of its own, all at once; wait for all of them.

    ``clients``: one per user, connected already (to spread users over an API's
    processes); by default each user connects a client of its own, for the owner ``api``
    acts for."""
    timings = Timings()
    ready = threading.Barrier(len(users) + 1)
    given = iter(clients or [])

    def run(user: User, api: ApiClient) -> None:
        try:
            api.healthy()  # open the connection before the start line
            ready.wait()
            user(api, timings)
        except Exception as exc:
            timings.fail(f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}")
        finally:
            api.http.close()

    threads = [
        threading.Thread(
            target=run,
            args=(user, next(given, None) or api.same_owner()),
            name=f"user-{i}",
            daemon=True,
        )
        for i, user in enumerate(users)
    ]
    for thread in threads:
        thread.start()
    ready.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join(max(0.0, start + timeout - time.perf_counter()))
    timings.elapsed = time.perf_counter() - start
    if alive := [t.name for t in threads if t.is_alive()]:
        timings.fail(f"{len(alive)} users still busy after {timeout:g} s: {alive[:4]}")
    return timings
