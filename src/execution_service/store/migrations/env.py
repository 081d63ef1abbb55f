"""Alembic environment: the target metadata is the service's models."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, event, text

from execution_service.store.engine import make_engine
from execution_service.store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    if connection.dialect.name == "sqlite":
        broken = connection.execute(text("PRAGMA foreign_key_check")).all()
        if broken:
            raise RuntimeError(f"the migration left rows without their parent: {broken[:5]}")


def _sqlite_foreign_keys_off(dbapi_connection: Any, _record: Any) -> None:
    # A batch migration on SQLite copies a table into a new one and drops the old; with
    # foreign keys on, dropping a table other rows refer to fails. They are off while
    # migrating (SQLite's own recipe for altering tables) and checked after it.
    dbapi_connection.execute("PRAGMA foreign_keys=OFF")


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_foreign_keys_off)  # after the store's "ON"
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
