"""features/README.md names every feature file and explains every tag the features use.

The page is the product owner's map of the specification; a feature or a tag added
without a line there would be a behaviour nobody finds.
"""

from __future__ import annotations

import re
from pathlib import Path

FEATURES = Path(__file__).resolve().parents[2] / "features"
README = FEATURES / "README.md"

# a tag starts a line (after indentation) or follows a space on a tag line; comments
# (`# ...`) on tag lines are dropped first
TAG = re.compile(r"(?:^|\s)(@[\w.=-]+)")


def feature_files() -> list[str]:
    return sorted(p.relative_to(FEATURES).as_posix() for p in FEATURES.rglob("*.feature"))


def tags_used() -> set[str]:
    found: set[str] = set()
    for path in FEATURES.rglob("*.feature"):
        for line in path.read_text().splitlines():
            text = line.split("#", 1)[0].strip()
            if text.startswith("@"):
                found.update(TAG.findall(text))
    return found


def test_there_are_features_to_document() -> None:
    assert len(feature_files()) > 30
    assert "@performance" in tags_used()


def test_every_feature_file_is_described() -> None:
    text = README.read_text()
    missing = [name for name in feature_files() if f"`{name}`" not in text]
    assert missing == [], f"features/README.md does not describe: {missing}"


def test_every_tag_is_explained() -> None:
    text = README.read_text()
    missing = sorted(tag for tag in tags_used() if f"`{tag}`" not in text)
    assert missing == [], f"features/README.md does not explain the tags: {missing}"
