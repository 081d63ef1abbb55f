"""Credentials quoted in a crew's error: no trace of them in what the service answers
or stores, while the words around them still reach the operator's history.

"No trace" means the credential and every long piece of it (a JWT's segments, a base64
run), so a redaction that stops at the first ``.`` of a bearer token still fails.
"""

from __future__ import annotations

import re

from hamcrest import all_of, assert_that, contains_string

from .errors import secret_nowhere
from .world import World

# pieces shorter than this could turn up by chance in ids and timestamps
SHORTEST_PIECE = 8


def traces(credential: str) -> list[str]:
    """The credential, and each piece of it between ``.``, ``/``, ``+``, ``=`` or ``:``
    long enough to be recognised."""
    pieces = [p for p in re.split(r"[./+=:]", credential) if len(p) >= SHORTEST_PIECE]
    return [credential, *pieces]


def no_trace_of(w: World, credential: str) -> None:
    """Not the credential, nor any piece of it, in the API's answers or the stored rows."""
    for trace in traces(credential):
        secret_nowhere(w, trace)


def history_quotes_failure_without(w: World, *quoted: str) -> None:
    """The failed attempt's detail in the history still quotes the failure's own words
    (``quoted``, the text around the credentials): the message did reach the store."""
    events = w.api.events(w.focus()["id"])
    details = [e["details"] or {} for e in events if e["status"] == "failed"]
    assert details, events
    assert_that(
        details[-1].get("detail") or "", all_of(*(contains_string(words) for words in quoted))
    )
