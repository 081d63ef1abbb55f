"""The status table (``execution_service.status``): which moves the machine allows, and a
property over random sequences of attempted moves on the pure table."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from execution_service.status import ACTIVE, ALLOWED, TERMINAL, Status, can_move, sources_of

Q, RUN, RETRY = Status.QUEUED, Status.RUNNING, Status.RETRYING
DONE, FAILED, CANCELLED, TIMED_OUT = (
    Status.COMPLETED,
    Status.FAILED,
    Status.CANCELLED,
    Status.TIMED_OUT,
)

# the machine, written out by hand: a change to ALLOWED must change this too
EXPECTED_MOVES = {
    (Q, RUN),
    (Q, CANCELLED),
    (Q, TIMED_OUT),
    (Q, FAILED),
    (RUN, DONE),
    (RUN, FAILED),
    (RUN, CANCELLED),
    (RUN, TIMED_OUT),
    (RUN, RETRY),
    (RETRY, RUN),
    (RETRY, CANCELLED),
    (RETRY, TIMED_OUT),
    (RETRY, FAILED),
}


def test_the_table_is_the_documented_machine() -> None:
    found = {(source, target) for source, targets in ALLOWED.items() for target in targets}
    assert found == EXPECTED_MOVES


@pytest.mark.parametrize("source", sorted(TERMINAL))
def test_a_terminal_status_has_no_way_out(source: Status) -> None:
    assert source not in ALLOWED
    assert [target for target in Status if can_move(source, target)] == []


def test_queued_cannot_complete_without_running() -> None:
    assert not can_move(Q, DONE)
    assert Q not in sources_of(DONE)


def test_completed_is_reached_only_from_running() -> None:
    assert sources_of(DONE) == {RUN}


def test_nothing_goes_back_to_queued() -> None:
    assert sources_of(Q) == frozenset()


def test_active_and_terminal_split_every_status() -> None:
    assert set(Status) == ACTIVE | TERMINAL
    assert not ACTIVE & TERMINAL
    assert set(ALLOWED) == ACTIVE


def test_no_status_moves_to_itself() -> None:
    assert [s for s in Status if can_move(s, s)] == []


def test_a_retry_goes_back_to_running() -> None:
    assert can_move(RUN, RETRY) and can_move(RETRY, RUN)
    assert not can_move(RETRY, DONE), "a retrying execution must run again before completing"


def test_can_move_and_sources_of_agree_on_every_pair() -> None:
    wrong = [
        (source, target)
        for source, target in itertools.product(Status, Status)
        if can_move(source, target) != ((source, target) in EXPECTED_MOVES)
        or (source in sources_of(target)) != ((source, target) in EXPECTED_MOVES)
    ]
    assert wrong == []


@pytest.mark.parametrize("terminal", sorted(TERMINAL))
def test_every_terminal_status_can_be_reached_from_queued(terminal: Status) -> None:
    reached, frontier = {Q}, [Q]
    while frontier:
        for target in ALLOWED.get(frontier.pop(), frozenset()):
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert terminal in reached


def test_can_move_from_an_unknown_source_is_false() -> None:
    assert not can_move("paused", RUN)  # type: ignore[arg-type]


@given(st.lists(st.sampled_from(list(Status)), max_size=40))
def test_any_sequence_of_attempted_moves_keeps_the_rules(targets: list[Status]) -> None:
    """Apply every attempted move the store would accept (the current status is one of
    ``sources_of(target)``); the resulting history keeps the machine's promises."""
    history = [Q]
    for target in targets:
        if history[-1] in sources_of(target):
            history.append(target)
    for source, target in itertools.pairwise(history):
        assert target in ALLOWED[source], f"illegal move in {history}"
    finals = [i for i, status in enumerate(history) if status in TERMINAL]
    assert finals in ([], [len(history) - 1]), f"moved on after a final status: {history}"
    assert all(status in ACTIVE for status in history[:-1])
    assert Q not in history[1:]
    for index, status in enumerate(history):
        if status == DONE:
            assert history[index - 1] == RUN, f"completed without running: {history}"
