"""Webhooks, as the developer of a product meets them: a receiver of their own (an HTTP
server on loopback, in the test process, that the embedded worker and the services
stack's worker processes reach alike), the owner's signing secret, the deliveries
listed and re-sent.

Each :class:`Receiver` records every request (its headers, body and when it arrived) and
answers by its script: a status per request in turn (``[500, 500, 200]``: the last one
repeats), or never (it holds the connection until the scenario ends). The stacks allow
webhooks to ``127.0.0.1`` only (``support/stack_settings.py``), so ``localhost`` and
every other private address stay refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from hamcrest import (
    assert_that,
    contains_exactly,
    equal_to,
    has_entries,
    has_item,
    has_length,
    less_than,
    not_none,
)

from .builders.graph_definitions import graph_definition
from .owners import other_owner
from .polling import eventually
from .world import World


def verify(secret: str, message_id: str, timestamp: int, body: bytes, header: str) -> bool:
    """What a receiver does (https://www.standardwebhooks.com), written here from the
    specification rather than taken from the service: the key is the base64 after
    ``whsec_``; the header holds ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``
    signatures, separated by spaces."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = message_id.encode() + b"." + str(timestamp).encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    signatures = [part.split(",", 1) for part in header.split(" ")]
    return any(
        version == "v1" and hmac.compare_digest(given, expected) for version, given in signatures
    )


@dataclass
class Delivered:
    """One request a receiver got."""

    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when it arrived
    answered: int | None

    @property
    def payload(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.body)
        return found


@dataclass
class Receiver:
    name: str
    answers: list[int | None]  # None: never answer
    requests: list[Delivered] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _release: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/{self.name}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver._lock:
                    turn = len(receiver.requests)
                    answer = receiver.answers[min(turn, len(receiver.answers) - 1)]
                    receiver.requests.append(
                        Delivered(
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            time.time(),
                            answer,
                        )
                    )
                if answer is None:
                    receiver._release.wait(60)
                    return
                self.send_response(answer)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def got(self) -> list[Delivered]:
        with self._lock:
            return list(self.requests)


def _receivers(w: World) -> dict[str, Receiver]:
    found: dict[str, Receiver] = w.__dict__.setdefault("webhook_receivers", {})
    return found


def receiver(w: World, name: str, answers: str, add_cleanup: Callable[..., None]) -> Receiver:
    """A receiver answering ``answers``: "200", "500 twice, then 200", "never"; it stops
    when the scenario ends (``add_cleanup``: behave's ``context.add_cleanup``)."""
    script: list[int | None]
    if answers == "never":
        script = [None]
    elif ", then " in answers:
        first, then = answers.split(", then ")
        code, times = first.split(" ")
        script = [int(code)] * {"once": 1, "twice": 2, "three times": 3}[times] + [int(then)]
    else:
        script = [int(answers)]
    found = Receiver(name, script)
    found.start()
    add_cleanup(found.stop)
    _receivers(w)[name] = found
    return found


def _hook(w: World, name: str, events: str) -> dict[str, Any]:
    return {"url": _receivers(w)[name].url, "events": [e.strip() for e in events.split(",")]}


def queue_with_webhook(w: World, name: str, events: str, graph: str = "quick") -> None:
    """Queue an execution of a small graph with a webhook at the receiver ``name``."""
    crew = graph_definition(tasks=2, steps=1, step_seconds=0.01 if graph == "quick" else 0.5)
    w.graph = w.api.create_graph(crew)
    w.execution = w.api.queue_ok(w.graph["id"], webhooks=[_hook(w, name, events)])


def queue_with_webhooks(w: World, names: list[str], events: str) -> None:
    w.graph = w.api.create_graph(graph_definition(tasks=1, steps=1, step_seconds=0.01))
    hooks = [_hook(w, name, events) for name in names]
    w.execution = w.api.queue_ok(w.graph["id"], webhooks=hooks)


def queue_with_graph_default(w: World, name: str, events: str) -> None:
    hooks = [_hook(w, name, events)]
    crew = graph_definition(tasks=1, steps=20, step_seconds=0.5, settings={"webhooks": hooks})
    w.graph = w.api.create_graph(crew)
    w.execution = w.api.queue_ok(w.graph["id"])
    w.await_execution(w.execution["id"], has_entries(status="running"), what="its start")


def queue_with_webhook_at(w: World, url: str) -> None:
    w.graph = w.api.create_graph(graph_definition(tasks=1, steps=1))
    w.snapshot()
    w.response = w.api.queue(
        w.graph["id"], webhooks=[{"url": url, "events": ["execution.completed"]}]
    )


def define_graph_with_webhook_at(w: World, url: str) -> None:
    w.snapshot()
    hooks = [{"url": url, "events": ["execution.completed"]}]
    crew = graph_definition(tasks=1, steps=1, settings={"webhooks": hooks})
    w.response = w.api.raw("POST", "/api/v1/graphs", json=crew)


def gets_event(w: World, name: str, event: str, seconds: float) -> Delivered:
    """The receiver gets ``event`` of the scenario's execution within ``seconds``."""
    ident = w.focus()["id"]

    def matching() -> list[Delivered]:
        return [
            r
            for r in _receivers(w)[name].got()
            if r.payload.get("type") == event and r.payload["data"]["execution_id"] == ident
        ]

    found = eventually(matching, has_length(1), timeout=seconds, what=f"{event} at {name}")
    return found[0]


def got_each_task_once(w: World, name: str, count: int) -> None:
    """One ``task.completed`` per task of the execution, each naming its task and
    carrying the output the execution records for it (deliveries are not ordered: the
    last task's may arrive after the execution's end)."""
    done = w.api.execution(w.focus()["id"])
    outputs = done["outputs"]

    def task_events() -> list[dict[str, Any]]:
        got = [
            r.payload["data"]
            for r in _receivers(w)[name].got()
            if r.payload["type"] == "task.completed"
            and r.payload["data"]["execution_id"] == done["id"]
        ]
        return sorted(got, key=lambda d: d["task_index"])

    eventually(
        task_events,
        contains_exactly(
            *[
                has_entries(task_index=i, task=outputs[i]["task"], raw=outputs[i]["raw"])
                for i in range(count)
            ]
        ),
        timeout=10,
        what=f"the task.completed deliveries to {name}",
    )


def signature_verifies(w: World, name: str) -> None:
    """Every request the receiver got is signed with the owner's secret (Standard
    Webhooks), and no other secret verifies it."""
    secret = w.api._ok("GET", "/api/v1/webhook-secret")["secret"]
    requests = _receivers(w)[name].got()
    assert requests, f"{name} got nothing"
    for request in requests:
        headers = request.headers
        assert_that(
            verify(
                secret,
                headers["webhook-id"],
                int(headers["webhook-timestamp"]),
                request.body,
                headers["webhook-signature"],
            ),
            equal_to(True),
            f"the signature of {headers['webhook-id']}",
        )
        assert_that(abs(time.time() - int(headers["webhook-timestamp"])), less_than(60))
    tampered = requests[0].body.replace(b"completed", b"c0mpleted")
    assert_that(
        verify(
            secret,
            requests[0].headers["webhook-id"],
            int(requests[0].headers["webhook-timestamp"]),
            tampered,
            requests[0].headers["webhook-signature"],
        ),
        equal_to(False),
    )


def delivered_times_same_id(w: World, name: str, times: int) -> None:
    got = eventually(
        lambda: _receivers(w)[name].got(), has_length(times), timeout=15, what=f"{name}'s tries"
    )
    assert_that({r.headers["webhook-id"] for r in got}, has_length(1))


def deliveries(w: World, client: Any = None) -> list[dict[str, Any]]:
    api = client or w.api
    items: list[dict[str, Any]] = api._ok(
        "GET", f"/api/v1/executions/{w.focus()['id']}/webhook-deliveries"
    )["items"]
    return items


def listing_shows_attempts(w: World, codes: list[int]) -> None:
    """The execution's one delivery shows these tries, in order, and is delivered."""
    eventually(
        lambda: deliveries(w),
        contains_exactly(
            has_entries(
                status="delivered",
                next_attempt_at=None,
                attempts=contains_exactly(*[has_entries(status_code=c) for c in codes]),
            )
        ),
        timeout=10,
        what="the deliveries listing",
    )


def completes_within(w: World, seconds: float) -> dict[str, Any]:
    done = w.await_execution(w.focus()["id"], has_entries(status="completed"), timeout=15)
    took = (_at(done["finished_at"]) - _at(done["created_at"])).total_seconds()
    assert_that(took, less_than(seconds), "queued to completed, in seconds")
    w.execution = done
    return done


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def gets_event_within_of_end(w: World, name: str, event: str, seconds: float) -> None:
    """``name`` gets ``event`` within ``seconds`` of the execution's end (as recorded)."""
    done = w.await_execution(w.focus()["id"], has_entries(finished_at=not_none()), timeout=15)
    request = gets_event(w, name, event, seconds + 5)
    late = request.at - _at(done["finished_at"]).timestamp()
    assert_that(late, less_than(seconds), f"seconds from the end to {name}'s delivery")


def ended_before_called(w: World, name: str) -> None:
    """The deliveries go out after the execution's end is committed, never before."""
    request = gets_event(w, name, "execution.completed", 10)
    ended = _at(w.focus()["finished_at"]).timestamp()
    assert_that(ended, less_than(request.at), f"the end, before {name} was called")


def another_owner_lists(w: World, owner: str) -> None:
    client = other_owner(w, owner)
    w.response = client.raw("GET", f"/api/v1/executions/{w.focus()['id']}/webhook-deliveries")


def another_owner_resends(w: World, owner: str) -> None:
    delivery = deliveries(w)[0]
    client = other_owner(w, owner)
    w.response = client.raw(
        "POST",
        f"/api/v1/executions/{w.focus()['id']}/webhook-deliveries/{delivery['id']}/resend",
    )


def resend_first(w: World) -> None:
    delivery = deliveries(w)[0]
    w.response = w.api.raw(
        "POST",
        f"/api/v1/executions/{w.focus()['id']}/webhook-deliveries/{delivery['id']}/resend",
    )
    assert_that(w.response.status_code, equal_to(202), w.response.text)


def no_delivery_listed(w: World) -> None:
    assert_that(deliveries(w), equal_to([]))


def delivered_once_more_same_id(w: World, name: str, times: int) -> None:
    delivered_times_same_id(w, name, times)
    assert_that(
        deliveries(w),
        has_item(has_entries(status="delivered", attempts=has_length(times))),
    )
