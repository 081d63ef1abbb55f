"""A run's own PostgreSQL database and Redis database number, and the leftovers of killed
runs: shared by the benchmark's stack (``bench/measured_stack.py``) and the
acceptance suite's services stack.

Every database a run creates carries its owner (pid, host, pid namespace) as a comment,
and every Redis number it claims holds the owner in a marker key set with ``SET NX``;
a later run removes what a dead owner left behind, and never what a live one holds.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any

import psutil
import psycopg
import redis
from psycopg import sql

HOST = socket.gethostname()


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return "-"


OWNER = f"pid={os.getpid()} host={HOST} ns={_pid_namespace()}"


def owner_is_dead(label: str | None) -> bool:
    """True only for a label written on this host, in this pid namespace, by a dead process."""
    if not label:
        return False
    fields = dict(part.split("=", 1) for part in label.split() if "=" in part)
    if fields.get("host") != HOST or fields.get("ns") != _pid_namespace():
        return False
    try:
        return not psutil.pid_exists(int(fields.get("pid", "")))
    except ValueError:
        return False


RedisFor = Callable[[int], redis.Redis]


def drop_database(conn: psycopg.Connection[Any], name: str) -> None:
    """Drop ``name`` (if it exists), first ending the sessions still connected to it."""
    conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        [name],
    )
    force = sql.SQL(" WITH (FORCE)") if conn.info.server_version >= 130000 else sql.SQL("")
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)) + force)


def create_database(conn: psycopg.Connection[Any], name: str, what: str) -> None:
    """Create ``name``, labelled as ``what`` of this process (the sweep reads the label)."""
    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.execute(
        sql.SQL("COMMENT ON DATABASE {} IS {}").format(
            sql.Identifier(name), sql.Literal(f"crew-execution {what} {OWNER}")
        )
    )


def sweep_dead_runs(
    conn: psycopg.Connection[Any],
    redis_for: RedisFor,
    db_prefix: str,
    claim_key: str,
    say: Callable[[str], None],
) -> None:
    """Drop the databases and flush the Redis numbers that killed runs left behind."""
    rows = conn.execute(
        "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
        "WHERE datname LIKE %s",
        [db_prefix.replace("_", r"\_") + "%"],
    ).fetchall()
    for name, label in rows:
        if owner_is_dead(label):
            say(f"dropping {name}, left by a dead run")
            drop_database(conn, name)
    for number in range(1, 16):
        with redis_for(number) as client:
            claim = client.get(claim_key)
            if claim and owner_is_dead(claim.decode()):
                say(f"flushing Redis db {number}, left by a dead run")
                client.flushdb()


def claim_redis_db(redis_for: RedisFor, claim_key: str, token: str, what: str) -> int:
    """The first empty Redis database of 1..15, claimed with SET NX of a marker key."""
    for number in range(1, 16):
        with redis_for(number) as client:
            if client.dbsize() or not client.set(claim_key, token, nx=True):
                continue
            if client.dbsize() == 1:  # nobody else wrote between our look and our claim
                return number
            client.delete(claim_key)
    raise RuntimeError(f"no empty Redis database in 1..15 for the {what}")


def release_redis_db(client: redis.Redis, claim_key: str, token: str) -> None:
    """Flush a claimed Redis database, unless somebody else's claim is in it now."""
    claim = client.get(claim_key)
    if claim is None or (claim.decode() if isinstance(claim, bytes) else claim) == token:
        client.flushdb()
