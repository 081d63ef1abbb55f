"""An execution's metadata: the caller's own string labels (``customer=acme``), given at
queueing, and the listing's filters on them (``?metadata.customer=acme``): pure, no SQL.

The bounds keep every pair one index entry of the store's metadata table (PostgreSQL's
B-tree holds an entry of up to about 2.7 kB: an owner of 200 ASCII characters, a key of
64 and a value of 512 characters of up to 4 bytes each fit).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_KEYS = 20
MAX_KEY_CHARS = 64
MAX_VALUE_CHARS = 512
KEY_PATTERN = rf"^[A-Za-z0-9_.-]{{1,{MAX_KEY_CHARS}}}$"
"""A key: 1 to 64 letters, digits, ``_``, ``.`` or ``-`` (URL-safe as a query name)."""

_KEY = re.compile(KEY_PATTERN)
_PREFIX = "metadata"


class MetadataError(ValueError):
    """A metadata key, value or filter that is refused; ``field`` names it
    (``metadata.customer``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _shown(key: str) -> str:
    """A key as an error names it: a long one cut short."""
    return key if len(key) <= MAX_KEY_CHARS else key[:MAX_KEY_CHARS] + "..."


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a metadata key; None when it is one."""
    if _KEY.fullmatch(key):
        return None
    return f"a key is 1 to {MAX_KEY_CHARS} characters, each a letter, a digit, '_', '.' or '-'"


def value_problem(value: str) -> str | None:
    """Why ``value`` is not a metadata value; None when it is one."""
    if len(value) > MAX_VALUE_CHARS:
        return f"a value is at most {MAX_VALUE_CHARS} characters; this one has {len(value)}"
    if "\x00" in value:
        return "a value must not contain the NUL character"
    return None


def check(metadata: dict[str, str]) -> dict[str, str]:
    """``metadata`` if every key and value is one; else :class:`MetadataError` naming the
    first that is not (``metadata.<key>``), or ``metadata`` for too many keys."""
    if len(metadata) > MAX_KEYS:
        raise MetadataError(
            _PREFIX, f"at most {MAX_KEYS} keys are accepted; {len(metadata)} were given"
        )
    for key, value in metadata.items():
        problem = key_problem(key) or value_problem(value)
        if problem:
            raise MetadataError(f"{_PREFIX}.{_shown(key)}", problem)
    return metadata


def filter_key(name: str) -> str | None:
    """The metadata key a query parameter's name filters on: ``metadata.<key>`` (the
    documented spelling) or ``metadata[<key>]`` (OpenAPI's deepObject); None for a
    parameter of another name. ``metadata`` alone, or ``metadata[`` unclosed, is a
    filter without a key: :class:`MetadataError`."""
    if name == _PREFIX:
        raise MetadataError(_PREFIX, "name a key: metadata.<key>=<value>")
    if name.startswith(_PREFIX + "."):
        return name[len(_PREFIX) + 1 :]
    if name.startswith(_PREFIX + "["):
        if not name.endswith("]"):
            raise MetadataError(_shown(name), "name a key: metadata.<key>=<value>")
        return name[len(_PREFIX) + 1 : -1]
    return None


def parse_filters(params: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The metadata filters among a request's query parameters (name, value), as
    ``{key: value}``; every other parameter is left out. Each filter is bounded as
    metadata is; a key given twice is refused (an execution has one value per key)."""
    filters: dict[str, str] = {}
    for name, value in params:
        key = filter_key(name)
        if key is None:
            continue
        if key in filters:
            raise MetadataError(
                f"{_PREFIX}.{_shown(key)}", "given twice; an execution has one value per key"
            )
        filters[key] = value
    return check(filters)
