"""A circuit breaker per model provider, its state shared by every worker process.

Why not pybreaker: it runs every protected call under one process-wide lock
(a crew attempt lasting minutes would block every other crew in that worker),
and its Redis storage reads and writes the state in separate commands, so two
workers can both take the half-open trial. Here each decision is one atomic
step: a Lua script on Redis (services stack) or a lock in memory (embedded).

States: ``closed`` (calls go through; consecutive provider failures are
counted), ``open`` (calls fail fast with ``CIRCUIT_OPEN`` until the cool-down
has passed), ``half_open`` (exactly one trial call is let through; its success
closes the circuit, its failure opens it again). A trial that ends without a
verdict (cancelled, or a non-provider error) hands the trial to the next call.

A call let through a closed circuit with no failures counted (``Decision.clean``)
need not report its success: the success would change nothing it saw, so the
caller skips that round trip. (Failures another worker counted while it ran are
then reset by the next call that saw them, not by this one.)
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlparse

from execution_service.config import Settings, get_settings
from execution_service.graph import GraphSpec


@dataclass(frozen=True)
class Decision:
    allowed: bool
    trial: bool = False
    retry_in: float = 0.0
    clean: bool = False
    """Closed with no failures counted when acquired: a success need not be reported."""


@dataclass(frozen=True)
class BreakerState:
    name: str
    state: str
    failures: int
    retry_in: float | None


class Breaker(Protocol):
    def acquire(self, name: str) -> Decision: ...
    def success(self, name: str, trial: bool) -> None: ...
    def failure(self, name: str, trial: bool) -> None: ...
    def release(self, name: str, trial: bool) -> None: ...
    def states(self) -> list[BreakerState]: ...
    def reset(self, name: str | None = None) -> bool: ...


@dataclass
class _Circuit:
    state: str = "closed"
    failures: int = 0
    opened_at: float = 0.0
    trial_until: float = 0.0


class MemoryBreaker:
    """For one process (the embedded stack)."""

    def __init__(self, threshold: int, cooldown: float, lease: float) -> None:
        self.threshold, self.cooldown, self.lease = threshold, cooldown, lease
        self._circuits: dict[str, _Circuit] = {}
        self._lock = threading.Lock()

    def acquire(self, name: str) -> Decision:
        now = time.time()
        with self._lock:
            c = self._circuits.setdefault(name, _Circuit())
            if c.state == "closed":
                return Decision(True, clean=c.failures == 0)
            if c.state == "open":
                if now < c.opened_at + self.cooldown:
                    return Decision(False, retry_in=c.opened_at + self.cooldown - now)
                c.state, c.trial_until = "half_open", now + self.lease
                return Decision(True, trial=True)
            if now >= c.trial_until:
                c.trial_until = now + self.lease
                return Decision(True, trial=True)
            return Decision(False, retry_in=self.cooldown)

    def success(self, name: str, trial: bool) -> None:
        with self._lock:
            c = self._circuits.setdefault(name, _Circuit())
            if trial or c.state == "closed":
                self._circuits[name] = _Circuit()

    def failure(self, name: str, trial: bool) -> None:
        now = time.time()
        with self._lock:
            c = self._circuits.setdefault(name, _Circuit())
            if c.state == "half_open":
                if trial:
                    c.state, c.opened_at = "open", now
            elif c.state == "closed":
                c.failures += 1
                if c.failures >= self.threshold:
                    c.state, c.opened_at = "open", now

    def release(self, name: str, trial: bool) -> None:
        with self._lock:
            c = self._circuits.get(name)
            if trial and c is not None and c.state == "half_open":
                c.state, c.opened_at = "open", time.time() - self.cooldown

    def states(self) -> list[BreakerState]:
        now = time.time()
        with self._lock:
            return [
                BreakerState(
                    name,
                    c.state,
                    c.failures,
                    max(0.0, c.opened_at + self.cooldown - now) if c.state == "open" else None,
                )
                for name, c in sorted(self._circuits.items())
            ]

    def reset(self, name: str | None = None) -> bool:
        with self._lock:
            if name is None:
                self._circuits.clear()
                return True
            return self._circuits.pop(name, None) is not None


_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) + tonumber(t[2]) / 1000000 "

_ACQUIRE = (
    _NOW
    + """
local cooldown, lease = tonumber(ARGV[1]), tonumber(ARGV[2])
local found = redis.call('HMGET', KEYS[1], 'state', 'failures')
local state = found[1] or 'closed'
if state == 'closed' then
  if tonumber(found[2] or '0') == 0 then return {1, 0, '0', 1} end
  return {1, 0, '0', 0}
end
if state == 'open' then
  local opened = tonumber(redis.call('HGET', KEYS[1], 'opened_at') or '0')
  if now < opened + cooldown then return {0, 0, tostring(opened + cooldown - now)} end
  redis.call('HSET', KEYS[1], 'state', 'half_open', 'trial_until', tostring(now + lease))
  return {1, 1, '0'}
end
local trial_until = tonumber(redis.call('HGET', KEYS[1], 'trial_until') or '0')
if now >= trial_until then
  redis.call('HSET', KEYS[1], 'trial_until', tostring(now + lease))
  return {1, 1, '0'}
end
return {0, 0, tostring(cooldown)}
"""
)

_FAILURE = (
    _NOW
    + """
local threshold, trial = tonumber(ARGV[1]), ARGV[2] == '1'
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'half_open' then
  if trial then redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', tostring(now)) end
  return state
end
if state == 'open' then return state end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if failures >= threshold then
  redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', tostring(now))
  return 'open'
end
redis.call('HSET', KEYS[1], 'state', 'closed')
return 'closed'
"""
)

_SUCCESS = """
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if ARGV[1] == '1' or state == 'closed' then
  redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', 0, 'opened_at', 0, 'trial_until', 0)
end
return state
"""

_RELEASE = (
    _NOW
    + """
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if ARGV[2] == '1' and state == 'half_open' then
  redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', tostring(now - tonumber(ARGV[1])))
end
return state
"""
)


class RedisBreaker:
    """Shared by every worker that talks to the same Redis."""

    def __init__(
        self,
        url: str,
        threshold: int,
        cooldown: float,
        lease: float,
        prefix: str = "crew-exec:breaker:",
    ) -> None:
        import redis

        self.client: Any = redis.Redis.from_url(url, socket_timeout=5)
        self.threshold, self.cooldown, self.lease = threshold, cooldown, lease
        self.prefix = prefix
        self._acquire = self.client.register_script(_ACQUIRE)
        self._failure = self.client.register_script(_FAILURE)
        self._success = self.client.register_script(_SUCCESS)
        self._release = self.client.register_script(_RELEASE)

    def _key(self, name: str) -> str:
        return self.prefix + name

    def acquire(self, name: str) -> Decision:
        allowed, trial, retry_in, *clean = self._acquire(
            keys=[self._key(name)], args=[self.cooldown, self.lease]
        )
        return Decision(bool(allowed), bool(trial), float(retry_in), bool(clean and clean[0]))

    def success(self, name: str, trial: bool) -> None:
        self._success(keys=[self._key(name)], args=[int(trial)])

    def failure(self, name: str, trial: bool) -> None:
        self._failure(keys=[self._key(name)], args=[self.threshold, int(trial)])

    def release(self, name: str, trial: bool) -> None:
        self._release(keys=[self._key(name)], args=[self.cooldown, int(trial)])

    def states(self) -> list[BreakerState]:
        now = time.time()
        found = []
        for key in sorted(self.client.scan_iter(match=self.prefix + "*", count=100)):
            raw = {k.decode(): v.decode() for k, v in self.client.hgetall(key).items()}
            state = raw.get("state", "closed")
            opened = float(raw.get("opened_at", 0) or 0)
            found.append(
                BreakerState(
                    key.decode().removeprefix(self.prefix),
                    state,
                    int(raw.get("failures", 0) or 0),
                    max(0.0, opened + self.cooldown - now) if state == "open" else None,
                )
            )
        return found

    def reset(self, name: str | None = None) -> bool:
        if name is not None:
            return bool(self.client.delete(self._key(name)))
        keys = list(self.client.scan_iter(match=self.prefix + "*", count=100))
        return bool(self.client.delete(*keys)) if keys else True


def make_breaker(settings: Settings) -> Breaker:
    url = settings.breaker_url or settings.broker_url
    threshold = settings.breaker_failure_threshold
    cooldown = settings.breaker_cooldown_seconds
    lease = settings.breaker_trial_lease_seconds
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBreaker(url, threshold, cooldown, lease)
    return MemoryBreaker(threshold, cooldown, lease)


_breakers: dict[int, Breaker] = {}


def get_breaker() -> Breaker:
    settings = get_settings()
    key = id(settings)
    if key not in _breakers:
        _breakers.clear()
        _breakers[key] = make_breaker(settings)
    return _breakers[key]


def provider_of(spec: GraphSpec) -> str:
    """The circuit a graph's provider calls go through: one per provider endpoint."""
    for agent in spec.agents:
        if agent.llm is not None:
            if agent.llm.base_url:
                parsed = urlparse(agent.llm.base_url)
                return f"{parsed.hostname}:{parsed.port or ''}".rstrip(":")
            return agent.llm.model.split("/")[0]
    return "default"
