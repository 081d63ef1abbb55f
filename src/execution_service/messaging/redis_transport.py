"""kombu's Redis transport, with one Redis client per channel instead of one per command.

kombu's Redis channel makes a new ``redis.Redis`` client for every publish and every
acknowledgement (``Channel.conn_or_acquire``). With redis-py 8 that costs more CPU
than the command itself: each client builds a dictionary of about 170 response
callbacks, about 0.17 ms of the 0.4 ms a publish costs. A ``redis.Redis`` client is
safe to share between threads (every command borrows a connection from the pool), so
this channel makes one per connection pool and reuses it. Messages, keys, priorities
and acknowledgements are kombu's own, unchanged.

``make_celery`` uses it for ``redis://`` and ``rediss://`` brokers, in the API, the
workers and the benchmark's raw Celery baseline alike.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _sync_client: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:
            return super()._create_client(asynchronous=True)
        client = self._sync_client
        if client is None or client.connection_pool is not self.pool:
            client = self._sync_client = super()._create_client()
        return client


class Transport(kombu_redis.Transport):
    Channel = Channel


TRANSPORT = f"{__name__}:Transport"
