"""Who is calling: API keys (made, listed, revoked by the operator) and the principal a
request's key stands for.

A principal is an owner (a tenant), plus whether its key is an operator's (``admin``).
What an owner's keys create belongs to that owner, and only that owner's keys see it.

Looking a key up is one indexed read; the answer is kept for ``auth_cache_seconds``
(default 2 s) per API process, so a busy client costs one read every two seconds, and a
revoked key stops working within that time everywhere. Unknown keys are not kept: a key
made a moment ago works at once.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid
from dataclasses import dataclass

from execution_service.config import get_settings
from execution_service.store import api_keys
from execution_service.store.api_keys import KeyRow
from execution_service.store.models import LOCAL_OWNER

KEY_PREFIX = "cex_"
OWNER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$"


@dataclass(frozen=True)
class Principal:
    owner: str
    admin: bool = False


LOCAL = Principal(LOCAL_OWNER, admin=True)
"""Every caller, when the operator turned authentication off (``EXEC_AUTH=disabled``)."""


@dataclass(frozen=True)
class NewKey:
    """A key just made: ``secret`` is shown this once and never stored."""

    secret: str
    row: KeyRow


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(owner: str, admin: bool = False, name: str | None = None) -> NewKey:
    """A new key for ``owner`` (the owner is made if new)."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    row = api_keys.insert_key(owner, digest(secret), secret[:12], name, admin)
    return NewKey(secret, row)


def list_keys(owner: str | None = None) -> list[KeyRow]:
    return api_keys.list_keys(owner)


def revoke_key(key_id: uuid.UUID) -> KeyRow | None:
    row = api_keys.revoke_key(key_id)
    forget_keys()
    return row


_known: dict[str, tuple[Principal, float]] = {}
_known_lock = threading.Lock()
KEPT = 10_000  # keys remembered per process, at most


def _remembered(key: str) -> Principal | None:
    known = _known.get(key)
    if known is not None and known[1] > time.monotonic():
        return known[0]
    return None


def recently_seen(secret: str) -> Principal | None:
    """The principal of a key looked up less than ``auth_cache_seconds`` ago (no database
    read); None otherwise."""
    return _remembered(digest(secret))


def authenticate(secret: str) -> Principal | None:
    """The principal the key ``secret`` stands for; None for an unknown or revoked key."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        return None
    key = digest(secret)  # once: the remembered keys and the stored ones are by digest
    principal = _remembered(key)
    if principal is not None:
        return principal
    now = time.monotonic()
    row = api_keys.find_live_key(key)
    if row is None:
        with _known_lock:
            _known.pop(key, None)
        return None
    principal = Principal(row.owner, row.admin)
    with _known_lock:
        if len(_known) >= KEPT:
            _known.clear()
        _known[key] = (principal, now + get_settings().auth_cache_seconds)
    return principal


def forget_keys() -> None:
    """Look every key up again on its next use (after a revocation in this process)."""
    with _known_lock:
        _known.clear()
