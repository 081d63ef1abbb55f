"""Check that every package installed in this virtualenv is pinned in constraints.txt.

    .venv/bin/python .ci/pinned.py constraints.txt

``pip install -c constraints.txt`` pins only what the file lists: a dependency added to
pyproject.toml without regenerating the file (``.ci/constraints``) would install at
whatever version is newest that day, and CI and a newcomer would test different sets.
This fails, naming each such package, if one is installed but not pinned, or installed
at another version than its pin. The project itself and pip's own tools are left out.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)(?:\s*;\s*(.+))?$")
OWN = {"crew-execution", "pip", "setuptools", "wheel"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, set[str]]:
    """Each pinned package's versions (several where markers choose by Python version)."""
    found: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            found.setdefault(canonical(match.group(1)), set()).add(match.group(2))
    return found


def main() -> int:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "constraints.txt")
    pinned = pins(path)
    problems = []
    for dist in metadata.distributions():
        name = canonical(dist.metadata["Name"])
        if name in OWN:
            continue
        if name not in pinned:
            problems.append(f"{name} {dist.version} is installed but not pinned in {path}")
        elif dist.version not in pinned[name]:
            wanted = " or ".join(sorted(pinned[name]))
            problems.append(f"{name} is installed at {dist.version}, pinned at {wanted}")
    for problem in sorted(problems):
        print(problem)
    if problems:
        print(f"regenerate {path} with .ci/constraints, then reinstall with -c {path}")
        return 1
    print(f"every installed package is pinned in {path} ({len(pinned)} pins)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
