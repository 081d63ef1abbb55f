"""The mutation run's verdict (`.ci/mutation`): the score per module, the equivalent
mutants, and every survivor that is not listed as equivalent, with its change.

Run in the scratch project after ``mutmut run`` and ``mutation_tables.py``:
``mutation_report.py CONFIG TABLES_JSON EQUIVALENTS``. Exits 1 when a mutant survived
(or was never tested) and is not in the equivalents list, 0 otherwise.

A mutant counts as killed when a test failed, it hung (timeout) or it did not type-check.
The score of a module is killed / (mutants - equivalent). mutmut renumbers a function's
mutants when the function changes, so each mutmut entry in the equivalents list carries
the mutated line(s) it was written for (``+ ...``): an entry whose line no longer matches
excuses nothing.

The equivalents file: a mutant's name on a line of its own, then indented lines: ``+ the
mutated line`` (mutmut's mutants), and the reason the change cannot alter behaviour.
"""

from __future__ import annotations

import fnmatch
import json
import sys
import textwrap
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

KILLED = {"killed", "timeout", "caught by type check"}


@dataclass
class Equivalent:
    name: str
    lines: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)


def read_equivalents(path: Path) -> dict[str, Equivalent]:
    found: dict[str, Equivalent] = {}
    current: Equivalent | None = None
    for raw in path.read_text().splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if not raw[0].isspace():
            current = found[raw.strip()] = Equivalent(raw.strip())
        elif current is None:
            raise SystemExit(f"{path}: an indented line before any mutant: {raw!r}")
        elif raw.strip().startswith("+ "):
            current.lines.append(raw.strip()[2:].strip())
        else:
            current.why.append(raw.strip())
    if unexplained := [e.name for e in found.values() if not e.why]:
        raise SystemExit(f"{path}: no reason given for {unexplained}")
    return found


def mutmut_results() -> dict[str, tuple[str, str, Path]]:
    """mutant name -> (module, status, source path), from mutmut's files in ``mutants/``."""
    from mutmut.stats import status_by_exit_code

    found = {}
    for meta in sorted(Path("mutants").rglob("*.py.meta")):
        source = meta.relative_to("mutants").with_suffix("")
        module = ".".join(source.with_suffix("").parts[1:])
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            found[name] = (module, status_by_exit_code[code], source)
    return found


def mutated_lines(name: str, source: Path) -> list[str]:
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    diff = get_diff_for_mutant(name, path=source).splitlines()
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def main(config_path: str, tables_path: str, equivalents_path: str) -> int:
    config = tomllib.loads(Path(config_path).read_text())["tool"]["mutation"]
    out_of_scope: list[str] = config["out_of_scope"]
    equivalents = read_equivalents(Path(equivalents_path))

    results: dict[str, tuple[str, str]] = {}
    sources: dict[str, Path] = {}
    skipped: Counter[str] = Counter()
    for name, (module, status, source) in mutmut_results().items():
        if pattern := next((p for p in out_of_scope if fnmatch.fnmatchcase(name, p)), None):
            skipped[pattern] += 1
            continue
        results[name] = (module, status)
        sources[name] = source
    for name, found in json.loads(Path(tables_path).read_text()).items():
        results[name] = (found["module"], found["status"])

    excused: dict[str, Equivalent] = {}
    unexcused: dict[str, list[str]] = {}
    per_module: dict[str, Counter[str]] = defaultdict(Counter)
    for name, (module, status) in sorted(results.items()):
        per_module[module]["mutants"] += 1
        if status in KILLED:
            per_module[module]["killed"] += 1
            continue
        lines = mutated_lines(name, sources[name]) if name in sources else []
        entry = equivalents.get(name)
        added = [line[1:].strip() for line in lines if line.startswith("+")]
        if entry is not None and (name not in sources or entry.lines == added):
            excused[name] = entry
            per_module[module]["equivalent"] += 1
        else:
            if entry is not None:
                lines.append(f"(listed as equivalent for `+ {' / '.join(entry.lines)}`)")
            unexcused[name] = [f"[{status}]", *lines]
            per_module[module]["survived"] += 1

    print("Mutation score of the pure modules against the unit tests")
    print(f"  {'module':<36}{'mutants':>8}{'killed':>8}{'equiv.':>8}{'survived':>9}{'score':>8}")
    total: Counter[str] = Counter()
    for module, counts in sorted(per_module.items()):
        total.update(counts)
        print(_row(module, counts))
    print(_row("all", total))
    print("  score = killed / (mutants - equivalent); killed includes timeouts")
    if skipped:
        print("\nOut of scope, not run against the unit tests (see .ci/mutation.toml):")
        for pattern, count in skipped.items():
            print(f"  {count:4} mutants of {pattern}")
    if excused:
        print(f"\nEquivalent mutants (.ci/{Path(equivalents_path).name}): {len(excused)}")
        for name, entry in excused.items():
            print(f"  {name}")
            print(textwrap.indent(textwrap.fill(" ".join(entry.why), 88), "      "))
    if stale := sorted(set(equivalents) - set(excused)):
        print("\nListed as equivalent but not surviving now (killed, or renamed): remove them")
        for name in stale:
            print(f"  {name}")
    if unexcused:
        print(f"\nSURVIVORS not listed as equivalent: {len(unexcused)}")
        for name, lines in unexcused.items():
            print(f"  {name} {lines[0]}")
            for line in lines[1:]:
                print(f"      {line}")
        print("\nKill each with a unit test, or list it as equivalent with the reason.")
        return 1
    print("\nEvery mutant is killed or listed as equivalent.")
    return 0


def _row(module: str, counts: Counter[str]) -> str:
    scored = counts["mutants"] - counts["equivalent"]
    score = f"{100 * counts['killed'] / scored:.1f}%" if scored else "-"
    return (
        f"  {module:<36}{counts['mutants']:>8}{counts['killed']:>8}"
        f"{counts['equivalent']:>8}{counts['survived']:>9}{score:>8}"
    )


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
