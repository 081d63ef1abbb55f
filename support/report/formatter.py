"""behave's HTML report for this suite: one self-contained page per stack.

behave-html-pretty-formatter renders the features as a product owner reads them: each
feature with its narrative, its scenarios (``Rule:`` and outlines included), their
steps, tags and durations, in one file with its CSS and JavaScript inline. This
subclass adds what the suite needs:

* every run but a dry run writes it, whatever ``-f``/``--format`` says:
  ``environment.py``'s ``before_all`` adds it to the run's formatters
  (:func:`add_to_run`), to the file the userdata ``living_report`` names
  (``behave.ini``: ``reports/html/{stack}.html``, ``{stack}`` being ``embedded`` or
  ``services``), so the two runs of ``.ci/run`` leave two pages side by side. (Formats
  named in ``behave.ini`` would not do: behave adds the command line's ``-f`` to them
  instead of replacing them, and checks them before the repository is on ``sys.path``.)
* every skipped scenario says why (behave keeps the reason on the scenario; JUnit and
  the formatter drop it): the active tag ``@use.with_stack=...`` and the stack, a
  missing prerequisite (``crewai`` not installed), or the run's tag filter;
* the title names the stack, the commit, the crewai and Python versions the run used,
  and a contents list under the summary links to each feature, coloured by its outcome;
* :func:`attach_html` and :func:`attach_png` put a table or a chart on the scenario that
  is running (the @performance figures against their thresholds:
  ``support/report/performance.py``).
"""

from __future__ import annotations

import base64
import subprocess
import sys
from importlib import metadata
from typing import Any

from behave.formatter.base import StreamOpener
from behave.model_core import Status
from behave_html_pretty_formatter import PrettyHTMLFormatter
from behave_html_pretty_formatter.html_pretty import Step
from dominate.tags import a, div, span

# the contents list's colour of a feature, by its outcome
OUTCOME_COLOURS = {"passed": "#2e7d32", "failed": "#c62828", "skipped": "#5c7cba"}


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _commit() -> str:
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return found.stdout.strip() or "unknown"


class LivingReport(PrettyHTMLFormatter):
    """The pretty HTML page of one stack's run, with skip reasons and attachments."""

    name = "html-living"  # its options in the userdata: behave.formatter.html-living.*
    description = "HTML report per stack, with skip reasons and performance figures"

    def __init__(self, stream_opener: StreamOpener, config: Any, stack: str) -> None:
        super().__init__(stream_opener, config)
        self.tag_expression = config.tag_expression
        self.run_tags = " ".join(config.tags or [])
        self.title_string = (
            f"crew-execution: the features on the {stack} stack"
            f" (commit {_commit()}, crewai {_version('crewai')},"
            f" Python {sys.version.split()[0]})"
        )

    def skip_reason(self, scenario: Any) -> str:
        """Why behave skipped ``scenario`` (a behave model scenario)."""
        for holder in (scenario, getattr(scenario, "rule", None), scenario.feature):
            reason = getattr(holder, "skip_reason", None)
            if reason:
                return str(reason)
        if not self.tag_expression.check(scenario.effective_tags):
            return f"not selected by this run's tags: {self.run_tags}"
        return "skipped before it started (see the run's log)"

    def _explain_skips(self) -> None:
        for feature in self.features:
            for scenario in feature.scenarios:
                # behave's own scenario has the final status (the formatter's copy of
                # a scenario that never started stays "untested")
                if scenario._scenario.status != Status.skipped or not scenario.steps:
                    continue
                scenario.status = Status.skipped
                # a commentary line at the top of the scenario, where it is seen first
                reason = self.skip_reason(scenario._scenario)
                note = Step("", "", f"Skipped: {reason}", None, scenario)
                note.set_commentary()
                scenario.steps.insert(0, note)

    def _generate_global_summary(self) -> bool:
        """The formatter's summary of the run, then a contents list: each feature, linked
        to its place on the page, coloured by its outcome, with its scenarios' counts."""
        shown = bool(super()._generate_global_summary())
        with div(style="padding:4px 14px 10px;columns:2 420px;font-size:90%"):
            for feature in self.features:
                counts = ", ".join(
                    f"{n} {word.lower()}" for word, n in feature.get_feature_stats().items() if n
                )
                with div():
                    colour = OUTCOME_COLOURS.get(feature.status.name, "inherit")
                    a(feature.name, href=f"#f{feature.counter}", style=f"color:{colour}")
                    span(f" ({counts})" if counts else "")
        return shown

    def close(self) -> None:
        if not self._closed:
            self._explain_skips()
        super().close()


def add_to_run(context: Any, stack: str) -> None:
    """Write this run's living report where the userdata ``living_report`` says."""
    config = context.config
    path = config.userdata.get("living_report", "")
    if not path or config.dry_run:
        return
    opener = StreamOpener(filename=path.replace("{stack}", stack))
    context._runner.formatters.append(LivingReport(opener, config, stack))


def _formatter(context: Any) -> LivingReport | None:
    runner = getattr(context, "_runner", None)
    for formatter in getattr(runner, "formatters", None) or []:
        if isinstance(formatter, LivingReport):
            return formatter
    return None


def attach_html(context: Any, html: str, caption: str) -> None:
    """Put an HTML fragment on the running scenario's report (nothing without a report)."""
    formatter = _formatter(context)
    if formatter is not None:
        formatter.embed("text/html", html, caption=caption, download_button=False)


def attach_png(context: Any, png: bytes, caption: str) -> None:
    """Put a PNG image on the running scenario's report (nothing without a report)."""
    formatter = _formatter(context)
    if formatter is not None:
        formatter.embed("image/png", base64.b64encode(png).decode("ascii"), caption=caption)
