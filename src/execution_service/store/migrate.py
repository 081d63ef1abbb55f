"""Alembic migrations, driven from code (no alembic.ini needed)."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config

from execution_service.store.engine import read

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def check(url: str) -> None:
    """Raise if the models and the migrations describe different schemas."""
    command.check(alembic_config(url))


@functools.cache
def head_revisions() -> frozenset[str]:
    """The migrations' head revision(s), read once from the scripts shipped with the
    package."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def database_revisions() -> frozenset[str]:
    """The revision(s) the configured database is at (empty: never migrated); raises
    :class:`~execution_service.store.engine.DatabaseUnavailable` when it cannot be
    reached."""
    from alembic.runtime.migration import MigrationContext

    return frozenset(read(lambda conn: MigrationContext.configure(conn).get_current_heads()))
