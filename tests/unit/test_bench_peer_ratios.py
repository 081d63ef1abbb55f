"""The benchmark's service / peer ratios and their targets (``bench/peer_runs.py``,
``bench/report.py``): pure arithmetic on a results document, no stack."""

from __future__ import annotations

from typing import Any

from bench import peer_runs, report


def _results() -> dict[str, Any]:
    return {
        "raw": {"idle": {"publish_to_start": {"p50_ms": 1.0}}},
        "service": {
            "end_to_end": {"per_second": 300.0},
            "queueing": {"per_second": 600.0},
            "idle": {
                "answer_to_running": {"p50_ms": 2.0, "p99_ms": 9.0},
                "answer_to_completed": {"p50_ms": 20.0, "p99_ms": 60.0},
            },
            "cancel": {"cancel_to_stopped": {"p50_ms": 150.0, "p95_ms": 200.0}},
        },
        "peers": {
            "flower": {"ratio": 1.6, "per_second": 400.0, "service_per_second": 640.0},
            "prefect": {
                "submit": {"per_second": 40.0},
                "end_to_end": {"per_second": 3.0},
                "idle": {
                    "answer_to_running": {"p50_ms": 1000.0},
                    "answer_to_completed": {"p50_ms": 2000.0},
                },
                "cancel": {"cancel_to_stopped": {"p50_ms": 3000.0}},
            },
        },
        "scaling": {
            "rows": [
                {"rows": 100, "queue_stats": {"p95_ms": 2.0}},
                {"rows": 1_000_000, "queue_stats": {"p95_ms": 4.0}},
            ]
        },
    }


def test_ratios_are_service_over_peer() -> None:
    ratios = peer_runs.ratios(_results())
    assert ratios == {
        "queueing_vs_flower": 1.6,
        "submit_vs_prefect": 15.0,
        "end_to_end_vs_prefect": 100.0,
        "submit_to_start_p50_vs_prefect": 0.002,
        "submit_to_completed_p50_vs_prefect": 0.01,
        "cancel_to_stopped_p50_vs_prefect": 0.05,
        "submit_to_start_p50_vs_raw": 2.0,
    }


def test_a_skipped_peer_gives_no_ratio() -> None:
    results = _results()
    results["peers"] = {"flower": {"skipped": "not installed"}, "prefect": {"skipped": "no"}}
    ratios = peer_runs.ratios(results)
    assert ratios["queueing_vs_flower"] is None
    assert ratios["end_to_end_vs_prefect"] is None
    assert ratios["submit_to_start_p50_vs_raw"] == 2.0


def test_targets_judge_the_peer_ratios_and_the_queue_stats_at_the_most_rows() -> None:
    results = _results()
    results["ratios"] = peer_runs.ratios(results)
    results["queue_stats_at_most_rows"] = report.queue_stats_at_most_rows(results)
    assert results["queue_stats_at_most_rows"] == {"rows": 1_000_000, "p95_ms": 4.0}
    verdicts = {v["target"]: v["met"] for v in report.judge(results)}
    assert verdicts["API queueing / Flower async-apply"] is True
    assert verdicts["end to end / Prefect"] is True
    assert verdicts["answer to running p50 / Prefect's"] is True
    assert verdicts["cancel to stopped p50 / Prefect's"] is True
    assert verdicts["queue stats p95 at the most rows"] is True
    results["ratios"]["queueing_vs_flower"] = 1.2
    results["ratios"]["cancel_to_stopped_p50_vs_prefect"] = 1.0
    verdicts = {v["target"]: v["met"] for v in report.judge(results)}
    assert verdicts["API queueing / Flower async-apply"] is False
    assert verdicts["cancel to stopped p50 / Prefect's"] is False


def test_the_table_names_a_skipped_peer() -> None:
    results = _results()
    results["peers"]["prefect"] = {"skipped": "Prefect 3 not found"}
    del results["scaling"]
    table = report.table(results)
    assert "Prefect: skipped (Prefect 3 not found)" in table
    assert "Flower async-apply / API queueing" in table
