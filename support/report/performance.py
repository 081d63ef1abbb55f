"""A @performance scenario's figures against its thresholds, for the living report.

After a scenario that checked thresholds (``support/thresholds.py``),
``environment.py``'s ``after_scenario`` calls :func:`attach`: the scenario's page gets
a table (each threshold as the feature states it, the figure measured, the margin, met
or not; then every figure the scenario measured) and, where matplotlib is installed, a
chart of the margins: every bar right of the line is a threshold met, and its length
says by how much.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from support.thresholds import Check

from .formatter import attach_html, attach_png

CELL = "padding:2px 10px;border-bottom:1px solid #ccc;text-align:left"
RIGHT = f"{CELL};text-align:right"
MET = {True: ("met", "#2e7d32"), False: ("NOT MET", "#c62828")}
CAP = 1000.0  # the chart's widest margin (a figure of 0 against a maximum is infinitely within)


def number(value: Any) -> str:
    """A figure as a person reads it: thousands grouped, a few significant digits."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return escape(str(value))
    if isinstance(value, int) or (float(value).is_integer() and abs(value) >= 100):
        return f"{value:,.0f}"
    if math.isinf(value):
        return "∞"
    magnitude = abs(value)
    digits = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2 if magnitude >= 1 else 3
    return f"{value:,.{digits}f}"


def _margin(check: Check) -> str:
    return "∞" if math.isinf(check.margin) else f"&times;{check.margin:.2f}"


def table_html(checks: Sequence[Check], figures: Mapping[str, Any]) -> str:
    """The thresholds against the figures measured, then every figure measured."""
    rows = []
    for check in checks:
        word, colour = MET[check.met]
        rows.append(
            "<tr>"
            f'<td style="{CELL}">{escape(check.figure)}</td>'
            f'<td style="{RIGHT}">{number(check.measured)} {escape(check.unit)}</td>'
            f'<td style="{CELL}">{escape(check.threshold)}</td>'
            f'<td style="{RIGHT}">{_margin(check)}</td>'
            f'<td style="{CELL};color:{colour};font-weight:bold">{word}</td>'
            "</tr>"
        )
    head = "".join(
        f'<th style="{CELL}">{h}</th>'
        for h in ("threshold of the feature", "measured", "limit", "margin", "")
    )
    html = f'<table style="border-collapse:collapse"><tr>{head}</tr>{"".join(rows)}</table>'
    if figures:
        cells = "".join(
            f'<tr><td style="{CELL}">{escape(str(k))}</td><td style="{RIGHT}">{number(v)}</td></tr>'
            for k, v in figures.items()
        )
        html += (
            '<p style="margin:10px 0 2px">Every figure measured (also in '
            "<code>reports/performance.json</code>):</p>"
            f'<table style="border-collapse:collapse">{cells}</table>'
        )
    return html


def chart_png(checks: Sequence[Check], title: str) -> bytes | None:
    """The margins as horizontal bars on a log scale; None without matplotlib."""
    try:
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter
    except ImportError:
        return None
    margins = [min(check.margin, CAP) for check in checks]
    figure = Figure(figsize=(9, 0.45 * len(checks) + 1.4), dpi=90, layout="constrained")
    axes = figure.add_subplot()
    labels = [f"{c.figure}\n{number(c.measured)} {c.unit} ({c.threshold})" for c in checks]
    colours = [MET[c.met][1] for c in checks]
    positions = list(range(len(checks)))[::-1]
    axes.barh(positions, margins, color=colours, height=0.6)
    axes.set_yticks(positions, labels=labels, fontsize=8)
    axes.axvline(1.0, color="black", linewidth=1)
    axes.set_xscale("log")
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"x{value:g}"))
    axes.set_xlim(min(0.5, min(margins) / 1.5), max(10.0, max(margins) * 1.5))
    axes.set_xlabel("margin: times within the threshold (1 = on it; left of the line: missed)")
    axes.set_title(title, fontsize=10)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def attach(context: Any, checks: Sequence[Check], figures: Mapping[str, Any]) -> None:
    """Put the table and the chart on the running scenario's report."""
    if not checks:
        return
    met = sum(check.met for check in checks)
    missed = f", {len(checks) - met} NOT MET" if met < len(checks) else ""
    # a failed threshold step ends the scenario: the thresholds after it are not checked
    caption = f"Performance: {len(checks)} thresholds checked, {met} met{missed}"
    attach_html(context, table_html(checks, figures), caption)
    png = chart_png(checks, caption)
    if png is not None:
        attach_png(context, png, "Performance: the margin of each threshold")
