"""The flows the Prefect peer runs (``bench/prefect_peer.py``), served by Prefect itself.

Run by the Prefect environment's Python, not the service's (it imports nothing of the
repository): ``python bench/prefect_flows.py <limit>`` serves two deployments with
``prefect.serve`` (Prefect's in-process runner: it polls its server for scheduled runs
and starts each in a process of its own, at most ``limit`` at once):

* ``noop/noop``: a flow that does nothing (the zero-work run, as the service's one-step
  crew of 0 s);
* ``steps/steps``: a flow sleeping ``count`` steps of ``seconds`` (a running flow to
  cancel, as the service's crew of 100 ms steps).
"""

from __future__ import annotations

import sys
import time

from prefect import flow, serve


@flow(name="noop")
def noop() -> None:
    return None


@flow(name="steps")
def steps(count: int = 600, seconds: float = 0.1) -> None:
    for _ in range(count):
        time.sleep(seconds)


if __name__ == "__main__":
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    serve(noop.to_deployment(name="noop"), steps.to_deployment(name="steps"), limit=limit)
