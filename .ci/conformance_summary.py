"""One line from a schemathesis NDJSON report (``--report ndjson``): its requests, test
cases, failed checks and server errors, e.g.
``1234 requests, 567 test cases, 0 failures, 0 server errors``.

Usage: python .ci/conformance_summary.py REPORT.ndjson
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def summary(report: Path) -> str:
    requests = 0
    cases: set[str] = set()
    failed: Counter[str] = Counter()
    server_errors = 0
    for line in report.read_text().splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder", {})
        cases.update(recorder.get("cases", {}))
        for interaction in recorder.get("interactions", {}).values():
            response = interaction.get("response") or {}
            requests += 1
            if int(response.get("status_code", 0)) >= 500:
                server_errors += 1
        for checks in recorder.get("checks", {}).values():
            for check in checks:
                if check.get("status") == "failure":
                    failed[check["name"]] += 1
    failures = sum(failed.values())
    which = f" ({', '.join(f'{n}: {c}' for n, c in sorted(failed.items()))})" if failed else ""
    return (
        f"{requests} requests, {len(cases)} test cases, {failures} failures, "
        f"{server_errors} server errors{which}"
    )


if __name__ == "__main__":
    path = Path(sys.argv[1])
    print(summary(path) if path.exists() else "no report: schemathesis did not run")
