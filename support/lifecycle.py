"""The service's life around its executions: its database going away and coming back,
workers stopped gracefully, and whether it says it is ready.

The faults are named operations in ``support/faults/database.py`` (the database down,
a schema behind the code) and ``support/faults/worker_processes.py`` (a worker stopped
gracefully); this module says what a scenario expects of the service around them.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from hamcrest import (
    assert_that,
    contains_string,
    equal_to,
    greater_than,
    greater_than_or_equal_to,
    has_entries,
    has_item,
    has_key,
    has_length,
    has_property,
    is_not,
    less_than,
    not_none,
)

from .faults import worker_processes
from .faults.database import DatabaseOutage, SchemaBehind
from .measure import record, summary
from .polling import eventually, wait_until
from .stack_settings import OVERRIDES
from .stacks import services_stack
from .stacks.services import ServicesTestStack
from .timestamps import at
from .world import World

# the suite's settings (support/stack_settings.py) that the expectations below lean on
HEARTBEAT_TIMEOUT = float(OVERRIDES["heartbeat_timeout"])
SHUTDOWN_GRACE = float(OVERRIDES["worker_shutdown_grace_seconds"])


# --- readiness ---------------------------------------------------------------------


def ask_ready(w: World) -> None:
    w.response = w.api.raw("GET", "/readyz")


def answers_ready(w: World) -> None:
    """``/readyz`` answers 200 ready, each check passed (polled: a schema verdict is
    kept a few seconds, and an earlier scenario may have left a stale one)."""
    answer = eventually(
        lambda: w.api.raw("GET", "/readyz"),
        _status(200),
        timeout=15,
        what="/readyz answering ready",
    )
    body = answer.json()
    assert_that(body, has_entries(status="ready"))
    for check in ("database", "broker", "schema"):
        assert_that(body["checks"], has_entries({check: has_entries(ok=True, detail=None)}))


def readiness_is_fast(w: World, reads: int, ms: float) -> None:
    """``reads`` readiness checks one after another: their p95 under ``ms``."""
    times = []
    for _ in range(reads):
        started = time.perf_counter()
        answer = w.api.raw("GET", "/readyz")
        times.append((time.perf_counter() - started) * 1000)
        assert_that(answer.status_code, equal_to(200), answer.text)
    figures = summary(times)
    record("readyz_latency_ms", w.stack.name, figures, file="lifecycle.json", show=True)
    assert_that(figures["p95"], less_than(ms))


def answers_not_ready(w: World, failing: str) -> None:
    """``/readyz`` answers 503 ``NOT_READY``, its message and details naming ``failing``
    (and only the checks that fail)."""
    answer = eventually(
        lambda: w.api.raw("GET", "/readyz"),
        _status(503),
        timeout=15,
        what=f"/readyz answering not ready ({failing})",
    )
    error = answer.json()["error"]
    assert_that(error, has_entries(code="NOT_READY", message=contains_string(failing)))
    assert_that(error["details"]["failing"], has_item(failing))
    assert_that(error["details"]["checks"][failing], has_entries(ok=False, detail=not_none()))
    if failing != "broker":
        assert_that(error["details"]["checks"]["broker"], has_entries(ok=True))


def alive(w: World) -> None:
    answer = w.api.raw("GET", "/healthz")
    assert_that(answer.status_code, equal_to(200))
    assert_that(answer.json(), equal_to({"status": "ok"}))


def schema_one_behind(schema: SchemaBehind) -> None:
    schema.begin()


# --- the database down -------------------------------------------------------------


def database_down(outage: DatabaseOutage | None) -> None:
    assert outage is not None, "tag the scenario @fixture.database_outage"
    outage.begin()


def database_back(outage: DatabaseOutage | None) -> None:
    assert outage is not None, "tag the scenario @fixture.database_outage"
    outage.end()


def database_down_while_crew_finishes(w: World, outage: DatabaseOutage | None) -> None:
    """The database goes down while the focused execution's crew runs, and comes back
    once its worker has said that it keeps the crew's result to write later (its log):
    the crew finished while nobody could write it."""
    assert outage is not None, "tag the scenario @fixture.database_outage"
    execution = w.focus()
    outage.begin()
    kept = f"the result of {execution['id']} is kept to write later"
    found = wait_until(lambda: kept in _worker_log(w, execution["worker"]), 20.0, 0.05)
    w.before["database_back_at"] = datetime.now(UTC)
    outage.end()
    assert_that(found, equal_to(True), f"the worker's log never said {kept!r}")


def database_down_longer_than_heartbeat_timeout(w: World, outage: DatabaseOutage | None) -> None:
    """The database stays down (the fault lasts) a second longer than the heartbeat
    timeout, while the focused execution's crew runs on."""
    assert outage is not None, "tag the scenario @fixture.database_outage"
    outage.begin()
    lasted = wait_until(lambda: outage.seconds_down() > HEARTBEAT_TIMEOUT + 1, 30.0, 0.05)
    outage.end()
    assert_that(lasted, equal_to(True))
    assert_that(w.api.execution(w.focus()["id"]), has_entries(status="running"))


def answers_database_unavailable(w: World) -> None:
    """Every kind of call answers 503 ``DATABASE_UNAVAILABLE`` with ``Retry-After`` and this
    API's error body (never a 500, never a traceback); the key's owner is looked up
    again once its cache runs out, so the calls are made until that happened too."""
    ident = w.focus()["id"]
    graph = w.the_graph()["id"]
    calls: dict[str, tuple[str, str, dict[str, Any]]] = {
        "read": ("GET", f"/api/v1/executions/{ident}", {}),
        "history": ("GET", f"/api/v1/executions/{ident}/events", {}),
        "list": ("GET", "/api/v1/executions", {}),
        "queue": ("POST", f"/api/v1/graphs/{graph}/executions", {"json": {}}),
        "cancel": ("POST", f"/api/v1/executions/{ident}/cancel", {}),
        "statistics": ("GET", "/api/v1/queue/stats", {}),
        "graph": ("GET", f"/api/v1/graphs/{graph}", {}),
    }
    for name, (method, path, extra) in calls.items():
        answer = eventually(
            lambda m=method, p=path, e=extra: w.api.raw(m, p, **e),
            _status(503),
            timeout=10,
            what=f"{name} answering 503 while the database is down",
        )
        assert_that(answer.headers, has_key("retry-after"))
        assert_that(int(answer.headers["retry-after"]), greater_than(0))
        assert_that(
            answer.json(),
            equal_to(
                {
                    "error": {
                        "code": "DATABASE_UNAVAILABLE",
                        "message": "The database is unavailable right now; try again shortly.",
                        "details": None,
                    }
                }
            ),
        )


def serves_again(w: World) -> None:
    eventually(
        lambda: w.api.raw("GET", f"/api/v1/executions/{w.focus()['id']}"),
        _status(200),
        timeout=15,
        what="the API serving again once the database is back",
    )


def no_server_error_logged(w: World) -> None:
    """The API's log has no unhandled exception (what a 500 would leave)."""
    services = services_stack(w.stack, "reading the API's log needs the API as a process")
    log = (services.logs / "api.log").read_text(errors="replace")
    assert_that(log, is_not(contains_string("Exception in ASGI application")))
    assert_that(log, contains_string("503 DATABASE_UNAVAILABLE"))


def finished_after_database_back(w: World) -> None:
    """Its completion was written once the database was back: the worker kept it."""
    execution = w.api.execution(w.focus()["id"])
    back = w.before["database_back_at"]
    assert_that(at(execution["finished_at"]), greater_than_or_equal_to(back))


# --- a worker stopped gracefully -----------------------------------------------------


def stop_its_worker_gracefully(w: World) -> None:
    execution = w.api.execution(w.focus()["id"])
    assert_that(execution, has_entries(status="running"))
    stop = worker_processes.stop_gracefully(w.stack, execution["worker"])
    w.before["graceful_stop"] = stop
    record(
        "graceful_stop",
        w.stack.name,
        {"worker_exit_seconds": stop.seconds},
        file="lifecycle.json",
        show=True,
    )


def worker_exited_within(w: World, seconds: float) -> None:
    assert_that(w.before["graceful_stop"].seconds, less_than(seconds))


def completed_on_the_stopped_worker(w: World) -> None:
    stop = w.before["graceful_stop"]
    execution = w.api.execution(w.focus()["id"])
    assert_that(execution, has_entries(status="completed", worker=stop.hostname))
    assert_that(at(execution["finished_at"]), less_than(stop.exited_at))


def handed_back_and_started_elsewhere(w: World, seconds: float) -> None:
    """The history shows the hand-back (no error, the attempt released) and the start on
    another worker, ``seconds`` at most after the stop signal: well before the
    heartbeat timeout would have noticed anything."""
    stop = w.before["graceful_stop"]
    events = w.api.events(w.focus()["id"])
    handed = [e for e in events if e["status"] == "retrying"]
    assert_that(handed, has_length(1))
    assert_that(handed[0]["details"], has_entries(handed_back=True, worker=stop.hostname))
    assert_that(handed[0]["details"], is_not(has_key("code")))
    second = [e for e in events if e["status"] == "running"][1]
    assert_that(second["message"], is_not(contains_string(stop.hostname)))
    started_again = (at(second["at"]) - stop.signalled_at).total_seconds()
    record(
        "graceful_hand_back",
        w.stack.name,
        {
            "hand_back_seconds": (at(handed[0]["at"]) - stop.signalled_at).total_seconds(),
            "started_again_seconds": started_again,
            "heartbeat_timeout": HEARTBEAT_TIMEOUT,
            "grace": SHUTDOWN_GRACE,
        },
        file="lifecycle.json",
        show=True,
    )
    assert_that(started_again, less_than(seconds))
    assert_that(seconds, less_than(HEARTBEAT_TIMEOUT))


def attempts_counted(w: World, count: int) -> None:
    """The execution's attempt count (what its retry policy counts) is ``count``."""
    assert_that(w.api.execution(w.focus()["id"]), has_entries(attempt=count))


def nothing_left_running(w: World) -> None:
    assert_that(w.stack.database.stuck(), equal_to([]))


def _worker_log(w: World, hostname: str | None) -> str:
    services: ServicesTestStack = services_stack(w.stack, "a worker's log")
    short = (hostname or "").split("@")[0]
    return (services.logs / f"worker-{short}.log").read_text(errors="replace")


def _status(code: int) -> Any:
    return has_property("status_code", code)
