"""Webhooks: which events exist, which URLs the operator lets deliveries go to, and the
Standard Webhooks signature (https://www.standardwebhooks.com). Pure: no SQL, no HTTP.

The outbound policy: a webhook URL is normalised like a model endpoint
(:func:`execution_service.provider_policy.normalise`: http/https only, no user or password,
no query or fragment); its host, and at delivery time every address its name resolves
to, must be a public address. Private, loopback, link-local, multicast, reserved and
unspecified addresses are refused unless the operator allows them: ``allow_private``
(every address) or ``allowed_hosts`` (these host names or addresses, exactly as written
in the URL, whatever they resolve to). The check runs when the webhook is given (422
naming ``webhooks.<i>.url``) and again before each delivery attempt, on the resolved
addresses (a name that later resolves to a private address is refused then: DNS
rebinding).

The signature (hand-written rather than the ``standardwebhooks`` package: that package is
a generated API client that brings httpx, attrs and python-dateutil into the service for
what is one HMAC; :func:`sign` follows the specification's own test vector, checked by a
unit test): ``webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>``,
the key being the base64 bytes after ``whsec_`` in the owner's secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterable
from typing import Literal, get_args
from urllib.parse import urlsplit

from execution_service.provider_policy import NotAnEndpoint, normalise

Event = Literal[
    "execution.completed",
    "execution.failed",
    "execution.cancelled",
    "execution.timed_out",
    "task.completed",
]
EVENTS: tuple[str, ...] = get_args(Event)
"""The events a webhook may ask for; the terminal ones by the status they name."""

TERMINAL_EVENTS: dict[str, str] = {
    "completed": "execution.completed",
    "failed": "execution.failed",
    "cancelled": "execution.cancelled",
    "timed_out": "execution.timed_out",
}
"""The event of each final status."""

MAX_WEBHOOKS = 5
MAX_URL_LENGTH = 2_000
SECRET_PREFIX = "whsec_"

NAMED_URL_PATTERN = (
    r"^https?://([a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?\.)+[a-z]{2,20}(:[1-9][0-9]{0,3})?"
    r"(/[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,40})*/?$"
)
"""The URLs the OpenAPI document shows (a host by name; the policy's checks of its
addresses happen when it is resolved, before each delivery): a URL with an address for a
host is accepted as well where that address is public or the operator allows it."""


class WebhookRefused(ValueError):
    """A URL the policy does not allow; the message says why."""


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether deliveries may go to ``address`` without the operator's leave."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def webhook_url(url: str) -> str:
    """``url`` normalised (see the module's documentation); raises :class:`WebhookRefused`."""
    if len(url) > MAX_URL_LENGTH:
        raise WebhookRefused(f"a webhook URL has at most {MAX_URL_LENGTH} characters")
    try:
        return normalise(url)
    except NotAnEndpoint as exc:
        raise WebhookRefused(str(exc).replace("a base URL", "a webhook URL")) from None


def host_of(url: str) -> str:
    """The host of a normalised URL, lower case, without brackets."""
    return (urlsplit(url).hostname or "").lower()


def refusal(
    url: str,
    *,
    allow_private: bool,
    allowed_hosts: Iterable[str],
    addresses: Iterable[str] | None = None,
) -> str | None:
    """Why a delivery to ``url`` is not allowed, or None. ``addresses``: what its host
    resolved to (at delivery time); without them only a host written as an address is
    checked (a name is checked once it resolves)."""
    try:
        normalised = webhook_url(url)
    except WebhookRefused as exc:
        return str(exc)
    host = host_of(normalised)
    if allow_private or host in {h.lower().strip("[]") for h in allowed_hosts}:
        return None
    found = [_address(a) for a in (addresses if addresses is not None else [host])]
    if addresses is not None and not found:
        return f"the host {host} resolves to no address"
    if host in ("localhost", "localhost."):
        return (
            f"the host {host} is a loopback name, not one the operator allows "
            "(settings EXEC_WEBHOOK_ALLOWED_HOSTS, EXEC_WEBHOOK_ALLOW_PRIVATE)"
        )
    for address in found:
        if address is not None and not is_public(address):
            return (
                f"the address {address} of {host} is private, loopback or link-local, "
                "not one the operator allows "
                "(settings EXEC_WEBHOOK_ALLOWED_HOSTS, EXEC_WEBHOOK_ALLOW_PRIVATE)"
            )
    return None


def new_secret() -> str:
    """A new signing secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header's value for one message."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret: str, message_id: str, timestamp: int, body: bytes, header: str) -> bool:
    """Whether one of the signatures in ``header`` (space separated) is ``body``'s."""
    expected = sign(secret, message_id, timestamp, body)
    return any(hmac.compare_digest(expected, given) for given in header.split())


def retry_delay(attempts: int, base: float, longest: float) -> float:
    """The wait after the ``attempts``-th failed try: ``base`` doubling, at most ``longest``."""
    return float(min(longest, base * 2 ** max(0, attempts - 1)))


def retryable(status_code: int | None) -> bool:
    """Whether a try that ended so is tried again: no answer (None: a timeout, a refused
    connection), 408, 429 or a 5xx."""
    return status_code is None or status_code in (408, 429) or status_code >= 500
