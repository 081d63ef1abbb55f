"""Named operations on the services stack's PostgreSQL database: take it away, bring it
back (the way Celery's smoke tests keep their faults as operations).

What "the database is down" is here: the suite's **own** database
(``crew_exec_test_<hex>``, made by ``support/stacks/services.py``) stops taking
connections (``ALTER DATABASE ... ALLOW_CONNECTIONS false``, as PostgreSQL does while it
restarts: connecting fails at once) and every connection to it is closed
(``pg_terminate_backend``, as a restart or a failover does to the connections of the
API and the workers). Bringing it back allows connections again. The machine's
PostgreSQL server is shared with other runs: nothing here touches another database, and
the server itself is never stopped. (A private server per scenario, started with
``initdb``/``pg_ctl`` on a port of its own, would need the API and the workers pointed
at it, a stack of its own: seconds per scenario for the same observable fault.)

The suite's own connections (``Database``) are closed by the outage too: they are
thrown away when the database is back.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import text

from ..stacks import Stack, services_stack

NEEDS = "taking the database down needs PostgreSQL (the services stack's own database)"


class DatabaseOutage:
    """The outage of one stack's own database; :meth:`end` is safe to call any time."""

    def __init__(self, stack: Stack) -> None:
        services = services_stack(stack, NEEDS)
        self.stack = services
        self.admin_url = f"{services.postgres_url}/postgres"
        self.name = services.db_name
        self.down_at: float | None = None  # time.monotonic()
        self.back_at: float | None = None

    def _admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5)

    def kill_connections(self) -> int:
        """Close every connection to the suite's own database (none to any other);
        returns how many."""
        with self._admin() as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.name],
            ).fetchall()
        return sum(1 for (done,) in rows if done)

    def begin(self) -> int:
        """The database goes down: no new connection, every open one closed. Returns
        how many connections were closed."""
        with self._admin() as conn:
            conn.execute(
                sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(
                    sql.Identifier(self.name)
                )
            )
        self.down_at = time.monotonic()
        self.back_at = None
        return self.kill_connections()

    def end(self) -> None:
        """The database is back: connections are taken again."""
        with self._admin() as conn:
            conn.execute(
                sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(
                    sql.Identifier(self.name)
                )
            )
        if self.down_at is not None and self.back_at is None:
            self.back_at = time.monotonic()
        with contextlib.suppress(Exception):
            self.stack.database.engine.dispose()  # its pooled connections were closed

    @property
    def is_down(self) -> bool:
        return self.down_at is not None and self.back_at is None

    def seconds_down(self) -> float:
        if self.down_at is None:
            return 0.0
        return (self.back_at or time.monotonic()) - self.down_at


class SchemaBehind:
    """The database one migration behind the code (an operator who deployed without
    running ``execution-service migrate``): Alembic's version row says the revision
    before the head. Only that row changes (the tables stay as they are), on either
    stack; :meth:`end` puts it back."""

    def __init__(self, stack: Stack) -> None:
        self.engine = stack.database.engine
        self.was: str | None = None

    def begin(self) -> str:
        """Returns the revision the database now says it is at."""
        from alembic.script import ScriptDirectory

        from execution_service.store.migrate import alembic_config

        script = ScriptDirectory.from_config(alembic_config("sqlite://"))
        (head,) = script.get_heads()
        before = script.get_revision(head).down_revision
        assert isinstance(before, str), f"the head {head} has no single revision before it"
        with self.engine.begin() as conn:
            self.was = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            conn.execute(_SET_VERSION, {"v": before})
        return before

    def end(self) -> None:
        if self.was is None:
            return
        with self.engine.begin() as conn:
            conn.execute(_SET_VERSION, {"v": self.was})
        self.was = None


_SET_VERSION = text("UPDATE alembic_version SET version_num = :v")
