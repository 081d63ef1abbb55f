"""Child processes of a run: started in a session of their own, tied to the run's life,
and stopped a whole process group at a time.

Shared by the benchmark's stack and the acceptance suite's services stack, which start
the same kinds of processes (the API, prefork Celery workers) and must leave none behind:

* each child leads its own session (``start_new_session``), so one ``killpg`` reaches
  what it forked too (a prefork worker's pool), and a Ctrl-C at the terminal reaches
  only the run, which then stops its children in order;
* each child gets SIGTERM when the process that started it dies (``PR_SET_PDEATHSIG``,
  Linux), so a run killed outright does not leave servers running;
* :func:`stop` asks politely (SIGTERM, a Celery warm shutdown), waits, then SIGKILLs
  whatever of each group is still alive, pool processes included.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil

_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """A ``preexec_fn``: the child gets SIGTERM when the process that started it dies."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def console_script(name: str) -> str | None:
    """The console script ``name`` installed beside this interpreter (in its venv), if any."""
    found = Path(sys.executable).parent / name
    return str(found) if found.exists() else None


def group_members(pgid: int) -> list[psutil.Process]:
    """The live (non-zombie) processes of a process group."""
    members = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                members.append(proc)
        except (OSError, psutil.Error):
            continue
    return members


def describe(proc: psutil.Process) -> str:
    """``pid (command line)``, for a message about a process left alive."""
    try:
        return f"{proc.pid} ({' '.join(proc.cmdline())[:120]})"
    except psutil.Error:
        return str(proc.pid)


@dataclass
class Child:
    """One process of a run, leader of its own process group, its output in ``log_path``."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes]

    @property
    def pgid(self) -> int:
        return self.popen.pid  # start_new_session: the child leads its own group

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pgid, signum)

    def survivors(self) -> list[psutil.Process]:
        """What is left of the group (the leader once reaped is not counted)."""
        self.popen.poll()  # reap the leader if it has exited
        return group_members(self.pgid)

    def processes(self) -> list[psutil.Process]:
        """The process and its descendants (a prefork worker's pool), oldest first."""
        try:
            main = psutil.Process(self.popen.pid)
            return [main, *sorted(main.children(recursive=True), key=lambda p: p.pid)]
        except psutil.Error:
            return []

    def tail(self, lines: int = 30) -> str:
        """The last ``lines`` of its log, indented, for an error message."""
        if not self.log.closed:
            self.log.flush()
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(f"    | {line}" for line in text[-lines:])


def launch(
    argv: Sequence[str], env: dict[str, str], log_path: Path, cwd: Path | None = None
) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    """Start ``argv`` in a session of its own that dies with this process; stdout and
    stderr appended to ``log_path``. Returns the process and the open log."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("ab")
    popen = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=die_with_parent,
    )
    return popen, log


def spawn(
    name: str, argv: Sequence[str], env: dict[str, str], log_path: Path, cwd: Path | None = None
) -> Child:
    """:func:`launch`, as a :class:`Child` called ``name``."""
    popen, log = launch(argv, env, log_path, cwd)
    return Child(name, popen, log_path, log)


def _wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True


def stop(children: Sequence[Child], grace: float = 15.0) -> None:
    """SIGTERM every child's group; after ``grace`` seconds SIGKILL what is left of each
    group (pool processes included); reap the leaders and close their logs."""
    for child in children:
        child.signal_group(signal.SIGTERM)
    _wait_until(lambda: not any(c.survivors() for c in children), timeout=grace)
    for child in children:
        if child.survivors():
            child.signal_group(signal.SIGKILL)
    _wait_until(lambda: not any(c.survivors() for c in children), timeout=5)
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.popen.wait(timeout=1)
        child.log.close()
