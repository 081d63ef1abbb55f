"""The benchmark's chart (matplotlib, from the ``bench`` extra): throughput bars, latency
distributions, CPU per execution by process, the two scaling curves, and the service /
peer ratios (Flower, Prefect, raw Celery's idle publish-to-start)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def draw(results: dict[str, Any], samples: dict[str, list[float]], path: Path) -> bool:
    """Write the PNG; False (and nothing written) when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    raw, service = results.get("raw", {}), results.get("service", {})
    fig, axes = plt.subplots(3, 2, figsize=(13, 13))
    bars = axes[0][0]
    labels = ["raw publish", "API queueing", "raw end to end", "service end to end"]
    values = [
        raw.get("publish", {}).get("per_second", 0),
        service.get("queueing", {}).get("per_second", 0),
        raw.get("end_to_end", {}).get("per_second", 0),
        service.get("end_to_end", {}).get("per_second", 0),
    ]
    bars.bar(labels, values, color=["#999999", "#1f77b4", "#999999", "#1f77b4"])
    for x, value in enumerate(values):
        bars.text(x, value, f"{value:,.0f}", ha="center", va="bottom")
    bars.set_ylabel("per second")
    bars.set_title("Throughput: raw Celery (grey) and the service (blue)")

    latency = axes[0][1]
    names = [name for name, values in samples.items() if values]
    latency.boxplot(
        [[1000 * v for v in samples[name]] for name in names],
        tick_labels=names,
        whis=(1, 99),
        showfliers=False,
    )
    latency.set_yscale("log")
    latency.set_ylabel("ms (box: p25-p75, whiskers: p1-p99)")
    latency.set_title("Latency distributions")
    latency.tick_params(axis="x", labelrotation=15)

    workers = axes[1][0]
    points = results.get("scaling", {}).get("workers", [])
    if points:
        xs = [p["workers"] for p in points]
        workers.plot(xs, [p["service_per_second"] for p in points], "o-", label="service")
        workers.plot(xs, [p["raw_per_second"] for p in points], "s--", label="raw Celery")
        workers.set_xticks(xs)
        workers.legend()
    else:
        _not_run(workers, "--scaling")
    workers.set_xlabel("worker processes")
    workers.set_ylabel("executions per second, end to end")
    workers.set_title("Scaling with worker processes")

    rows = axes[1][1]
    levels = results.get("scaling", {}).get("rows", [])
    if levels:
        xs = [p["rows"] for p in levels]
        for key, label in (
            ("status_read", "status read p95"),
            ("list_newest", "list newest p95"),
            ("list_queued", "list queued p95"),
            ("list_graph", "list by graph p95"),
            ("queue_stats", "queue stats p95"),
        ):
            rows.plot(xs, [p[key]["p95_ms"] for p in levels], "o-", label=label)
        rows.plot(xs, [p["ms_per_execution"] for p in levels], "k^--", label="ms per execution")
        rows.set_xscale("log")
        rows.set_yscale("log")
        rows.legend(fontsize="small")
    else:
        _not_run(rows, "--rows")
    rows.set_xlabel("executions stored")
    rows.set_ylabel("ms")
    rows.set_title("Cost against rows stored")
    _cpu(axes[2][0], raw, service)
    _peers(axes[2][1], results.get("ratios", {}))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


CPU_PARTS = ("api", "workers", "postgres", "redis", "load generator")


def _cpu(ax: Any, raw: dict[str, Any], service: dict[str, Any]) -> None:
    """Stacked bars: CPU milliseconds per execution of each process, for each run."""
    runs = {
        "raw end to end": raw.get("end_to_end", {}).get("cpu_ms_per_execution"),
        "service end to end": service.get("end_to_end", {}).get("cpu_ms_per_execution"),
        "API queueing": service.get("queueing", {}).get("cpu_ms_per_execution"),
        "workers draining": service.get("queueing", {}).get("drain_cpu_ms_per_execution"),
    }
    names = [name for name, found in runs.items() if found]
    bottoms = [0.0] * len(names)
    for part in CPU_PARTS:
        heights = [float(runs[name].get(part, 0.0)) for name in names]
        ax.bar(names, heights, bottom=bottoms, label=part)
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    for x, total in enumerate(bottoms):
        ax.text(x, total, f"{total:.2f}", ha="center", va="bottom")
    ax.set_ylabel("CPU ms per execution")
    ax.set_title("Where the CPU goes (psutil, every process)")
    ax.legend(fontsize="small")
    ax.tick_params(axis="x", labelrotation=15)


PEER_RATIOS = (
    ("queueing_vs_flower", "queueing / Flower"),
    ("submit_vs_prefect", "submit / Prefect"),
    ("end_to_end_vs_prefect", "end to end / Prefect"),
    ("submit_to_start_p50_vs_prefect", "to running p50 / Prefect"),
    ("cancel_to_stopped_p50_vs_prefect", "cancel to stopped p50 / Prefect"),
    ("submit_to_start_p50_vs_raw", "to running p50 / raw Celery"),
)


def _peers(ax: Any, ratios: dict[str, Any]) -> None:
    """Bars: service / peer for each figure (log scale; 1 is a draw)."""
    found = [(label, ratios[key]) for key, label in PEER_RATIOS if ratios.get(key)]
    if not found:
        ax.axis("off")
        return
    labels = [label for label, _ in found]
    values = [float(value) for _, value in found]
    ax.barh(labels, values, color="#1f77b4")
    for y, value in enumerate(values):
        ax.text(value, y, f" {value:.3g}", va="center")
    ax.axvline(1.0, color="k", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("service / peer (rates: above 1 better; latencies: below 1 better)")
    ax.set_title("Against the peers")


def _not_run(axis: Any, option: str) -> None:
    """A panel whose phase this run left out says so, rather than showing empty axes."""
    axis.text(
        0.5,
        0.5,
        f"not measured in this run ({option} '')",
        ha="center",
        va="center",
        transform=axis.transAxes,
        color="grey",
    )
    axis.set_xticks([])
    axis.set_yticks([])
