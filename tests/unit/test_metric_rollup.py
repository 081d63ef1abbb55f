"""The execution series' arithmetic (metric_rollup.py): buckets, merging, the totals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from execution_service.metric_rollup import (
    NO_ERROR,
    QUEUE_WAIT_BUCKETS,
    RUN_BUCKETS,
    FinishedRow,
    Histogram,
    StartedRow,
    Tally,
    Totals,
    bucket_layout,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def finished(
    status: str = "completed",
    priority: str = "normal",
    code: str | None = None,
    attempt: int = 1,
    queued: float = 0.0,
    started: float | None = 1.0,
    ended: float = 3.0,
) -> FinishedRow:
    return FinishedRow(
        status, priority, code, attempt, at(queued), None if started is None else at(started),
        at(ended),
    )  # fmt: skip


def test_an_observation_lands_in_the_first_bucket_at_or_above_it() -> None:
    histogram = Histogram((1.0, 2.0))
    for value in (0.5, 1.0, 1.5, 2.0, 7.0):
        histogram.observe(value)
    assert histogram.counts == [2, 2, 1]
    assert histogram.cumulative() == [("1.0", 2), ("2.0", 4), ("+Inf", 5)]
    assert histogram.total == pytest.approx(12.0)
    assert histogram.count == 5


def test_a_negative_duration_counts_as_zero() -> None:
    histogram = Histogram((1.0,))
    histogram.observe(-0.3)  # clocks of two hosts a little apart
    assert histogram.counts == [1, 0]
    assert histogram.total == 0.0


def test_histograms_merge_bucket_by_bucket_and_refuse_other_bounds() -> None:
    one, two = Histogram((1.0, 2.0)), Histogram((1.0, 2.0))
    one.observe(0.5)
    two.observe(1.5)
    two.observe(9.0)
    one.merge(two)
    assert one.counts == [1, 1, 1]
    assert one.total == pytest.approx(11.0)
    with pytest.raises(ValueError):
        one.merge(Histogram((1.0,)))
    with pytest.raises(ValueError):
        Histogram((1.0,), [1, 2, 3])


def test_a_finished_execution_counts_once_with_its_retries_wait_and_run_time() -> None:
    totals = Totals()
    totals.add_finished([finished(attempt=3, queued=0.0, started=0.2, ended=4.2)])
    tally = totals.tallies[("completed", "normal", NO_ERROR)]
    assert tally.executions == 1
    assert tally.retries == 2
    assert tally.queue_wait.total == pytest.approx(0.2)
    assert tally.run.total == pytest.approx(4.0)
    assert tally.queue_wait.count == tally.run.count == 1


def test_one_never_started_has_no_wait_nor_run_time() -> None:
    totals = Totals()
    totals.add_finished([finished(status="cancelled", started=None, attempt=0)])
    tally = totals.tallies[("cancelled", "normal", NO_ERROR)]
    assert (tally.executions, tally.retries) == (1, 0)
    assert tally.queue_wait.count == tally.run.count == 0
    assert totals.run_by_status() == {}


def test_a_running_one_gives_its_wait_and_retries_but_is_not_an_ended_execution() -> None:
    totals = Totals()
    totals.add_started([StartedRow("running", "high", 2, at(0), at(5))])
    assert totals.finished_by() == {}
    assert totals.executions_by() == {}
    assert totals.retries() == 1
    assert totals.queue_wait_by_priority()["high"].total == pytest.approx(5.0)


def test_the_views_sum_over_the_labels_they_leave_out() -> None:
    totals = Totals()
    totals.add_finished(
        [
            finished("failed", "high", "CREW_ERROR", attempt=2),
            finished("failed", "low", "CREW_ERROR"),
            finished("failed", "low", "PROVIDER_RATE_LIMITED", attempt=3),
            finished("completed", "low"),
        ]
    )
    assert totals.finished_by() == {
        ("failed", "CREW_ERROR"): 2,
        ("failed", "PROVIDER_RATE_LIMITED"): 1,
        ("completed", NO_ERROR): 1,
    }
    assert totals.executions_by() == {
        ("failed", "high"): 1,
        ("failed", "low"): 2,
        ("completed", "low"): 1,
    }
    assert totals.retries() == 3
    assert totals.queue_wait_by_priority()["low"].count == 3
    assert totals.run_by_status()["failed"].count == 3


def test_folded_totals_plus_the_window_equal_counting_everything_at_once() -> None:
    rows = [finished(attempt=n % 3 + 1, ended=3 + n, queued=n * 0.1) for n in range(10)]
    everything = Totals()
    everything.add_finished(rows)
    folded = Totals()
    folded.add_finished(rows[:6])
    stored = Totals()  # what the database keeps, read back
    for key, tally in folded.tallies.items():
        stored.tallies[key] = Tally.from_stored(**tally.stored())
    stored.add_finished(rows[6:])
    assert stored == everything


def test_the_stored_layout_names_the_bounds() -> None:
    assert bucket_layout() == {"queue_wait": list(QUEUE_WAIT_BUCKETS), "run": list(RUN_BUCKETS)}
    assert list(QUEUE_WAIT_BUCKETS) == sorted(QUEUE_WAIT_BUCKETS)
    assert list(RUN_BUCKETS) == sorted(RUN_BUCKETS)


def test_tokens_add_up_over_ended_and_running_executions_and_survive_a_fold() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    usage = {"prompt_tokens": 100, "completion_tokens": 20, "model_calls": 2}
    ended = FinishedRow("completed", "normal", None, 1, at, at, at, usage)
    no_call = FinishedRow("failed", "normal", "X", 1, at, at, at, None)
    running = StartedRow("running", "high", 1, at, at, {"prompt_tokens": 7, "model_calls": 1})
    folded = Totals()
    folded.add_finished([ended, no_call])
    stored = Totals()
    for key, tally in folded.tallies.items():
        stored.tallies[key] = Tally.from_stored(**tally.stored())
    stored.add_started([running])
    assert stored.tokens() == {"prompt": 107, "completion": 20, "calls": 3}


def test_a_usage_document_counts_only_positive_integers() -> None:
    tally = Tally()
    tally.add_usage({"prompt_tokens": True, "completion_tokens": -3, "model_calls": "2"})
    tally.add_usage("not a document")
    assert (tally.prompt_tokens, tally.completion_tokens, tally.model_calls) == (0, 0, 0)
