"""``python -m bench``: the benchmark's command line (``execution-service bench`` runs it)."""

from __future__ import annotations

import argparse
import logging
import sys

from bench.options import add_arguments, from_args
from bench.run import run

DESCRIPTION = """\
Measure the service against raw Celery on a services stack the benchmark starts
itself (a fresh PostgreSQL database, a free Redis database number, the API and
N `celery worker` processes), and take it down at the end. Prints a table of the
figures, ratios and targets; writes reports/bench.json and reports/bench.png
(the chart needs matplotlib: pip install -e ".[bench]"). --quick: about a minute.
Beside it, the peers: Flower's async-apply (pip install -e ".[peers]") and Prefect 3
from an environment of its own (see the README); each skipped when absent.
Run it from a checkout: python -m bench (or execution-service bench).
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    if args.accounting:
        from bench.accounting import main as accounting

        return accounting()
    logging.basicConfig(level="WARNING", format="%(levelname)s %(name)s %(message)s")
    return run(from_args(args))


if __name__ == "__main__":
    sys.exit(main())
