"""The process environment real crewai is imported into: offline, with its files in a
folder the worker owns.

crewai reads its telemetry and tracing switches when it is imported, so these are set
before the import (``crews.crewai.loading`` does it, once per process).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from execution_service.config import get_settings

# no telemetry, tracing or other outbound traffic from a worker (crewai reads these at import)
OFFLINE_ENVIRONMENT = {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "OTEL_SDK_DISABLED": "true",
    "CREWAI_TRACING_ENABLED": "false",
}


def crewai_home() -> Path:
    """Where crewai keeps its files: ``EXEC_CREWAI_HOME``, else a per-user temp folder."""
    configured = get_settings().crewai_home
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / f"crew-execution-{os.getuid()}" / "crewai"


def prepare_environment(home: Path) -> None:
    """Before crewai is imported: no telemetry, and its files in a folder the worker owns."""
    os.environ.update(OFFLINE_ENVIRONMENT)
    (home / "data").mkdir(parents=True, exist_ok=True)
    os.environ["HOME"] = str(home)  # ~/.config/crewai, ~/.local/share/crewai
    os.environ["XDG_DATA_HOME"] = str(home / "data")
    os.environ["CREWAI_STORAGE_DIR"] = str(home / "data" / "crew-execution")
