"""Webhook deliveries on SQLite: an ended execution's event is announced once however
many ask, only to the webhooks asking for it; a try records its answer and is retried
only on no answer or a 5xx, within the bound; a lost message is sent again once.
The receiver is a local HTTP server; the broker is replaced by a list."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from execution_service.config import Settings, get_settings, use_settings
from execution_service.messaging import webhooks
from execution_service.store import engine
from execution_service.store import webhook_deliveries as deliveries
from execution_service.store.engine import session_scope
from execution_service.store.migrate import upgrade
from execution_service.store.models import Execution, Graph, Owner, utcnow

DEFINITION = {
    "name": "one task",
    "agents": [{"role": "writer", "goal": "Write", "backstory": "Writes."}],
    "tasks": [{"description": "Write", "expected_output": "Text", "agent": "writer"}],
}


@pytest.fixture
def published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    before = get_settings()
    url = f"sqlite:///{tmp_path / 'webhooks.sqlite3'}"
    upgrade(url)
    use_settings(
        Settings(
            database_url=url,
            webhook_allowed_hosts=("127.0.0.1",),
            webhook_timeout_seconds=0.5,
            webhook_retry_base_delay=1.0,
            webhook_retry_seconds=5.0,
        )
    )
    engine.reset_engines()
    sent: list[Any] = []
    monkeypatch.setattr(
        webhooks, "publish_delivery", lambda ident, countdown=None: sent.append((ident, countdown))
    )
    try:
        yield sent
    finally:
        engine.reset_engines()
        use_settings(before)


def _ended(status: str, hooks: list[dict[str, Any]] | None) -> uuid.UUID:
    ident = uuid.uuid4()
    with session_scope() as session:
        if session.get(Owner, "acme") is None:
            session.add(Owner(name="acme"))
            session.flush()
        graph = Graph(id=uuid.uuid4(), owner="acme", name="g", definition=DEFINITION)
        session.add(graph)
        session.flush()
        session.add(
            Execution(
                id=ident,
                owner="acme",
                graph_id=graph.id,
                status=status,
                priority="normal",
                inputs={},
                finished_at=utcnow(),
                webhooks=hooks,
            )
        )
    return ident


class _Receiver:
    def __init__(self, answers: list[int]) -> None:
        self.answers = answers
        self.got: list[dict[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                owner.got.append({k.lower(): v for k, v in self.headers.items()})
                code = owner.answers[min(len(owner.got) - 1, len(owner.answers) - 1)]
                self.send_response(code)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/in"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_an_end_is_announced_once_to_the_webhooks_asking_for_it(published: list[Any]) -> None:
    ident = _ended(
        "failed",
        [
            {"url": "https://a.example.com/x", "events": ["execution.failed"]},
            {"url": "https://b.example.com/x", "events": ["execution.completed"]},
        ],
    )
    assert webhooks.announce(ident) == 1
    assert webhooks.announce(ident) == 0
    assert webhooks.announce_ended() == 0
    (listed,) = deliveries.deliveries_of(ident, "acme") or []
    assert listed["event"] == "execution.failed" and listed["url"] == "https://a.example.com/x"
    assert deliveries.deliveries_of(ident, "someone else") is None


def test_the_reapers_round_announces_what_nobody_did(published: list[Any]) -> None:
    ident = _ended(
        "timed_out", [{"url": "https://a.example.com/x", "events": ["execution.timed_out"]}]
    )
    quiet = _ended("completed", None)
    assert webhooks.announce_ended() == 1
    assert webhooks.announce_ended() == 0
    assert deliveries.deliveries_of(quiet, "acme") == []
    assert len(deliveries.deliveries_of(ident, "acme") or []) == 1


def test_a_try_is_repeated_on_a_5xx_with_the_same_id_then_delivered(published: list[Any]) -> None:
    receiver = _Receiver([503, 200])
    try:
        ident = _ended("completed", [{"url": receiver.url, "events": ["execution.completed"]}])
        webhooks.announce(ident)
        ((delivery_id, _),) = published
        assert webhooks.try_delivery(delivery_id) == 1.0
        assert webhooks.try_delivery(delivery_id) is None
        assert webhooks.try_delivery(delivery_id) is None  # delivered: nothing more
        assert len(receiver.got) == 2
        assert receiver.got[0]["webhook-id"] == receiver.got[1]["webhook-id"]
        (listed,) = deliveries.deliveries_of(ident, "acme") or []
        assert listed["status"] == "delivered"
        assert [a["status_code"] for a in listed["attempts"]] == [503, 200]
    finally:
        receiver.close()


def test_a_4xx_ends_the_delivery_and_a_private_address_is_never_called(
    published: list[Any],
) -> None:
    receiver = _Receiver([404])
    try:
        ident = _ended(
            "completed",
            [
                {"url": receiver.url, "events": ["execution.completed"]},
                {"url": "http://10.255.255.1:9/x", "events": ["execution.completed"]},
            ],
        )
        webhooks.announce(ident)
        for delivery_id, _ in published:
            assert webhooks.try_delivery(delivery_id) is None
        listed = deliveries.deliveries_of(ident, "acme") or []
        assert [d["status"] for d in listed] == ["failed", "failed"]
        by_url = {d["url"]: d["attempts"] for d in listed}
        assert by_url[receiver.url][0]["status_code"] == 404
        assert "private" in by_url["http://10.255.255.1:9/x"][0]["error"]
        assert len(receiver.got) == 1
    finally:
        receiver.close()


def test_no_answer_is_retried_until_the_bound_then_given_up(published: list[Any]) -> None:
    ident = _ended(
        "completed", [{"url": "http://127.0.0.1:9/x", "events": ["execution.completed"]}]
    )
    webhooks.announce(ident)
    ((delivery_id, _),) = published
    delays = []
    while (delay := webhooks.try_delivery(delivery_id)) is not None:
        delays.append(delay)
        with session_scope() as session:  # as if the waits had passed
            from execution_service.store.models import WebhookDelivery

            row = session.get(WebhookDelivery, delivery_id)
            assert row is not None and row.round_started_at is not None
            row.round_started_at -= timedelta(seconds=delay)
    assert delays == [1.0, 2.0]  # 1 + 2 + 4 would pass the 5 s bound
    (listed,) = deliveries.deliveries_of(ident, "acme") or []
    assert listed["status"] == "failed" and len(listed["attempts"]) == 3


def test_a_lost_message_is_sent_again_once(published: list[Any]) -> None:
    ident = _ended(
        "completed", [{"url": "https://a.example.com/x", "events": ["execution.completed"]}]
    )
    webhooks.announce(ident)
    published.clear()
    now = utcnow()
    assert deliveries.overdue(now - timedelta(seconds=60), now) == []
    later = now + timedelta(seconds=120)
    first = deliveries.overdue(later - timedelta(seconds=60), later)
    again = deliveries.overdue(later - timedelta(seconds=60), later)
    assert len(first) == 1 and again == []
