"""kombu's in-memory transport, serving higher priorities first (for the embedded stack).

kombu's own ``memory://`` transport is first-in, first-out only. This is the same
transport with each queue kept in priority order, with Redis's convention (0 is
served first) and arrival order within a priority, so the embedded stack honours
priorities the way the services stack does on Redis. Select it with the broker URL
``prioritymemory://``.
"""

from __future__ import annotations

import itertools
from queue import Empty, PriorityQueue
from typing import Any

from kombu.transport import TRANSPORT_ALIASES, memory

SCHEME = "prioritymemory"
DEFAULT_PRIORITY = 6


class Channel(memory.Channel):
    queues: dict[str, PriorityQueue[tuple[int, int, Any]]] = {}
    _arrivals = itertools.count()

    def _queue_for(self, queue: str) -> PriorityQueue[tuple[int, int, Any]]:
        if queue not in self.queues:
            self.queues[queue] = PriorityQueue()
        return self.queues[queue]

    def _new_queue(self, queue: str, **kwargs: Any) -> None:
        self._queue_for(queue)

    def _put(self, queue: str, message: Any, **kwargs: Any) -> None:
        priority = message.get("properties", {}).get("priority")
        rank = DEFAULT_PRIORITY if priority is None else int(priority)
        self._queue_for(queue).put((rank, next(self._arrivals), message))

    def _put_fanout(self, exchange: str, message: Any, routing_key: Any = None, **kw: Any) -> None:
        for queue in self._lookup(exchange, routing_key):
            self._put(queue, message)

    def _get(self, queue: str, timeout: float | None = None) -> Any:
        try:
            return self._queue_for(queue).get(block=False)[2]
        except Empty:
            raise Empty() from None


class Transport(memory.Transport):
    Channel = Channel
    driver_type = SCHEME
    driver_name = SCHEME


def register() -> None:
    TRANSPORT_ALIASES.setdefault(SCHEME, f"{__name__}:Transport")
