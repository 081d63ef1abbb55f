"""The client commands' exit codes: what a script running ``execution-service watch`` (or
``queue --follow``) can tell from ``$?`` alone.

=====  ==============================================================================
code   meaning
=====  ==============================================================================
0      the execution completed (or the command did what it was asked: queued, cancelled)
1      the execution failed (its error code and message are printed)
2      the command line is wrong (argparse's own code), or no API key was given
3      the execution was cancelled
4      the execution timed out (``EXECUTION_TIMEOUT`` or ``QUEUE_TIMEOUT``)
5      the API refused the request: its HTTP status, error code and message are printed
6      the API could not be reached at the URL (or stayed away while watching)
130    interrupted (Ctrl-C) while watching: the execution goes on
=====  ==============================================================================
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    COMPLETED = 0
    FAILED = 1
    USAGE = 2
    CANCELLED = 3
    TIMED_OUT = 4
    REFUSED = 5
    UNREACHABLE = 6
    INTERRUPTED = 130


FINAL_STATUSES = frozenset({"completed", "failed", "cancelled", "timed_out"})

_BY_STATUS = {
    "completed": ExitCode.COMPLETED,
    "failed": ExitCode.FAILED,
    "cancelled": ExitCode.CANCELLED,
    "timed_out": ExitCode.TIMED_OUT,
}


def exit_code_of(status: str) -> ExitCode:
    """The exit code of an execution that ended in ``status``; ValueError for a status
    that is not final (the command goes on watching such an execution)."""
    try:
        return _BY_STATUS[status]
    except KeyError:
        raise ValueError(f"{status!r} is not a final status") from None
