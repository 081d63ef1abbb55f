"""What ``watch`` (and ``queue --follow``) shows while an execution runs.

On a terminal: a live progress bar (rich) with the status, the percentage, the current
task and the time elapsed, and one line above it per status change and per task
finished. Elsewhere (a pipe, a file, CI): the same news as plain lines, one per status
change, task start and end, and progress step of at least ``PLAIN_STEP`` percent, so a
log reads well and a script can ``grep`` it. Both write to stderr: stdout carries only
what a script wants (the execution's id, its result).
"""

from __future__ import annotations

from typing import IO, Any, Protocol, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

PLAIN_STEP = 10.0  # percent between two plain progress lines


def status_line(status: str, data: dict[str, Any]) -> str:
    """One status change, as a person reads it: the status, the attempt when it runs,
    the history's message (a retry's reason and wait), a final error's code."""
    line = status
    if status == "running" and data.get("attempt"):
        line += f" (attempt {data['attempt']})"
    error = data.get("error") or {}
    if error.get("code"):
        line += f": {error['code']}: {error.get('message') or ''}".rstrip(": ")
    elif data.get("message") and status not in ("running", "queued"):
        line += f": {data['message']}"
    return line


def progress_line(percent: float, task: str | None, width: int = 20) -> str:
    """``[#####               ]  25% research``: a bar of ``width`` characters."""
    filled = max(0, min(width, int(percent * width // 100)))
    bar = "#" * filled + " " * (width - filled)
    return f"[{bar}] {percent:3.0f}% {task or ''}".rstrip()


class Display(Protocol):
    def status(self, status: str, data: dict[str, Any]) -> None: ...
    def task_started(self, task: str) -> None: ...
    def task_completed(self, task: str) -> None: ...
    def progress(self, percent: float, task: str | None) -> None: ...
    def close(self) -> None: ...


class PlainDisplay:
    """Plain lines (see the module's docstring)."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self._shown: float | None = None

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def status(self, status: str, data: dict[str, Any]) -> None:
        self._print(status_line(status, data))
        if status == "running":
            self._shown = None

    def task_started(self, task: str) -> None:
        self._print(f"  task {task} started")

    def task_completed(self, task: str) -> None:
        self._print(f"  task {task} completed")

    def progress(self, percent: float, task: str | None) -> None:
        last = self._shown
        if last is not None and (percent <= last or (percent < last + PLAIN_STEP < 100)):
            return
        self._shown = percent
        self._print("  " + progress_line(percent, task))

    def close(self) -> None:
        return None


class BarDisplay:
    """A live progress bar on a terminal (see the module's docstring)."""

    def __init__(self, console: Console, execution_id: str) -> None:
        self.console = console
        self._progress = Progress(
            SpinnerColumn(finished_text="[green]✓"),
            TextColumn("[bold]{task.fields[status]:<9}"),
            BarColumn(bar_width=30),
            TaskProgressColumn(),
            TextColumn("{task.fields[current]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._task: TaskID = self._progress.add_task(
            execution_id, total=100, status="queued", current=""
        )
        self._progress.start()

    def status(self, status: str, data: dict[str, Any]) -> None:
        style = {"completed": "green", "failed": "red", "timed_out": "red"}.get(status, "cyan")
        self._progress.console.print(f"[{style}]{status_line(status, data)}[/]")
        fields: dict[str, Any] = {"status": status}
        if status == "completed":
            fields.update(completed=100, current="")
        self._progress.update(self._task, **fields)
        if status in ("completed", "failed", "cancelled", "timed_out"):
            self._progress.stop_task(self._task)

    def task_started(self, task: str) -> None:
        self._progress.update(self._task, current=task)

    def task_completed(self, task: str) -> None:
        self._progress.console.print(f"  [green]✓[/] task {task}")

    def progress(self, percent: float, task: str | None) -> None:
        self._progress.update(self._task, completed=percent, current=task or "")

    def close(self) -> None:
        self._progress.stop()


def make_display(execution_id: str, err: TextIO | None = None) -> Display:
    """A bar when stderr is a terminal, plain lines otherwise."""
    console = Console(file=err, stderr=err is None, highlight=False)
    if console.is_terminal and not console.is_dumb_terminal:
        return BarDisplay(console, execution_id)
    return PlainDisplay(console.file)
