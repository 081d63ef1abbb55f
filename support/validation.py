"""Bad requests (``support/builders/bad_requests.py``) sent by name, and their refusals."""

from __future__ import annotations

from hamcrest import assert_that, contains_string

from .builders.bad_requests import request_named
from .matchers import is_error
from .world import World


def send(w: World, name: str) -> None:
    """Remember the rows and statistics as they are, then send the bad request."""
    request = request_named(name)
    w.snapshot()
    w.response = request(w)


def refused_with(w: World, status: int, code: str) -> None:
    """The last response is the service's error envelope, with this status and code."""
    assert_that(w.response, is_error(status, code))


def message_names(w: World, text: str) -> None:
    assert w.response is not None
    assert_that(w.response.json()["error"]["message"], contains_string(text))
