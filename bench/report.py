"""Ratios and targets, the JSON file, and the table printed at the end of a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# (what, where in the results, comparison, limit, unit)
TARGETS: list[tuple[str, tuple[str, ...], str, float, str]] = [
    ("end-to-end throughput / raw Celery", ("ratios", "end_to_end"), ">=", 0.5, "x"),
    ("API queueing / raw apply_async", ("ratios", "queueing"), ">=", 0.4, "x"),
    (
        "status read p99 under queueing load",
        ("service", "queueing", "status_read_under_load", "p99_ms"),
        "<",
        10.0,
        "ms",
    ),
    (
        "cancel to stopped p95",
        ("service", "cancel", "cancel_to_stopped", "p95_ms"),
        "<",
        250.0,
        "ms",
    ),
    (
        "timeout accuracy p95",
        ("service", "timeout", "deadline_to_timed_out", "p95_ms"),
        "<",
        100.0,
        "ms",
    ),
    ("RSS growth per process", ("service", "memory", "max_growth_mb"), "<", 10.0, "MB"),
    # the peers (service / peer; for latencies below 1 is the service faster)
    ("API queueing / Flower async-apply", ("ratios", "queueing_vs_flower"), ">=", 1.5, "x"),
    ("end to end / Prefect", ("ratios", "end_to_end_vs_prefect"), ">", 1.0, "x"),
    (
        "answer to running p50 / Prefect's",
        ("ratios", "submit_to_start_p50_vs_prefect"),
        "<",
        1.0,
        "x",
    ),
    (
        "cancel to stopped p50 / Prefect's",
        ("ratios", "cancel_to_stopped_p50_vs_prefect"),
        "<",
        1.0,
        "x",
    ),
    ("queue stats p95 at the most rows", ("queue_stats_at_most_rows", "p95_ms"), "<", 10.0, "ms"),
]


def _dig(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    found: Any = data
    for key in path:
        if not isinstance(found, dict) or key not in found:
            return None
        found = found[key]
    return found


def _holds(value: float, op: str, limit: float) -> bool:
    return {">=": value >= limit, ">": value > limit, "<": value < limit}[op]


def queue_stats_at_most_rows(results: dict[str, Any]) -> dict[str, Any] | None:
    """The queue statistics' p95 at the largest stored-rows level measured."""
    levels = results.get("scaling", {}).get("rows", [])
    if not levels:
        return None
    top = max(levels, key=lambda p: p["rows"])
    return {"rows": top["rows"], "p95_ms": top["queue_stats"]["p95_ms"]}


def judge(results: dict[str, Any]) -> list[dict[str, Any]]:
    verdicts = []
    for what, path, op, limit, unit in TARGETS:
        value = _dig(results, path)
        met = None if value is None else _holds(value, op, limit)
        verdicts.append(
            {"target": what, "value": value, "limit": f"{op} {limit:g} {unit}", "met": met}
        )
    return verdicts


def write_json(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if 0 < abs(value) < 0.01:  # a ratio far below 1 (the service's latency / a peer's)
            return f"{value:.2g}"
        return f"{value:,.3f}" if value < 10 else f"{value:,.1f}"
    return str(value)


def _p(found: dict[str, Any] | None, *keys: str) -> str:
    found = found or {}
    return "/".join(_fmt(found.get(k)) for k in keys)


def _peer_rows(results: dict[str, Any]) -> list[str]:
    """Service against Flower and Prefect: figures and service / peer ratios."""
    peers = results.get("peers", {})
    if not peers:
        return []
    service, ratios = results.get("service", {}), results.get("ratios", {})
    lines = ["", "against the peers                          peer    service  service/peer"]

    def row(what: str, peer: Any, ours: Any, ratio: Any) -> None:
        lines.append(f"{what:<38} {_fmt(peer):>10} {_fmt(ours):>10} {_fmt(ratio):>9}")

    flower = peers.get("flower", {})
    if "skipped" in flower:
        lines.append(f"Flower: skipped ({flower['skipped']})")
    elif flower:
        row(
            "Flower async-apply / API queueing, /s",
            flower.get("per_second"),
            flower.get("service_per_second"),
            ratios.get("queueing_vs_flower"),
        )
        row(
            "  call p50/p99 ms",
            _p(flower.get("queue_latency"), "p50_ms", "p99_ms"),
            _p(flower.get("service_queue_latency"), "p50_ms", "p99_ms"),
            "",
        )
    prefect = peers.get("prefect", {})
    if "skipped" in prefect:
        lines.append(f"Prefect: skipped ({prefect['skipped']})")
    elif "error" in prefect and "end_to_end" not in prefect:
        lines.append(f"Prefect: stopped ({prefect['error']})")
    elif prefect:
        idle = service.get("idle", {})
        row(
            "Prefect submit / API queueing, /s",
            _dig(prefect, ("submit", "per_second")),
            _dig(service, ("queueing", "per_second")),
            ratios.get("submit_vs_prefect"),
        )
        row(
            "Prefect end to end, zero-work, /s",
            _dig(prefect, ("end_to_end", "per_second")),
            _dig(service, ("end_to_end", "per_second")),
            ratios.get("end_to_end_vs_prefect"),
        )
        row(
            "answer to running p50/p99 ms",
            _p(_dig(prefect, ("idle", "answer_to_running")), "p50_ms", "p99_ms"),
            _p(idle.get("answer_to_running"), "p50_ms", "p99_ms"),
            ratios.get("submit_to_start_p50_vs_prefect"),
        )
        row(
            "answer to completed p50/p99 ms",
            _p(_dig(prefect, ("idle", "answer_to_completed")), "p50_ms", "p99_ms"),
            _p(idle.get("answer_to_completed"), "p50_ms", "p99_ms"),
            ratios.get("submit_to_completed_p50_vs_prefect"),
        )
        row(
            "cancel to stopped p50/p95 ms",
            _p(_dig(prefect, ("cancel", "cancel_to_stopped")), "p50_ms", "p95_ms"),
            _p(_dig(service, ("cancel", "cancel_to_stopped")), "p50_ms", "p95_ms"),
            ratios.get("cancel_to_stopped_p50_vs_prefect"),
        )
        if "error" in prefect:
            lines.append(f"Prefect: stopped part way ({prefect['error']})")
    return lines


def table(results: dict[str, Any]) -> str:
    raw, service = results.get("raw", {}), results.get("service", {})
    lines = ["", "what                                   raw Celery    service     ratio"]

    def row(what: str, raw_value: Any, service_value: Any, ratio: Any = "") -> None:
        lines.append(f"{what:<38} {_fmt(raw_value):>10} {_fmt(service_value):>10} {_fmt(ratio):>9}")

    ratios = results.get("ratios", {})
    row(
        "end to end, executions/s",
        _dig(raw, ("end_to_end", "per_second")),
        _dig(service, ("end_to_end", "per_second")),
        ratios.get("end_to_end"),
    )
    row(
        "workers draining a full queue, /s",
        _dig(raw, ("end_to_end", "per_second")),
        _dig(service, ("queueing", "drain_per_second")),
        ratios.get("workers_draining"),
    )
    row(
        "publish / API queueing, /s",
        _dig(raw, ("publish", "per_second")),
        _dig(service, ("queueing", "per_second")),
        ratios.get("queueing"),
    )
    for label, raw_path in (
        ("raw publish to start, idle p50/p95/p99", ("idle", "publish_to_start")),
        ("raw call to start, idle p50/p95/p99 ms", ("idle", "call_to_start")),
    ):
        found = _dig(raw, raw_path) or {}
        figures = "/".join(_fmt(found.get(k)) for k in ("p50_ms", "p95_ms", "p99_ms"))
        lines.append(f"{label:<38} {figures:>31}")
    for label, path in (
        ("request to running, idle p50/p95/p99", ("idle", "request_to_running")),
        ("answer to running, idle p50/p95/p99 ms", ("idle", "answer_to_running")),
        ("answer to completed, idle p50/p95/p99", ("idle", "answer_to_completed")),
        ("status read under load p50/p95/p99 ms", ("queueing", "status_read_under_load")),
        ("status read idle p50/p95/p99 ms", ("queueing", "status_read_idle")),
        ("queue call under load p50/p95/p99 ms", ("queueing", "queue_latency")),
        ("cancel answer p50/p95/p99 ms", ("cancel", "answer")),
        ("cancel to stopped p50/p95/p99 ms", ("cancel", "cancel_to_stopped")),
        ("deadline to timed_out p50/p95/p99 ms", ("timeout", "deadline_to_timed_out")),
    ):
        found = _dig(service, path) or {}
        figures = "/".join(_fmt(found.get(k)) for k in ("p50_ms", "p95_ms", "p99_ms"))
        lines.append(f"{label:<38} {figures:>31}")
    lines.extend(_peer_rows(results))
    memory = service.get("memory", {})
    for name, proc in memory.get("processes", {}).items():
        lines.append(
            f"RSS {name:<34} {proc['rss_before_mb']:>8.1f} -> {proc['rss_after_mb']:>6.1f} MB"
            f" ({proc['growth_mb']:+.2f})"
        )
    for point in results.get("scaling", {}).get("workers", []):
        lines.append(
            f"{point['workers']} worker(s): service {point['service_per_second']:>7.1f}/s, "
            f"raw {point['raw_per_second']:>7.1f}/s, ratio {point['ratio']:.2f}"
        )
    for point in results.get("scaling", {}).get("rows", []):
        p95 = {k: v["p95_ms"] for k, v in point.items() if isinstance(v, dict)}
        lines.append(
            f"{point['rows']:>7,} rows: {point['ms_per_execution']:6.2f} ms/execution; p95 ms: "
            f"status {p95['status_read']:.2f}, list newest {p95['list_newest']:.2f}, "
            f"queued {p95['list_queued']:.2f}, by graph {p95['list_graph']:.2f}, "
            f"stats {p95['queue_stats']:.2f}, metrics {p95.get('metrics', float('nan')):.2f} "
            f"(first {p95.get('metrics_first', float('nan')):.2f})"
        )
    lines.append("")
    for verdict in results.get("targets", []):
        mark = {True: "met", False: "MISSED", None: "not measured"}[verdict["met"]]
        lines.append(
            f"target {verdict['target']:<38} {_fmt(verdict['value']):>10} {verdict['limit']:<10}"
            f" {mark}"
        )
    return "\n".join(lines)
