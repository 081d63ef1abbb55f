"""Owners and their API keys: create, list, revoke, and look a key up by its digest.

A key is stored only as its SHA-256 digest; the key itself is shown once, when it is
made. Keys are 256 random bits, so a fast digest is enough (no password hashing: there is
nothing to guess), and one indexed read finds the key a request carries.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from execution_service.store.engine import read_scope, session_scope
from execution_service.store.models import ApiKey, Owner, utcnow


@dataclass(frozen=True)
class KeyRow:
    """A key as an operator sees it (never its secret)."""

    id: uuid.UUID
    owner: str
    prefix: str
    name: str | None
    admin: bool
    created_at: datetime
    revoked_at: datetime | None


def _row(key: ApiKey) -> KeyRow:
    return KeyRow(
        key.id, key.owner, key.prefix, key.name, key.admin, key.created_at, key.revoked_at
    )


def _ensure(session: Session, owner: str) -> None:
    if session.get(Owner, owner) is None:
        session.add(Owner(name=owner))
        session.flush()


def ensure_owner(owner: str) -> None:
    """Make the owner ``owner`` exist."""
    with session_scope() as session:
        _ensure(session, owner)


def set_owner_limit(owner: str, max_active: int | None) -> bool:
    """Set (or clear, with None) an owner's limit of active executions; False if there
    is no such owner."""
    with session_scope() as session:
        found = session.get(Owner, owner)
        if found is None:
            return False
        found.max_active_executions = max_active
        return True


def owners() -> list[tuple[str, int | None]]:
    """Every owner and its own limit of active executions (None: the setting's)."""
    with read_scope() as session:
        rows = session.execute(
            select(Owner.name, Owner.max_active_executions).order_by(Owner.name)
        ).all()
    return [(name, limit) for name, limit in rows]


def insert_key(owner: str, digest: str, prefix: str, name: str | None, admin: bool) -> KeyRow:
    """Store a key's digest for ``owner`` (made if new)."""
    with session_scope() as session:
        _ensure(session, owner)
        key = ApiKey(owner=owner, digest=digest, prefix=prefix, name=name, admin=admin)
        session.add(key)
        session.flush()
        return _row(key)


def list_keys(owner: str | None = None) -> list[KeyRow]:
    """The keys (of ``owner``, or of everyone), oldest first, revoked ones included."""
    query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
    if owner is not None:
        query = query.where(ApiKey.owner == owner)
    with read_scope() as session:
        return [_row(key) for key in session.scalars(query)]


def revoke_key(key_id: uuid.UUID) -> KeyRow | None:
    """Revoke a key (kept, marked revoked); None when there is no such key."""
    with session_scope() as session:
        session.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        key = session.get(ApiKey, key_id)
        return None if key is None else _row(key)


def find_live_key(digest: str) -> KeyRow | None:
    """The unrevoked key with this digest, or None."""
    with read_scope() as session:
        key = session.scalars(
            select(ApiKey).where(ApiKey.digest == digest, ApiKey.revoked_at.is_(None))
        ).first()
        return None if key is None else _row(key)
