"""Mutants of the pure modules' tables, run against the unit tests (`.ci/mutation`).

mutmut 3 mutates only the code inside functions, yet much of what the pure modules decide
is data: the status machine (``ALLOWED``), the priorities' ranks, each error code's
category and retryability, the secret patterns. This makes their mutants the same way:
for each table named in ``[tool.mutation.tables]`` of ``.ci/mutation.toml``,

- a dict loses one entry; a set or a list loses one element;
- a set of enum members gains each member of that enum it lacks;
- an int is moved by one; a bool is flipped;
- an enum member inside a tuple becomes the enum's next member (a code's category);
- a text inside a tuple is changed (a replacement, a message).

Each mutant is a changed copy of the module's source. The unit tests run once per mutant
(``pytest -x``) in a process forked from one that has already imported pytest and the
libraries the tests use, with an import hook serving the mutated source for that module:
the tests fail (killed), pass (survived) or hang (timeout, counted as killed).

Usage: ``mutation_tables.py CONFIG RESULTS_JSON`` in the scratch project (``src/``,
``tests/``); the mutant names read ``<module>.<table><where>: <change>``.
"""

from __future__ import annotations

import ast
import enum
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import signal
import sys
import time
import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

PYTEST_ARGS = ["-x", "-q", "-p", "no:cacheprovider", "--hypothesis-seed=0"]
TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class Mutant:
    name: str
    module: str
    source: str


def _text(node: ast.AST, limit: int = 60) -> str:
    found = ast.unparse(node)
    return found if len(found) <= limit else found[: limit - 1] + "…"


def _member(node: ast.expr, namespace: dict[str, Any]) -> enum.Enum | None:
    """The enum member a name or ``Enum.MEMBER`` expression stands for, if it is one."""
    if not isinstance(node, (ast.Name, ast.Attribute)):
        return None
    try:
        value = eval(compile(ast.Expression(node), "<table>", "eval"), dict(namespace))
    except Exception:
        return None
    return value if isinstance(value, enum.Enum) else None


def _spelled(member: enum.Enum) -> ast.expr:
    return ast.Attribute(ast.Name(type(member).__name__, ast.Load()), member.name, ast.Load())


def _replaced(items: list[ast.expr], index: int, new: ast.expr | None) -> list[ast.expr]:
    """``items`` with the one at ``index`` replaced by ``new``, or dropped for None."""
    return [*items[:index], *([new] if new is not None else []), *items[index + 1 :]]


Variants = Iterator[tuple[str, ast.expr]]


def _dict_variants(node: ast.Dict, where: str, namespace: dict[str, Any]) -> Variants:
    for i, (key, value) in enumerate(zip(node.keys, node.values, strict=True)):
        label = _text(key) if key is not None else f"**{_text(value)}"
        keys = [k for j, k in enumerate(node.keys) if j != i]
        yield f"{where}: drop {label}", ast.Dict(keys, _replaced(node.values, i, None))
        for change, new in variants(value, f"{where}[{label}]", namespace):
            yield change, ast.Dict(node.keys, _replaced(node.values, i, new))


def _collection_variants(
    node: ast.Set | ast.List, where: str, namespace: dict[str, Any]
) -> Variants:
    def rebuilt(elements: list[ast.expr]) -> ast.expr:
        if isinstance(node, ast.List):
            return ast.List(elements, ast.Load())
        # an empty set literal would read as a dict
        return ast.Set(elements) if elements else ast.Call(ast.Name("set", ast.Load()), [], [])

    for i, element in enumerate(node.elts):
        yield f"{where}: drop {_text(element)}", rebuilt(_replaced(node.elts, i, None))
        if isinstance(element, ast.Tuple):
            for change, new in variants(element, f"{where}[{i}]", namespace):
                yield change, rebuilt(_replaced(node.elts, i, new))
    members = [_member(e, namespace) for e in node.elts]
    present = [m for m in members if m is not None]
    if isinstance(node, ast.Set) and present and len(present) == len(members):
        kinds = {type(m) for m in present}
        for missing in [m for m in kinds.pop() if m not in present] if len(kinds) == 1 else []:
            yield (
                f"{where}: add {_text(_spelled(missing))}",
                rebuilt([*node.elts, _spelled(missing)]),
            )


def _tuple_variants(node: ast.Tuple, where: str, namespace: dict[str, Any]) -> Variants:
    for i, element in enumerate(node.elts):
        for change, new in variants(element, f"{where}[{i}]", namespace, in_tuple=True):
            yield change, ast.Tuple(_replaced(node.elts, i, new), ast.Load())


def variants(
    node: ast.expr, where: str, namespace: dict[str, Any], in_tuple: bool = False
) -> Variants:
    """Every single change to ``node``: (what changed, the changed copy)."""
    if isinstance(node, ast.Dict):
        yield from _dict_variants(node, where, namespace)
    elif isinstance(node, (ast.Set, ast.List)):
        yield from _collection_variants(node, where, namespace)
    elif isinstance(node, ast.Tuple):
        yield from _tuple_variants(node, where, namespace)
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {"frozenset", "set"}
        and len(node.args) == 1
    ):
        for change, new in variants(node.args[0], where, namespace):
            yield change, ast.Call(node.func, [new], [])
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        yield f"{where}: {node.value} -> {not node.value}", ast.Constant(not node.value)
    elif isinstance(node, ast.Constant) and isinstance(node.value, int):
        yield f"{where}: {node.value} -> {node.value + 1}", ast.Constant(node.value + 1)
    elif in_tuple and isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield f"{where}: {_text(node, 40)} -> 'XX…XX'", ast.Constant(f"XX{node.value}XX")
    elif in_tuple and (member := _member(node, namespace)) is not None:
        members = list(type(member))
        following = members[(members.index(member) + 1) % len(members)]
        yield f"{where}: {_text(node)} -> {_text(_spelled(following))}", _spelled(following)


def _splice(source: str, node: ast.expr, replacement: ast.expr) -> str:
    lines = source.splitlines(keepends=True)
    assert node.end_lineno is not None and node.end_col_offset is not None
    before = "".join(lines[: node.lineno - 1]) + lines[node.lineno - 1][: node.col_offset]
    after = lines[node.end_lineno - 1][node.end_col_offset :] + "".join(lines[node.end_lineno :])
    return before + ast.unparse(replacement) + after


def mutants_of(module: ModuleType, tables: list[str]) -> list[Mutant]:
    path = Path(module.__file__ or "")
    source = path.read_text()
    found, seen = [], set()
    for statement in ast.parse(source).body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target, value = statement.target, statement.value
        else:
            continue
        if not isinstance(target, ast.Name) or target.id not in tables:
            continue
        seen.add(target.id)
        where = f"{module.__name__}.{target.id}"
        for change, new in variants(value, where, vars(module)):
            found.append(Mutant(change, module.__name__, _splice(source, value, new)))
    if missing := set(tables) - seen:
        raise SystemExit(f"{module.__name__}: no module-level {sorted(missing)} to mutate")
    return found


class _Overlay(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the mutated source for one module; every other import goes on as usual."""

    def __init__(self, mutant: Mutant, origin: str) -> None:
        self.mutant, self.origin = mutant, origin

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != self.mutant.module:
            return None
        return importlib.util.spec_from_loader(fullname, self, origin=self.origin)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        module.__file__ = self.origin
        exec(compile(self.mutant.source, self.origin, "exec"), module.__dict__)


def test_files(module: str) -> list[list[str]]:
    """The unit test files in two runs: those named after the module (``status`` ->
    ``test_status*.py``), which kill most of its mutants fast, then all the others."""
    files = sorted(str(p) for p in Path("tests/unit").glob("test_*.py"))
    own = [f for f in files if Path(f).name.startswith(f"test_{module.rsplit('.', 1)[1]}")]
    return [run for run in (own, [f for f in files if f not in own]) if run]


def _run_in_child(mutant: Mutant, origin: str) -> None:
    """Run the tests named after the module first, the others only if those all pass."""
    import pytest

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.meta_path.insert(0, _Overlay(mutant, origin))
    code = 0
    try:
        for files in test_files(mutant.module):
            code = int(pytest.main([*PYTEST_ARGS, *files]))
            if code != 0:
                break
    except BaseException:
        code = 3
    os._exit(code)


def _warm_up() -> None:
    """Import pytest and what the unit tests import (not the project): children start fast."""
    import pytest

    before = set(sys.modules)
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1), os.dup(2)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "tests/unit"])
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
    ours = ("execution_service", "conftest", "test_", "tests")
    for name in set(sys.modules) - before:
        if name.split(".")[0].startswith(ours):
            del sys.modules[name]


def run(mutants: list[Mutant], origins: dict[str, str], workers: int, label: str) -> dict[str, str]:
    """Each mutant's verdict: killed, survived, timeout, or suspicious (pytest's other exits)."""
    verdicts: dict[str, str] = {}
    running: dict[int, tuple[Mutant, float]] = {}
    waiting = list(reversed(mutants))
    while waiting or running:
        while waiting and len(running) < workers:
            mutant = waiting.pop()
            pid = os.fork()
            if pid == 0:
                _run_in_child(mutant, origins[mutant.module])
            running[pid] = (mutant, time.monotonic())
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            time.sleep(0.05)
            for late, (mutant, started) in list(running.items()):
                if time.monotonic() - started > TIMEOUT_SECONDS:
                    os.kill(late, signal.SIGKILL)
                    os.waitpid(late, 0)
                    verdicts[mutant.name] = "timeout"
                    del running[late]
            continue
        if pid not in running:
            continue
        mutant, _ = running.pop(pid)
        code = os.waitstatus_to_exitcode(status)
        # 1: a test failed; 2: collection failed (the mutant broke an import); 3: it crashed
        verdicts[mutant.name] = {0: "survived", 1: "killed", 2: "killed", 3: "killed"}.get(
            code, "suspicious"
        )
        if sys.stdout.isatty():
            print(f"\r    {len(verdicts)}/{len(mutants)}", end="", flush=True)
    counts = ", ".join(f"{n} {verdict}" for verdict, n in Counter(verdicts.values()).items())
    print(f"\r    {len(verdicts)} {label}: {counts}")
    return verdicts


def main(config_path: str, results_path: str) -> None:
    config = tomllib.loads(Path(config_path).read_text())
    tables: dict[str, list[str]] = config["tool"]["mutation"]["tables"]
    sys.path.insert(0, str(Path("src").resolve()))
    mutants, origins = [], {}
    for module_name, names in tables.items():
        module = importlib.import_module(module_name)
        origins[module_name] = str(module.__file__)
        mutants += mutants_of(module, names)
    for name in [m for m in sys.modules if m.split(".")[0] == "execution_service"]:
        del sys.modules[name]
    if len({m.name for m in mutants}) != len(mutants):
        raise SystemExit("two table mutants share a name")
    _warm_up()
    # the same machinery with nothing changed must pass, or no verdict means anything
    unchanged = [Mutant(name, name, Path(path).read_text()) for name, path in origins.items()]
    if set(run(unchanged, origins, 1, "unchanged modules").values()) != {"survived"}:
        raise SystemExit("the unit tests fail without any mutant: fix them first")
    verdicts = run(mutants, origins, os.cpu_count() or 2, "table mutants")
    Path(results_path).write_text(
        json.dumps({m.name: {"module": m.module, "status": verdicts[m.name]} for m in mutants})
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
