"""Service settings both test stacks run with (short cool-downs, fast stop checks, the
scripted runner enabled, and the provider policy the suite's crews need).

The provider policy names the endpoints the suite's graphs point at: the scripted crews'
provider (never called: it names the circuit breaker), the fake model provider and the
URL where connections are refused (``support/faults/fake_llm.py``). The two loopback
ports are reserved when this module is first imported, before any stack starts: the
services stack's processes read their settings once, at start.
"""

from __future__ import annotations

import json
from typing import Any

from .builders.graph_definitions import PROVIDER
from .faults.fake_llm import KEY_ENV, MISSING_KEY_ENV, WRONG_KEY_ENV, refused_url, reserve_endpoint
from .usage import PRICES

PROVIDER_POLICY: dict[str, Any] = {
    "endpoints": {
        PROVIDER: [],
        reserve_endpoint(): [KEY_ENV, WRONG_KEY_ENV, MISSING_KEY_ENV],
        refused_url(): [KEY_ENV],
    },
    "keys_without_base_url": [],
}
"""What the suite's graphs may name: any other ``base_url`` or key is refused."""

OVERRIDES: dict[str, Any] = {
    "default_runner": "scripted",  # graphs without a "runner" run the scripted crew
    "scripted_runner_enabled": True,
    "provider_policy": PROVIDER_POLICY,
    # the prices of the suite's models (support/usage.py): estimated costs and budgets
    "model_prices": PRICES,
    "stop_check_interval": 0.02,
    "stop_grace_seconds": 0.3,
    "heartbeat_interval": 0.5,
    "heartbeat_timeout": 5.0,
    "reaper_interval": 0.2,
    # a worker told to stop lets its crews run this long, then hands them back
    "worker_shutdown_grace_seconds": 1.5,
    # a kept outcome is tried again at least this often while the database is away
    "outcome_write_max_wait": 0.5,
    "breaker_failure_threshold": 3,
    "breaker_cooldown_seconds": 1.5,
    # a lost message is sent again 2 s after it was sent (the reliability features)
    "redispatch_after_seconds": 2.0,
    # a quiet event stream gets a keep-alive comment this often (features/event_stream)
    "stream_keepalive_seconds": 0.5,
    # the webhook receivers run on loopback (support/webhooks.py): 127.0.0.1 is allowed,
    # every other private address (localhost by name included) stays refused; a try
    # waits 1 s at most, failed ones are tried again after 0.2 s, 0.4 s, ... for 10 s
    "webhook_allowed_hosts": ["127.0.0.1"],
    "webhook_timeout_seconds": 1.0,
    "webhook_retry_base_delay": 0.2,
    "webhook_retry_max_delay": 1.0,
    "webhook_retry_seconds": 10.0,
    # ended executions are folded into the metrics' stored totals 0.5 s after they
    # ended (so that a scenario's scrapes fold, not only read the recent window)
    "metrics_fold_lag_seconds": 0.5,
}


def as_environment() -> dict[str, str]:
    """The same settings as ``EXEC_*`` variables, for service processes (JSON where the
    value is not a plain number or string)."""
    return {
        f"EXEC_{key.upper()}": value if isinstance(value, str) else json.dumps(value)
        for key, value in OVERRIDES.items()
    }
