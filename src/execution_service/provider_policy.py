"""The provider policy: which model endpoints the workers' keys may be sent to.

The operator decides, not the graph (setting ``provider_policy``, env
``EXEC_PROVIDER_POLICY``, JSON)::

    {"endpoints": {"https://api.openai.com/v1": ["OPENAI_API_KEY"],
                   "http://127.0.0.1:11434/v1": []},
     "keys_without_base_url": ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"]}

* ``endpoints``: each base URL a graph's model may name (``llm.base_url``), with the key
  variables (``llm.api_key_env``) that may be sent there; ``[]``: none, the endpoint
  needs no key. Default: none at all, so a graph naming any ``base_url`` is refused.
* ``keys_without_base_url``: the key variables a graph that names no ``base_url`` may
  name (its model then goes to its provider's own endpoint). Default: none; such a graph
  may still name no key, and the model library uses its provider's standard variable.

URLs are compared after :func:`normalise` (scheme and host lower case, a default port
dropped, trailing slashes dropped), exactly: ``https://api.openai.com.example/v1`` is not
``https://api.openai.com/v1``. A URL carrying a user or password, a query, a fragment,
``.``/``..`` segments or a scheme other than http/https is never allowed (and refused in
the policy itself at startup).

A model at an allowed ``base_url`` that names no key gets :data:`PLACEHOLDER_KEY`, never
the library's fallback (the worker's own ``OPENAI_API_KEY`` and the like).

The same check runs twice: when a graph is created (the API answers 422 naming the
field) and in the worker before every run (a graph stored before the policy narrowed
fails with ``PROVIDER_NOT_ALLOWED``, its key never read). Pure: no SQL, no HTTP framework.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from execution_service.graph import GraphSpec, LLMSpec

PLACEHOLDER_KEY = "no-key-configured"
"""The key sent to an allowed endpoint for a model that names no ``api_key_env``."""

KEY_VARIABLE = re.compile(r"^[A-Z][A-Z0-9_]*_(KEY|TOKEN)$")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNSAFE = re.compile(r"[\s\\\x00-\x1f\x7f]")


class NotAnEndpoint(ValueError):
    """A base URL that can never be an allowed endpoint; the message says why."""


class Refusal(NamedTuple):
    """One thing the policy does not allow: the field (``agents.0.llm.base_url``) and why."""

    field: str
    message: str


def normalise(url: str) -> str:
    """``url`` as the policy compares it: ``scheme://host[:port]/path``, lower-case scheme
    and host, no default port, no trailing slash. Raises :class:`NotAnEndpoint`."""
    if _UNSAFE.search(url):
        raise NotAnEndpoint("a base URL may not contain spaces, backslashes or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise NotAnEndpoint(f"not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise NotAnEndpoint("a base URL must start with http:// or https://")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise NotAnEndpoint("a base URL may not carry a user name or password")
    host = (parts.hostname or "").lower()
    if not host:
        raise NotAnEndpoint("a base URL needs a host")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise NotAnEndpoint("a base URL may not carry a query or a fragment")
    segments = parts.path.split("/")
    if any(s in (".", "..") for s in segments):
        raise NotAnEndpoint("a base URL's path may not contain '.' or '..' segments")
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def _key_variable(name: str) -> str:
    if not KEY_VARIABLE.match(name) or name.startswith("EXEC_"):
        raise ValueError(
            f"{name!r} is not a key variable (NAME_KEY or NAME_TOKEN, not an EXEC_ setting)"
        )
    return name


class ProviderPolicy(BaseModel):
    """The endpoints the workers' keys may go to; see the module's documentation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoints: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    keys_without_base_url: tuple[str, ...] = ()

    @field_validator("endpoints")
    @classmethod
    def _normalised(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        found: dict[str, tuple[str, ...]] = {}
        for url, keys in value.items():
            try:
                endpoint = normalise(url)
            except NotAnEndpoint as exc:
                raise ValueError(f"endpoint {url!r}: {exc}") from None
            found[endpoint] = tuple(dict.fromkeys([*found.get(endpoint, ()), *keys]))
            for key in keys:
                _key_variable(key)
        return found

    @field_validator("keys_without_base_url")
    @classmethod
    def _keys(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_key_variable(key) for key in value)


def llm_refusals(policy: ProviderPolicy, llm: LLMSpec | None, at: str) -> list[Refusal]:
    """What ``policy`` does not allow of one model (``at``: its field, ``agents.0.llm``)."""
    if llm is None:
        return []
    if llm.base_url is not None:
        try:
            endpoint = normalise(llm.base_url)
        except NotAnEndpoint as exc:
            return [Refusal(f"{at}.base_url", str(exc))]
        keys = policy.endpoints.get(endpoint)
        if keys is None:
            return [
                Refusal(
                    f"{at}.base_url",
                    f"the endpoint {endpoint} is not one the operator allows "
                    "(setting EXEC_PROVIDER_POLICY)",
                )
            ]
        where = f"the endpoint {endpoint}"
    else:
        keys = policy.keys_without_base_url
        where = "a model without a base_url"
    if llm.api_key_env is not None and llm.api_key_env not in keys:
        allowed = ", ".join(keys) if keys else "none"
        return [
            Refusal(
                f"{at}.api_key_env",
                f"the key {llm.api_key_env} may not be sent to {where} "
                f"(allowed there: {allowed}; setting EXEC_PROVIDER_POLICY)",
            )
        ]
    return []


def provider_refusals(policy: ProviderPolicy, spec: GraphSpec) -> list[Refusal]:
    """Every model of the graph ``policy`` does not allow, by field."""
    found: list[Refusal] = []
    for index, agent in enumerate(spec.agents):
        found += llm_refusals(policy, agent.llm, f"agents.{index}.llm")
    found += llm_refusals(policy, spec.manager_llm, "manager_llm")
    return found


def scripted_refusals(spec: GraphSpec, scripted_enabled: bool) -> list[Refusal]:
    """The scripted crew's fields, where the operator has not enabled the scripted runner."""
    if scripted_enabled:
        return []
    found: list[Refusal] = []
    reason = "the scripted runner is not enabled here (setting EXEC_SCRIPTED_RUNNER_ENABLED)"
    if spec.runner == "scripted":
        found.append(Refusal("runner", reason))
    if spec.script is not None:
        found.append(Refusal("script", reason))
    return found


def needs_placeholder(llm: LLMSpec) -> bool:
    """True for a model at a ``base_url`` naming no key: the model library must not
    fall back to the worker's own key for that URL."""
    return llm.base_url is not None and llm.api_key_env is None
