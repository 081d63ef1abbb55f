"""The pure parts of issue 16's items 3 and 5: which driver errors mean "the database is
away" (store/engine.py), the waits of a kept outcome (worker/outcomes.py), the graceful
stop's clock (worker/shutdown.py), the schema verdict of the readiness check, and the
API's answers: 503 DATABASE_UNAVAILABLE with Retry-After and no traceback, /readyz, and
the OpenAPI document naming both."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import DisconnectionError, IntegrityError, OperationalError, ProgrammingError

from execution_service.api.app import create_app
from execution_service.config import Settings, get_settings, use_settings
from execution_service.service import access, readiness
from execution_service.service.readiness import schema_verdict
from execution_service.store import engine
from execution_service.store.engine import DatabaseUnavailable, is_unavailable
from execution_service.store.migrate import database_revisions, head_revisions, upgrade
from execution_service.worker import outcomes
from execution_service.worker.outcomes import OutcomeLost, waits, written
from execution_service.worker.shutdown import Shutdown

# --- which errors mean the database is away ------------------------------------------


class _PsycopgLike(Exception):
    """A driver's own exception, as driver_write sees it (not wrapped by SQLAlchemy)."""


class OperationalErrorLike(_PsycopgLike):
    pass


OperationalErrorLike.__name__ = "OperationalError"


def _wrapped(kind: type[Any], invalidated: bool = False) -> Any:
    return kind("SELECT 1", {}, Exception("boom"), connection_invalidated=invalidated)


def test_connection_failures_on_postgresql_mean_the_database_is_away() -> None:
    assert is_unavailable(_wrapped(OperationalError))
    assert is_unavailable(_wrapped(ProgrammingError, invalidated=True))
    assert is_unavailable(DisconnectionError("no answer to a ping"))
    assert is_unavailable(OperationalErrorLike("connection refused"))


def test_bad_statements_and_refusals_are_not_translated() -> None:
    assert not is_unavailable(_wrapped(ProgrammingError))
    assert not is_unavailable(_wrapped(IntegrityError))
    assert not is_unavailable(ValueError("a bug"))


def test_on_sqlite_only_a_lock_held_too_long_means_unavailable() -> None:
    locked = OperationalError("x", {}, sqlite3.OperationalError("database is locked"))
    missing = OperationalError("x", {}, sqlite3.OperationalError("no such table: executions"))
    assert is_unavailable(locked, sqlite=True)
    assert not is_unavailable(missing, sqlite=True)


def test_a_translation_is_remembered_for_the_reapers() -> None:
    engine.unavailable(_wrapped(OperationalError))
    assert engine.unavailable_within(5.0)
    assert not engine.unavailable_within(0.0)


# --- a kept outcome --------------------------------------------------------------------


def test_the_waits_double_up_to_the_longest_and_stop_at_the_total() -> None:
    assert waits(1.5, 0.4) == [0.1, 0.2, 0.4, 0.4, 0.4]
    assert sum(waits(300, 5)) <= 300
    assert max(waits(300, 5)) == 5
    assert waits(0, 5) == []


@pytest.fixture
def outcome_settings() -> Iterator[None]:
    before = get_settings()
    use_settings(
        Settings(outcome_write_seconds=1.0, outcome_write_max_wait=5.0, heartbeat_timeout=0.6)
    )
    try:
        yield
    finally:
        use_settings(before)


def test_an_outcome_is_written_once_the_database_is_back(outcome_settings: None) -> None:
    tries: list[int] = []
    slept: list[float] = []

    def write() -> str:
        tries.append(1)
        if len(tries) < 3:
            raise DatabaseUnavailable("down")
        return "moved"

    assert written(write, "the result", sleep=slept.append) == "moved"
    assert len(tries) == 3
    assert slept == [0.1, 0.2]


def test_an_outcome_is_given_up_after_the_setting(outcome_settings: None) -> None:
    slept: list[float] = []

    def write() -> None:
        raise DatabaseUnavailable("down")

    with pytest.raises(OutcomeLost):
        written(write, "the result", sleep=slept.append)
    # never waiting longer than half the heartbeat timeout (0.3 s here): the reapers
    # hold back one heartbeat timeout after an outage, the write lands inside it
    assert slept and max(slept) <= 0.3
    assert sum(slept) <= 1.0


def test_other_errors_are_not_tried_again(outcome_settings: None) -> None:
    def write() -> None:
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        written(write, "the result", sleep=lambda _: None)
    assert outcomes.FIRST_WAIT > 0


# --- the graceful stop's clock -----------------------------------------------------------


def test_crews_are_handed_back_only_once_the_grace_is_over() -> None:
    now = [100.0]
    stop = Shutdown(clock=lambda: now[0])
    assert not stop.stopping and not stop.hand_back_due()
    stop.begin(1.5)
    assert stop.stopping and not stop.hand_back_due()
    assert stop.seconds_left() == 1.5
    now[0] = 101.4
    stop.begin(10.0)  # told again: the first deadline holds
    assert not stop.hand_back_due()
    now[0] = 101.5
    assert stop.hand_back_due()


def test_a_pool_process_knows_whether_it_runs_a_task() -> None:
    stop = Shutdown()
    assert not stop.busy
    stop.task_started()
    assert stop.busy
    stop.task_ended()
    stop.task_ended()
    assert not stop.busy
    stop.begin(0)
    stop.reset()
    assert not stop.stopping


# --- readiness and the API's answers -------------------------------------------------------


def test_the_schema_verdict_names_both_revisions() -> None:
    assert schema_verdict(frozenset({"0007"}), frozenset({"0007"})).ok
    behind = schema_verdict(frozenset({"0006"}), frozenset({"0007"}))
    assert not behind.ok and behind.detail is not None
    assert "0006" in behind.detail and "0007" in behind.detail
    never = schema_verdict(frozenset(), frozenset({"0007"}))
    assert not never.ok and never.detail is not None and "never migrated" in never.detail


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    before = get_settings()
    url = f"sqlite:///{tmp_path / 'life.sqlite3'}"
    upgrade(url)
    use_settings(Settings(database_url=url, readiness_cache_seconds=0))
    engine.reset_engines()
    access.forget_keys()
    readiness._readiness = None
    try:
        with TestClient(create_app(), raise_server_exceptions=False) as test_client:
            yield test_client
    finally:
        readiness._readiness = None
        access.forget_keys()
        engine.reset_engines()
        use_settings(before)


def test_the_database_away_is_a_503_with_retry_after(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    key = access.create_key("acme").secret

    def away(*_: Any, **__: Any) -> Any:
        raise engine.unavailable(_wrapped(OperationalError))

    monkeypatch.setattr("execution_service.service.executions.list_executions", away)
    answer = client.get("/api/v1/executions", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "2"
    assert answer.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
    assert answer.json()["error"]["details"] is None
    assert "Traceback" not in caplog.text
    assert "boom" not in answer.text


def test_readyz_is_ready_on_a_migrated_database(client: TestClient) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "ready"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "schema": True,
    }
    assert database_revisions() == head_revisions()


def test_readyz_names_a_database_that_is_away(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def away() -> None:
        raise engine.unavailable(_wrapped(OperationalError))

    monkeypatch.setattr(readiness, "ping", away)
    answer = client.get("/readyz")
    assert answer.status_code == 503
    error = answer.json()["error"]
    assert error["code"] == "NOT_READY"
    assert error["details"]["failing"] == ["database", "schema"]
    assert error["details"]["checks"]["database"]["detail"] == "unreachable"
    assert error["details"]["checks"]["broker"]["ok"] is True
    assert client.get("/healthz").status_code == 200


def test_readyz_does_not_wait_for_a_database_that_hangs(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    release = threading.Event()
    use_settings(get_settings().model_copy(update={"readiness_timeout_seconds": 0.2}))
    monkeypatch.setattr(readiness, "ping", lambda: release.wait(5))
    try:
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert "no answer within 0.2 s" in answer.json()["error"]["message"]
    finally:
        release.set()


def test_the_document_names_503_on_every_api_operation_and_readyz(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/api/v1/"):
                assert "DATABASE_UNAVAILABLE" in operation["responses"]["503"]["description"], (
                    method,
                    path,
                )
    ready = document["paths"]["/readyz"]["get"]["responses"]
    assert ready["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Readiness")
    assert "NOT_READY" in ready["503"]["description"]
    assert "503" not in document["paths"]["/healthz"]["get"]["responses"]


# --- the reapers' rule after an outage ---------------------------------------------------


def test_no_execution_is_taken_as_lost_right_after_an_outage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Silence is counted only while the database can be reached: a reaper that found
    it unreachable within the heartbeat timeout asks for no lost execution (a watcher
    cut off like it could not write its heartbeat); one that did not, does."""
    from execution_service.worker import reaper

    asked: list[float] = []

    def lost_executions(_at: object, timeout: float) -> list[object]:
        asked.append(timeout)
        return []

    monkeypatch.setattr(reaper.reaping, "time_out_overdue", lambda *_, **__: 0)
    monkeypatch.setattr(reaper.reaping, "lost_executions", lost_executions)
    monkeypatch.setattr(reaper, "redispatch_once", lambda _now: 0)  # the store is not here
    monkeypatch.setattr(engine, "_last_unavailable_at", None)
    reaper.reap_once()
    assert len(asked) == 1
    engine.unavailable(_wrapped(OperationalError))
    reaper.reap_once()
    assert len(asked) == 1
