"""Secrets out of text: API keys, bearer and basic credentials, passwords in URLs and
``key=``/``token=`` parameters are replaced before text is shown or stored."""

from __future__ import annotations

import re

_SECRETS = [
    (re.compile(r"\b(sk|pk|rk)-[A-Za-z0-9_\-]{8,}"), r"\1-[REDACTED]"),
    (
        re.compile(r"\b(sk-ant|xox[abpr]|ghp|gho|github_pat|glpat)[-_][A-Za-z0-9_\-]{6,}"),
        "[REDACTED]",
    ),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "[REDACTED]"),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"), "[REDACTED]"),
    (re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=\-]{6,}"), r"\1 [REDACTED]"),
    # the user may be empty: Redis URLs carry only a password (``redis://:secret@host``)
    (re.compile(r"(?i)(://[^/\s:@]*:)[^@\s/]+@"), r"\1[REDACTED]@"),
    (
        re.compile(
            r"(?i)([?&;\s\"']?(?:api[_-]?key|access[_-]?token|token|secret|password|passwd|"
            r"key|auth|signature|sig|client[_-]?secret)[\"']?\s*[=:]\s*[\"']?)"
            r"[^\s&\"',;}]{4,}"
        ),
        r"\1[REDACTED]",
    ),
]


def redact(text: str, limit: int = 2000) -> str:
    """Remove API keys, tokens, passwords and credentials in URLs from ``text``."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
