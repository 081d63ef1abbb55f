"""The living report's pure parts: thresholds kept and judged, their table and chart, and
the count of features in a rendered page (``.ci/report_check.py``)."""

from __future__ import annotations

import importlib.util
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest

from support.report.performance import chart_png, number, table_html
from support.thresholds import Check, check

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Scenario:
    checks: list[Check] = field(default_factory=list)


def load_report_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location("report_check", ROOT / ".ci/report_check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["report_check"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("measured", "bound", "limit", "met", "margin"),
    [
        (250.0, "at most", 500.0, True, 2.0),
        (500.0, "at most", 500.0, True, 1.0),
        (750.0, "at most", 500.0, False, 500 / 750),
        (80.0, "at least", 40.0, True, 2.0),
        (40.0, "at least", 40.0, True, 1.0),
        (20.0, "at least", 40.0, False, 0.5),
        (4.0, "under", 5.0, True, 1.25),
        (5.0, "under", 5.0, False, 1.0),
        (0.0, "at most", 50.0, True, math.inf),
    ],
)
def test_a_check_is_met_and_has_a_margin(
    measured: float, bound: str, limit: float, met: bool, margin: float
) -> None:
    found = Check("queue p95", measured, bound, limit, "ms")  # type: ignore[arg-type]
    assert found.met is met
    assert found.margin == pytest.approx(margin)


def test_a_check_is_kept_before_it_is_asserted() -> None:
    scenario = Scenario()
    check(scenario, "queue p95", 120, "at most", 500, "ms")
    with pytest.raises(AssertionError, match=r"status p95 ≤ 100 ms"):
        check(scenario, "status p95", 150, "at most", 100, "ms")
    assert [(c.figure, c.met) for c in scenario.checks] == [
        ("queue p95", True),
        ("status p95", False),
    ]


def test_the_table_shows_each_threshold_against_its_figure_and_every_figure() -> None:
    checks = [
        Check("queue calls per second", 193.2, "at least", 40, "/s"),
        Check("queue <p95>", 612.0, "at most", 500, "ms"),
    ]
    html = table_html(checks, {"users": 8, "queue_p50_ms": 25.46})
    assert "queue calls per second" in html and "193 /s" in html and "≥ 40 /s" in html
    assert "queue &lt;p95&gt;" in html and "612 ms" in html and "NOT MET" in html
    assert html.count(">met<") == 1
    assert "users" in html and "25.5" in html


def test_figures_read_as_a_person_reads_them() -> None:
    assert number(2000) == "2,000"
    assert number(612.345) == "612"
    assert number(25.46) == "25.5"
    assert number(3.14159) == "3.14"
    assert number(0.01234) == "0.012"
    assert number("prefork") == "prefork"


def test_the_chart_is_a_png() -> None:
    png = chart_png([Check("queue p95", 70, "at most", 500, "ms")], "1 of 1 met")
    assert png is not None and png.startswith(b"\x89PNG")


def test_the_rendered_page_lists_each_feature_title_once() -> None:
    titles = load_report_check().FeatureTitles()
    titles.feed(
        '<section><div class="feature-title flex-gap"><div class="feature-icon">'
        '<img src="x.png"></div><span>Feature: Urgent executions go first</span>'
        '<span class="feature-started">Started: today</span><span>Summary</span></div>'
        '<div class="scenario-name">Scenario: Feature: not a title</div></section>'
        '<section><div class="feature-title"><span>Feature: Tracking executions</span>'
        "</div></section>"
    )
    assert titles.names == ["Urgent executions go first", "Tracking executions"]


def test_the_rendered_page_counts_skipped_scenarios_and_their_reasons() -> None:
    titles = load_report_check().FeatureTitles()
    titles.feed(
        '<section class="scenario-filter-container skipped"><pre class="step-capsule '
        'commentary">Skipped: @use.with_stack=services: this run uses the embedded stack</pre>'
        '</section><section class="scenario-filter-container passed"></section>'
        '<section class="scenario-filter-container skipped"><div>Given x</div></section>'
    )
    assert (titles.skipped, titles.reasons) == (2, 1)


def test_the_check_expects_each_feature_file_of_the_folder(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.feature").write_text("@smoke\nFeature: One\n  Scenario: x\n")
    (tmp_path / "sub" / "b.feature").write_text("# comment\nFeature: Two\n")
    assert load_report_check().expected_features(tmp_path) == ["One", "Two"]
