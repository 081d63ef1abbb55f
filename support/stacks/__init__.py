"""The stacks the suite runs against: ``embedded`` (default) and ``services``.

Both offer the same surface (:class:`Stack`): ``start``, ``reset`` (fresh data between
scenarios), ``stop``, ``base_url``, ``database``, ``worker_slots``, ``redeliver`` (hand a
message to a worker again), ``running_workers`` (the hostnames of the workers answering),
``leftovers`` (what a run left while the stack is up), ``verify_clean`` (what is left
after ``stop``), and the operator's command line (``operator``: ``execution-service ...``
on the stack's settings). Each stack starts with two API keys, made the operator's way
(:func:`issue_key`): ``api_key``, the suite's own owner's, and ``operator_key``, an
operator's (admin).

* :mod:`support.stacks.embedded`: SQLite, the in-memory broker and worker threads, all in
  the test process;
* :mod:`support.stacks.services`: PostgreSQL, Redis, the API and two prefork workers as
  processes of their own;
* :mod:`support.stacks.database`: the suite's read-only view of either stack's store,
  plus the wipe between scenarios.
* :mod:`support.stacks.api_processes`: a second API of the services stack, run as
  several processes for one scenario (``Given the API runs as 4 processes``).

What only a stack of separate processes can suffer (a worker killed, restarted) is in
:mod:`support.faults.worker_processes`, as named operations.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from harness.processes import console_script

from .database import Database

if TYPE_CHECKING:
    from .services import ServicesTestStack


SUITE_OWNER = "suite"
OPERATORS = "operators"


@dataclass(frozen=True)
class CommandAnswer:
    """What an ``execution-service`` command said, and its exit code."""

    code: int
    out: str
    err: str


def service_command() -> list[str]:
    """How to run ``execution-service``: its console script, else the module."""
    script = console_script("execution-service")
    return [script] if script else [sys.executable, "-m", "execution_service.cli"]


def run_command(
    args: tuple[str, ...], cwd: Path, env: dict[str, str], timeout: float
) -> CommandAnswer:
    """``execution-service <args>`` to its end; one still running after ``timeout`` is
    killed and answers -9."""
    child = subprocess.Popen(
        [*service_command(), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
        return CommandAnswer(-9, out, err + f"\n(still running after {timeout:g} s)")
    return CommandAnswer(child.returncode, out, err)


@dataclass(frozen=True)
class IssuedKey:
    id: str
    secret: str


class Stack(Protocol):
    name: str
    base_url: str
    database: Database
    worker_slots: int
    api_key: str
    operator_key: str

    def operator(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 120.0
    ) -> CommandAnswer: ...
    def start(self) -> None: ...
    def reset(self) -> None: ...
    def stop(self) -> None: ...
    def redeliver(self, execution_id: str) -> None: ...
    def running_workers(self) -> list[str]: ...
    def leftovers(self) -> list[str]: ...
    def verify_clean(self) -> list[str]: ...


def make_stack(name: str, options: dict[str, Any]) -> Stack:
    """The stack called ``name``, configured from behave's userdata."""
    if name == "embedded":
        from .embedded import EmbeddedTestStack

        return EmbeddedTestStack(worker_slots=int(options.get("worker_slots", 4)))
    if name == "services":
        from .services import ServicesTestStack

        return ServicesTestStack(options)
    raise ValueError(f"unknown stack {name!r}: use embedded or services")


def services_stack(stack: Stack, needs: str) -> ServicesTestStack:
    """``stack`` as the services stack, for what only separate processes allow;
    ``needs`` says what (the failure then names the tag the scenario lacks)."""
    if stack.name != "services":
        raise AssertionError(
            f"{needs}, which the {stack.name} stack does not have: "
            "tag the scenario @use.with_stack=services"
        )
    return cast("ServicesTestStack", stack)


def issue_key(stack: Stack, owner: str, admin: bool = False) -> IssuedKey:
    """A new API key for ``owner``, made as an operator makes one:
    ``execution-service keys create --owner <owner> [--admin]``."""
    answer = stack.operator("keys", "create", "--owner", owner, *(["--admin"] if admin else []))
    found = re.search(r"id ([0-9a-f-]{36})", answer.err)
    if answer.code != 0 or found is None:
        raise RuntimeError(f"keys create --owner {owner} failed ({answer.code}): {answer.err}")
    return IssuedKey(found.group(1), answer.out.strip())
