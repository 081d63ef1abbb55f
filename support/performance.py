"""The @performance scenarios: load from many users at once, and what it must not break.

Every scenario prints its figures and writes them to ``reports/performance.json``
(:func:`report`); the thresholds it checks are in the feature's own words.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from typing import Any

from hamcrest import (
    assert_that,
    described_as,
    empty,
    equal_to,
    has_entries,
    is_in,
)

from .busy_workers import occupy_workers
from .client import ApiClient
from .crowd import Tickets, Timings, crowd
from .graphs import define
from .matchers import FINISHED, has_status
from .measure import record
from .polling import consistently, eventually
from .thresholds import check
from .world import World


def report(w: World, name: str, figures: dict[str, Any]) -> None:
    """Print the figures (on the terminal too) and keep them in reports/performance.json."""
    merged = w.before.setdefault("figures", {})
    merged.update(figures)
    record(name, w.stack.name, dict(merged), file="performance.json", show=True)


def timings(w: World) -> Timings:
    found = w.before.get("timings")
    assert isinstance(found, Timings), "nothing was measured in this scenario yet"
    return found


def no_failures(t: Timings) -> None:
    assert_that(t.failures, described_as("the calls that failed: %0", empty(), t.failures[:3]))


# -- graphs --------------------------------------------------------------------------------


def zero_work_graph(w: World) -> None:
    """A crew of one task with one step that takes no time: only the service's own cost."""
    define(w, tasks=1, steps=1, step_ms=0, name="noop")


def stepped_graph(w: World, steps: int, step_ms: int) -> None:
    define(w, tasks=1, steps=steps, step_ms=step_ms, name="stepped")


# -- queueing ------------------------------------------------------------------------------


def _queue_one(api: ApiClient, t: Timings, graph_id: str, into: list[dict[str, Any]]) -> None:
    response = t.timed("queue", lambda: api.queue(graph_id))
    if response.status_code != 202:
        t.fail(f"queueing answered {response.status_code}: {response.text[:200]}")
        return
    into.append(response.json())


def queue_concurrently(w: World, users: int, count: int) -> Timings:
    """``users`` users queue ``count`` executions of the graph between them, all at once."""
    graph_id = w.the_graph()["id"]
    tickets = Tickets(count)
    queued: list[dict[str, Any]] = []

    def user(api: ApiClient, t: Timings) -> None:
        for _ in tickets:
            _queue_one(api, t, graph_id, queued)

    t = crowd(w.api, [user] * users)
    w.executions = queued
    w.before["timings"] = t
    return t


def measure_queueing(w: World, users: int, count: int) -> None:
    w.before["scenario"] = "concurrent queueing"
    t = queue_concurrently(w, users, count)
    report(w, "concurrent queueing", {"users": users, **t.figures("queue")})


def all_accepted_with_own_ids(w: World, count: int) -> None:
    no_failures(timings(w))
    ids = [e["id"] for e in w.executions]
    assert_that(len(ids), equal_to(count))
    assert_that(len(set(ids)), described_as("distinct execution ids", equal_to(count)))
    statuses = Counter(e["status"] for e in w.executions)
    assert_that(dict(statuses), equal_to({"queued": count}))


def rate_at_least(w: World, kind: str, per_second: float) -> None:
    check(w, f"{kind} calls per second", timings(w).rate(kind), "at least", per_second, "/s")


def percentile_within(w: World, kind: str, pct: float, ms: float) -> None:
    check(w, f"{kind} p{pct:g}", timings(w).ms(kind, pct), "at most", ms, "ms")


def _by_status(w: World) -> dict[str, int]:
    return dict(w.api.stats()["by_status"])


def all_end_within(w: World, count: int, seconds: float, allowed: tuple[str, ...]) -> None:
    """Every one of ``count`` executions ends, within ``seconds``, in an allowed status."""

    def ended() -> int:
        by_status = _by_status(w)
        return sum(by_status[s] for s in FINISHED)

    eventually(ended, equal_to(count), timeout=seconds, interval=0.1, what="executions ending")
    unexpected = {s: n for s, n in _by_status(w).items() if n and s not in allowed}
    assert_that(unexpected, described_as("executions that ended otherwise", equal_to({})))


def complete_within(w: World, count: int, seconds: float) -> None:
    """All ``count`` complete; the figures gain the rate from first queued to last completed."""
    all_end_within(w, count, seconds, ("completed",))
    first, last = w.stack.database.first_queued_last_finished()
    span = (last - first).total_seconds()
    w.before["throughput"] = count / span
    figure = f"all {count}, from the first queued to the last completed"
    check(w, figure, span, "at most", seconds, "s")
    if "scenario" in w.before:
        report(
            w,
            w.before["scenario"],
            {
                "first_queued_to_last_completed_s": round(span, 3),
                "completed_per_second": round(count / span, 1),
            },
        )


# -- stress: nothing lost, nothing stuck ----------------------------------------------------


def queue_flood(w: World, users: int, count: int) -> None:
    """Queue ``count`` executions as fast as ``users`` users can."""
    w.before["scenario"] = "high-load stress"
    t = queue_concurrently(w, users, count)
    no_failures(t)
    report(w, "high-load stress", {"executions": count, "users": users, **t.figures("queue")})


def throughput_at_least(w: World, per_second: float) -> None:
    throughput = w.before["throughput"]
    check(w, "executions completed per second", throughput, "at least", per_second, "/s")


def nothing_lost(w: World, count: int) -> None:
    """The store holds every execution, each with the history queued, running, completed."""
    total = w.stack.database.counts()["executions"]
    assert_that(total, described_as("executions stored", equal_to(count)))
    shapes = Counter(tuple(h) for h in w.stack.database.histories().values())
    assert_that(dict(shapes), equal_to({("queued", "running", "completed"): count}))


def nothing_stuck(w: World) -> None:
    """Nothing queued, running or retrying, and it stays that way: the workers are idle."""
    consistently(
        lambda: _by_status(w),
        has_entries(queued=0, running=0, retrying=0),
        duration=0.5,
        what="no execution left unfinished",
    )
    assert_that(w.stack.leftovers(), empty())


# -- status checks -------------------------------------------------------------------------


def stored_and_running(w: World, completed: int) -> None:
    """``completed`` finished executions in the store, and every worker slot busy."""
    zero_work_graph(w)
    queue_concurrently(w, 4, completed)
    no_failures(timings(w))
    all_end_within(w, completed, 60, ("completed",))
    occupy_workers(w)
    w.executions += w.blockers


def check_statuses(w: World, users: int, count: int) -> None:
    ids = [e["id"] for e in w.executions]
    tickets = Tickets(count)

    def user(api: ApiClient, t: Timings) -> None:
        rng = random.Random()
        for _ in tickets:
            ident = rng.choice(ids)
            got = t.timed("status", lambda i=ident: api.execution(i))
            if got["id"] != ident:
                t.fail(f"asked for {ident}, got {got['id']}")

    t = crowd(w.api, [user] * users)
    w.before["timings"] = t
    w.before["asked"] = count
    report(w, "status check", {"users": users, "stored": len(ids), **t.figures("status")})


def every_check_answered(w: World) -> None:
    no_failures(timings(w))
    assert_that(timings(w).count("status"), equal_to(w.before["asked"]))


# -- mixed operations ----------------------------------------------------------------------


# the words the features use for each kind of call -> the kind the load measures
KINDS = {
    "queue an execution": "queue",
    "check a status": "status",
    "list executions": "list",
    "cancel an execution": "cancel",
}


def mixed_load_as_planned(w: World, users: int, table: Iterable[Any]) -> None:
    """The feature's table (``do``, ``users``, ``calls between them``) as a plan."""
    plan = {KINDS[row["do"]]: (int(row["users"]), int(row["calls between them"])) for row in table}
    assert sum(u for u, _ in plan.values()) == users, "the table's users do not add up"
    mixed_load(w, plan)


def mixed_load(w: World, plan: dict[str, tuple[int, int]]) -> None:
    """Queue, check, list and cancel at once. ``plan``: kind -> (users, calls between them)."""
    graph_id = w.the_graph()["id"]
    seeded = [w.api.queue_ok(graph_id) for _ in range(20)]
    known: list[dict[str, Any]] = list(seeded)
    refusals: list[str] = []
    tickets = {kind: Tickets(calls) for kind, (_, calls) in plan.items()}

    def queuer(api: ApiClient, t: Timings) -> None:
        for _ in tickets["queue"]:
            _queue_one(api, t, graph_id, known)

    def checker(api: ApiClient, t: Timings) -> None:
        rng = random.Random()
        for _ in tickets["status"]:
            ident = rng.choice(known)["id"]
            got = t.timed("status", lambda i=ident: api.execution(i))
            if got["id"] != ident:
                t.fail(f"asked for {ident}, got {got['id']}")

    def lister(api: ApiClient, t: Timings) -> None:
        filters: list[dict[str, Any]] = [
            {},
            {"status": "completed"},
            {"status": "queued"},
            {"graph_id": graph_id, "limit": 20},
        ]
        for index in tickets["list"]:
            chosen = filters[index % len(filters)]
            page = t.timed("list", lambda f=chosen: api.list(**f))
            if "items" not in page:
                t.fail(f"a listing without items: {page}")

    def canceller(api: ApiClient, t: Timings) -> None:
        rng = random.Random()
        for _ in tickets["cancel"]:
            ident = rng.choice(known)["id"]
            response = t.timed("cancel", lambda i=ident: api.cancel(i))
            if response.status_code == 409:
                refusals.append(ident)
            elif response.status_code != 200 or response.json()["status"] != "cancelled":
                t.fail(f"cancel answered {response.status_code}: {response.text[:200]}")

    roles = {"queue": queuer, "status": checker, "list": lister, "cancel": canceller}
    users = [roles[kind] for kind, (count, _) in plan.items() for _ in range(count)]
    t = crowd(w.api, users)
    w.executions = known
    w.before["timings"] = t
    w.before["refusals"] = refusals
    figures = t.figures("queue", "status", "list", "cancel")
    report(w, "mixed operations", {**figures, "cancel_refused_as_finished": len(refusals)})


def no_request_failed(w: World) -> None:
    """Every answer a success, or a refusal to cancel an execution that had finished."""
    no_failures(timings(w))
    finished = w.before.get("refusals", [])
    for ident in finished[:20]:
        assert_that(w.api.execution(ident)["status"], is_in(("completed",)))


def mixed_all_end(w: World, seconds: float) -> None:
    count = len(w.executions)
    all_end_within(w, count, seconds, ("completed", "cancelled"))
    first, last = w.stack.database.first_queued_last_finished()
    span = (last - first).total_seconds()
    figure = f"all {count}, from the first queued to the last ended"
    check(w, figure, span, "at most", seconds, "s")
    nothing_stuck(w)


# -- rapid queue/completion cycles -----------------------------------------------------------


def rapid_cycles(w: World, users: int, cycles: int) -> None:
    """Each user queues an execution, waits for it to complete, and goes again."""
    graph_id = w.the_graph()["id"]
    finals: list[dict[str, Any]] = []

    def user(api: ApiClient, t: Timings) -> None:
        for _ in range(cycles):

            def cycle() -> dict[str, Any]:
                ident = api.queue_ok(graph_id)["id"]
                return eventually(
                    lambda: api.execution(ident),
                    has_status(*FINISHED),
                    timeout=10,
                    interval=0.005,
                    what=f"execution {ident} finishing",
                )

            finals.append(t.timed("cycle", cycle))

    t = crowd(w.api, [user] * users)
    w.executions = finals
    w.before["timings"] = t
    report(w, "rapid queue/completion cycles", {"users": users, **t.figures("cycle")})


def every_cycle_completed(w: World, count: int) -> None:
    no_failures(timings(w))
    assert_that(Counter(e["status"] for e in w.executions), equal_to(Counter(completed=count)))


def worst_within(w: World, kind: str, seconds: float) -> None:
    check(w, f"the slowest {kind}", max(timings(w).calls[kind]), "under", seconds, "s")
