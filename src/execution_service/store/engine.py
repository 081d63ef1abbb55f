"""Engine and session set-up for SQLite (embedded) and PostgreSQL (services)."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import orjson
from sqlalchemy import JSON, Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from execution_service.config import get_settings

log = logging.getLogger(__name__)
T = TypeVar("T")

_ping_after_idle = 0.0  # seconds; 0: every checkout (pool_pre_ping)


class DatabaseUnavailable(Exception):
    """The database cannot be reached: it is down or restarting, refuses connections, or
    the connection was lost in the middle of the work. Raised by every helper here
    (:func:`session_scope`, :func:`read_scope`, :func:`read`, :func:`write`,
    :func:`driver_write`) in place of the driver's error, so that the layers above
    (which never import SQLAlchemy) can answer 503 or try again later. A bad statement,
    a constraint or a data error is never translated: those are bugs or refusals."""


class SchemaOutOfDate(Exception):
    """A table or column the code uses is missing: the database was not migrated to the
    schema of this version (``execution-service migrate``). Raised in place of the
    driver's error by the same helpers as :class:`DatabaseUnavailable`."""


# SQLite says it in words; PostgreSQL with its SQLSTATE (undefined_table, undefined_column)
_MISSING_SCHEMA_WORDS = ("no such table", "no such column")
_MISSING_SCHEMA_STATES = ("42P01", "42703")


def lacks_schema(exc: BaseException) -> bool:
    """Whether the database answered that a table or column does not exist."""
    orig = getattr(exc, "orig", None) or exc
    if getattr(orig, "sqlstate", None) in _MISSING_SCHEMA_STATES:
        return True
    text = str(orig).lower()
    return type(orig).__name__ == "OperationalError" and any(
        words in text for words in _MISSING_SCHEMA_WORDS
    )


# when (time.monotonic()) this process last found the database unreachable
_last_unavailable_at: float | None = None


def unavailable_within(seconds: float) -> bool:
    """Whether this process found the database unreachable in the last ``seconds``."""
    last = _last_unavailable_at
    return last is not None and time.monotonic() - last < seconds


def is_unavailable(exc: BaseException, sqlite: bool = False) -> bool:
    """Whether ``exc`` (SQLAlchemy's, or the driver's own) says the database cannot be
    reached rather than that the work was wrong: a connection that could not be made or
    was lost (``OperationalError``, ``InterfaceError``, an invalidated connection, a
    failed ping). On SQLite only a lock held past the busy timeout: its other
    ``OperationalError`` (no such table, a syntax error) are bugs."""
    if isinstance(exc, DisconnectionError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        if sqlite:
            return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)
        return isinstance(exc, (OperationalError, InterfaceError))
    # a driver's own exception (driver_write): DB-API names, whatever the driver
    names = {cls.__name__ for cls in type(exc).__mro__}
    return not sqlite and bool(names & {"OperationalError", "InterfaceError"})


def unavailable(exc: BaseException) -> DatabaseUnavailable:
    """``exc`` translated (the caller raises it ``from exc``); records when it happened."""
    global _last_unavailable_at
    _last_unavailable_at = time.monotonic()
    first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return DatabaseUnavailable(f"{type(exc).__name__}: {first[0] if first else ''}")


def ping_only_after_idle(seconds: float) -> None:
    """Ping a pooled PostgreSQL connection at checkout only when it lay idle ``seconds``
    or more; one used more recently is handed out as it is (a ping is a round trip, and
    a worker checks connections out twice per execution). A connection that died in
    between fails its first statement, which invalidates the whole pool: :func:`write`
    and :func:`driver_write` run their work again on a fresh connection then. Workers
    opt in (``worker.tasks``); elsewhere every checkout is pinged."""
    global _ping_after_idle
    _ping_after_idle = seconds


# a connection of the autocommit engine (whose every user runs its work again on a fresh
# connection when the one it got was broken) is pinged only after lying idle this long
AUTOCOMMIT_PING_AFTER_IDLE = 1.0


def make_engine(url: str, autocommit: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    # a server that does not answer is given up on after this long (libpq's own timeout)
    timeout = {"connect_timeout": max(1, round(get_settings().database_connect_timeout))}
    if autocommit:
        # autocommit for good, set once per connection: no isolation level set and reset
        # at every checkout, and nothing to roll back when a connection is returned
        engine = create_engine(
            url,
            connect_args=timeout,
            pool_size=10,
            max_overflow=20,
            pool_use_lifo=True,
            isolation_level="AUTOCOMMIT",
            pool_reset_on_return=None,
        )
        _ping_idle_connections(engine, lambda: AUTOCOMMIT_PING_AFTER_IDLE)
        return engine
    # LIFO: the connection used last goes out first, so the few a process needs stay warm
    engine = create_engine(
        url, connect_args=timeout, pool_size=10, max_overflow=20, pool_use_lifo=True
    )
    _ping_idle_connections(engine, lambda: _ping_after_idle)
    return engine


def _ping_idle_connections(engine: Engine, idle_seconds: Callable[[], float]) -> None:
    """``pool_pre_ping``, or only for connections idle ``idle_seconds()`` or more."""

    @event.listens_for(engine, "connect")
    def _on_connect(_dbapi_conn: Any, record: Any) -> None:
        record.info["used_at"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info["used_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        used_at = record.info.get("used_at")
        if used_at is not None and time.monotonic() - used_at < idle_seconds():
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("the connection did not answer a ping") from exc


def _configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, and BEGIN IMMEDIATE for writes.

    pysqlite's own transaction handling is switched off so that a write
    transaction takes the write lock up front instead of failing later with
    "database is locked" when it upgrades from a read.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get("readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


_engines: dict[str, Engine] = {}
_sessionmakers: dict[tuple[str, bool], sessionmaker[Session]] = {}


def _engine_for(url: str) -> Engine:
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = make_engine(url)
    return engine


def _sessionmaker_for(url: str, readonly: bool) -> sessionmaker[Session]:
    key = (url, readonly)
    factory = _sessionmakers.get(key)
    if factory is None:
        engine = _engine_for(url)
        bind = engine
        if readonly:
            # PostgreSQL reads run in autocommit: no BEGIN and COMMIT round trips around
            # them (each statement sees its own snapshot)
            options = {} if url.startswith("sqlite") else {"isolation_level": "AUTOCOMMIT"}
            bind = engine.execution_options(readonly=True, **options)
        factory = _sessionmakers[key] = sessionmaker(bind=bind, expire_on_commit=False)
    return factory


# SQLite has one writer at a time; a writer that finds the lock taken sleeps and retries
# with growing sleeps (up to 100 ms each), so under many writers some wait far longer
# than the lock is held. The threads of one process queue on this lock instead.
_sqlite_writer = threading.RLock()


@contextmanager
def _translated(url: str) -> Iterator[None]:
    """Driver errors that say the database cannot be reached become
    :class:`DatabaseUnavailable`, those saying a table or column is missing
    :class:`SchemaOutOfDate`; every other error passes unchanged."""
    try:
        yield
    except (DBAPIError, DisconnectionError) as exc:
        if lacks_schema(exc):
            raise SchemaOutOfDate(str(getattr(exc, "orig", None) or exc)) from exc
        if not is_unavailable(exc, url.startswith("sqlite")):
            raise
        raise unavailable(exc) from exc


@contextmanager
def session_scope() -> Iterator[Session]:
    """A write transaction: commits on success, rolls back on error; raises
    :class:`DatabaseUnavailable` when the database cannot be reached."""
    url = get_settings().database_url
    with _translated(url), contextlib.ExitStack() as stack:
        if url.startswith("sqlite"):
            stack.enter_context(_sqlite_writer)
        session = stack.enter_context(_sessionmaker_for(url, False)())
        stack.enter_context(session.begin())
        yield session


@contextmanager
def read_scope() -> Iterator[Session]:
    """A read-only scope: on SQLite a read transaction (never takes the write lock), on
    PostgreSQL autocommit reads; raises :class:`DatabaseUnavailable` when the database
    cannot be reached."""
    url = get_settings().database_url
    with _translated(url), _sessionmaker_for(url, True)() as session, session.begin():
        yield session


def _autocommit_engine(url: str) -> Engine:
    """PostgreSQL connections in autocommit, pooled apart from the transactional ones."""
    key = f"{url}#autocommit"
    engine = _engines.get(key)
    if engine is None:
        engine = _engines[key] = make_engine(url, autocommit=True)
    return engine


def _retried(work: Callable[[Connection], T], sqlite_scope: Callable[[], Any]) -> T:
    """``work`` on an autocommit connection (PostgreSQL) or in ``sqlite_scope`` (SQLite),
    once more on a fresh connection when the one it got turns out to be broken."""
    url = get_settings().database_url
    if url.startswith("sqlite"):
        with sqlite_scope() as session:  # translates its own errors
            return work(session.connection())
    with _translated(url):
        for tries in (1, 2):
            try:
                with _autocommit_engine(url).connect() as conn:
                    return work(conn)
            except DBAPIError as exc:
                if tries == 2 or not exc.connection_invalidated:
                    raise
                log.warning("the database connection was lost (%s); trying again", exc.orig)
    raise AssertionError("unreachable")


def read(work: Callable[[Connection], T]) -> T:
    """Run ``work``'s reads: on PostgreSQL in autocommit, on SQLite in a read transaction.
    Like :func:`write`, ``work`` runs once more on a fresh connection when the one it got
    turns out to be broken."""
    return _retried(work, read_scope)


def write(work: Callable[[Connection], T]) -> T:
    """Run ``work``'s writes: on PostgreSQL in autocommit (each statement commits by
    itself, with no BEGIN and COMMIT round trips: for work that is one statement, or
    compare-and-set statements that need not commit together), on SQLite in a write
    transaction. When the connection turns out to be broken (the database restarted
    since it was last used), ``work`` runs once more on a fresh one: it must be safe to
    run twice, as a compare-and-set is (the second finds the move made, or not)."""
    return _retried(work, session_scope)


def _json_dumps(value: Any) -> bytes | str:
    """A driver statement's JSON parameter: orjson, several times faster than
    ``json.dumps`` on the outputs and usage documents a worker writes per execution;
    ``json.dumps`` for what orjson refuses (an integer beyond 64 bits, a key that is not
    a string), as SQLAlchemy's ``JSON`` type would have written it."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value)


class DriverStatement:
    """A statement compiled once for PostgreSQL (psycopg), run on the driver's connection.

    For the few statements a worker runs for every execution: going through SQLAlchemy's
    execution (a ``Connection``, the compiled cache, bind and result processing) costs
    more CPU than the statement's round trip. Values are the driver's own (``uuid``,
    aware ``datetime``, ``str``, numbers); JSON parameters are wrapped here, None as JSON
    ``null`` (as SQLAlchemy's ``JSON`` type does). Rows are the driver's tuples."""

    def __init__(self, statement: Any, engine: Engine) -> None:
        from psycopg.types.json import Json

        compiled = statement.compile(dialect=engine.dialect)
        if compiled.post_compile_params:
            raise ValueError("a driver statement cannot have expanding parameters")
        self.sql: str = compiled.string
        self.defaults: dict[str, Any] = {}
        self._json: list[str] = []
        self._wrap = functools.partial(Json, dumps=_json_dumps)
        for bind, name in compiled.bind_names.items():
            if isinstance(bind.type, JSON):
                self._json.append(name)
            if bind.value is not None and bind.callable is None:
                self.defaults[name] = bind.value

    def params(self, values: dict[str, Any]) -> dict[str, Any]:
        found = {**self.defaults, **values}
        for name in self._json:
            found[name] = self._wrap(found.get(name))
        return found


_driver_statements: dict[tuple[str, int], tuple[Any, DriverStatement]] = {}


def driver_statement(statement: Any) -> DriverStatement:
    """``statement`` compiled for the configured PostgreSQL database, once."""
    url = get_settings().database_url
    key = (url, id(statement))
    found = _driver_statements.get(key)
    if found is None or found[0] is not statement:
        found = _driver_statements[key] = (statement, DriverStatement(statement, _engine_for(url)))
    return found[1]


def uses_psycopg() -> bool:
    """Whether the database is PostgreSQL through psycopg 3 (:func:`driver_write` works)."""
    url = get_settings().database_url
    if url.startswith("sqlite"):
        return False
    dialect = _engine_for(url).dialect
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


def driver_write(work: Callable[[Any], T]) -> T:
    """Run ``work`` on a pooled psycopg connection in autocommit (PostgreSQL only).

    Like :func:`write`: a connection idle for a while is pinged when checked out, and a
    connection found broken (the database restarted) invalidates the pool's connections
    and ``work`` runs once more on a fresh one, so it must be safe to run twice. Raises
    :class:`DatabaseUnavailable` when the database cannot be reached."""
    engine = _autocommit_engine(get_settings().database_url)
    for tries in (1, 2):
        try:
            pooled = engine.raw_connection()  # raises the driver's own errors, unwrapped
        except (DBAPIError, DisconnectionError, engine.dialect.loaded_dbapi.Error) as exc:
            if not is_unavailable(exc):
                raise
            raise unavailable(exc) from exc
        driver: Any = pooled.driver_connection
        try:
            return work(driver)
        except engine.dialect.loaded_dbapi.Error as exc:
            if not engine.dialect.is_disconnect(exc, driver, None):
                if is_unavailable(exc):
                    raise unavailable(exc) from exc
                raise
            engine.pool._invalidate(pooled, exc)  # as SQLAlchemy does on a disconnect
            if tries == 2:
                raise unavailable(exc) from exc
            log.warning("the database connection was lost (%s); trying again", exc)
        finally:
            pooled.close()
    raise AssertionError("unreachable")


def ping() -> None:
    """One round trip to the database (``SELECT 1``) on a pooled connection; raises
    :class:`DatabaseUnavailable` when it cannot be reached. Connecting is bounded by
    ``database_connect_timeout``; the caller bounds the wait for an answer."""
    read(lambda conn: conn.exec_driver_sql("SELECT 1").all())


def reset_engines(close: bool = True) -> None:
    """Forget the engines; ``close=False`` after a fork leaves the parent's sockets alone."""
    for engine in _engines.values():
        engine.dispose(close=close)
    _engines.clear()
    _sessionmakers.clear()
    _driver_statements.clear()
