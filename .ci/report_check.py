"""Open a living report in headless Chromium and check that it lists every feature.

    python .ci/report_check.py reports/html/embedded.html [--features features]
                               [--screenshot reports/html/embedded.png]

Chromium loads the page as a reader's browser would (its scripts run: the formatter
unpacks large attachments with JavaScript) and prints the rendered page
(``--dump-dom``); this counts the features listed there (their ``Feature: <name>``
title bars) and compares them with the ``.feature`` files under ``--features`` (the
run's ``paths``: the whole suite in CI). It fails, naming what is missing or extra, if
they differ, if a skipped scenario does not say why, or if the page cannot be
rendered. ``--screenshot`` also saves what the
top of the page looks like.

Debian's ``chromium`` package (``apt-get install -y chromium``; ``.ci/run`` installs it
if it is missing). About 5 seconds for the whole suite's page.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio"]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
FEATURE_LINE = re.compile(r"^\s*Feature:\s*(.+?)\s*$", re.MULTILINE)


class FeatureTitles(HTMLParser):
    """The names in the page's feature title bars (``div.feature-title``, whose first
    ``span`` reads ``Feature: <name>``); the skipped scenarios
    (``section.scenario-filter-container.skipped``, or ``.untested``) and the reasons
    given for them (a commentary line ``Skipped: <reason>``,
    ``support/report/formatter.py``)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.skipped = 0
        self.reasons = 0
        self._depth = 0  # > 0 inside a feature title bar
        self._text: list[str] | None = None
        self._commentary: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:  # no end tag follows
            return
        classes = (dict(attrs).get("class") or "").split()
        # the formatter's class for a scenario that never ran: "skipped", or "untested"
        # where nothing marked it skipped
        if "scenario-filter-container" in classes and {"skipped", "untested"} & set(classes):
            self.skipped += 1
        if tag == "pre" and "commentary" in classes:
            self._commentary = []
        if tag == "div" and "feature-title" in classes:
            self._depth = 1
        elif self._depth:
            self._depth += 1
            if tag == "span" and self._text is None:
                self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre" and self._commentary is not None:
            self.reasons += "".join(self._commentary).strip().startswith("Skipped: ")
            self._commentary = None
        if not self._depth or tag in VOID:
            return
        self._depth -= 1
        if self._text is not None and tag == "span":
            text = "".join(self._text).strip()
            if text.startswith("Feature:"):
                self.names.append(text.removeprefix("Feature:").strip())
            self._text = None
        if not self._depth:
            self._text = None

    def handle_data(self, data: str) -> None:
        if self._commentary is not None:
            self._commentary.append(data)
        if self._text is not None:
            self._text.append(data)


def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("no Chromium found: apt-get install -y chromium")


def rendered(page: Path) -> str:
    result = subprocess.run(
        [browser(), *FLAGS, "--dump-dom", page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
    )
    if result.returncode != 0 or "<body" not in result.stdout:
        raise SystemExit(f"Chromium could not render {page}:\n{result.stderr[-2000:]}")
    return result.stdout


def screenshot(page: Path, png: Path) -> None:
    png.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            browser(),
            *FLAGS,
            "--window-size=1400,1800",
            f"--screenshot={png.resolve()}",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        timeout=180,
        check=True,
    )


def expected_features(folder: Path) -> list[str]:
    names = []
    for path in sorted(folder.rglob("*.feature")):
        found = FEATURE_LINE.search(path.read_text(encoding="utf-8"))
        names.append(found.group(1) if found else f"(no Feature: line in {path})")
    return names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--features", type=Path, default=Path("features"))
    parser.add_argument("--screenshot", type=Path)
    args = parser.parse_args()
    if not args.report.is_file():
        print(f"no report at {args.report}: the run did not write it")
        return 1
    titles = FeatureTitles()
    titles.feed(rendered(args.report))
    listed, wanted = Counter(titles.names), Counter(expected_features(args.features))
    print(
        f"{args.report}: Chromium shows {sum(listed.values())} features; "
        f"{args.features}/ has {sum(wanted.values())} .feature files"
    )
    print(f"  {titles.skipped} scenarios skipped, {titles.reasons} with the reason shown")
    if args.screenshot:
        screenshot(args.report, args.screenshot)
    for name in sorted((wanted - listed).elements()):
        print(f"  missing from the page: {name}")
    for name in sorted((listed - wanted).elements()):
        print(f"  on the page, but no such feature file: {name}")
    if titles.reasons != titles.skipped:
        print("  a skipped scenario does not say why")
    return 0 if listed == wanted and titles.reasons == titles.skipped else 1


if __name__ == "__main__":
    sys.exit(main())
