"""Keeps provider secrets out of the library's logs.

crewai logs provider errors verbatim, and providers may repeat the key they were
sent; a logging filter passes every record through ``errors.redact`` first.
"""

from __future__ import annotations

import logging

from execution_service.errors.redact import redact


class RedactSecrets(logging.Filter):
    """crewai logs provider errors verbatim, and providers may repeat the key they were sent."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, limit=10_000)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def redact_library_logs(prefix: str) -> None:
    """On the root logger (crewai calls ``logging.error``) and the library's own loggers."""
    secrets_filter = RedactSecrets()
    logging.getLogger().addFilter(secrets_filter)
    for name in list(logging.Logger.manager.loggerDict):
        if name == prefix or name.startswith(prefix + "."):
            logging.getLogger(name).addFilter(secrets_filter)
