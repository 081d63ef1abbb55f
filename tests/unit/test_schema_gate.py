"""The API's schema gate (service/schema_gate.py) and the database's word for a missing
table (store/engine.py: lacks_schema)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import OperationalError, ProgrammingError

from execution_service.service.readiness import Check
from execution_service.service.schema_gate import SchemaGate, SchemaNotMigrated
from execution_service.store.engine import DatabaseUnavailable, lacks_schema


class _Looks:
    def __init__(self, *verdicts: Check | Exception) -> None:
        self.verdicts = list(verdicts)
        self.count = 0

    def __call__(self) -> Check:
        self.count += 1
        verdict = self.verdicts.pop(0)
        if isinstance(verdict, Exception):
            raise verdict
        return verdict


BEHIND = Check(False, "never migrated; the migrations' head is 0012")


def test_a_schema_at_the_head_is_looked_at_once() -> None:
    look = _Looks(Check(True))
    gate = SchemaGate(look=look)
    for _ in range(3):
        gate.require()
    assert look.count == 1 and gate.at_head


def test_a_schema_behind_is_refused_naming_the_command_and_looked_at_again_later() -> None:
    now = [0.0]
    look = _Looks(BEHIND, Check(True))
    gate = SchemaGate(recheck_seconds=5, look=look, clock=lambda: now[0])
    with pytest.raises(SchemaNotMigrated) as refused:
        gate.require()
    assert refused.value.status == 503
    assert "`execution-service migrate`" in refused.value.message
    assert "never migrated" in refused.value.message
    now[0] = 4.9
    with pytest.raises(SchemaNotMigrated):
        gate.require()
    assert look.count == 1  # the verdict kept
    now[0] = 5.0
    gate.require()
    assert look.count == 2 and gate.at_head


def test_no_verdict_is_kept_while_the_database_is_away() -> None:
    look = _Looks(DatabaseUnavailable("down"), Check(True))
    gate = SchemaGate(look=look)
    with pytest.raises(DatabaseUnavailable):
        gate.require()
    gate.require()
    assert look.count == 2


def test_a_missing_table_or_column_is_a_schema_not_migrated() -> None:
    sqlite = OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: graphs"))
    assert lacks_schema(sqlite)
    column = OperationalError("SELECT", {}, sqlite3.OperationalError("no such column: x.y"))
    assert lacks_schema(column)

    class _Undefined(Exception):
        sqlstate = "42P01"

    assert lacks_schema(ProgrammingError("SELECT", {}, _Undefined("relation does not exist")))


def test_other_database_errors_are_not() -> None:
    locked = OperationalError("SELECT", {}, sqlite3.OperationalError("database is locked"))
    assert not lacks_schema(locked)
    syntax = OperationalError("SELECT", {}, sqlite3.OperationalError('near "x": syntax error'))
    assert not lacks_schema(syntax)
