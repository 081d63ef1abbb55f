"""Print `scenarios: N passed, N failed, N skipped` from JUnit reports (behave's and pytest's).

Arguments: folders of reports (every ``*.xml`` in them), or report files.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def count(folders: list[str]) -> tuple[int, int, int]:
    passed = failed = skipped = 0
    for folder in folders:
        path = Path(folder)
        for report in [path] if path.is_file() else sorted(path.glob("*.xml")):
            for case in ET.parse(report).getroot().iter("testcase"):
                if case.find("failure") is not None or case.find("error") is not None:
                    failed += 1
                elif case.find("skipped") is not None:
                    skipped += 1
                else:
                    passed += 1
    return passed, failed, skipped


if __name__ == "__main__":
    p, f, s = count(sys.argv[1:])
    print(f"scenarios: {p} passed, {f} failed, {s} skipped")
