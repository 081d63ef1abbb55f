"""A fake model provider: an OpenAI-compatible chat-completions server on loopback.

It runs in a thread of the test process, on ``127.0.0.1`` and a free port, so the
embedded worker (same process) and the services stack's worker processes reach it
alike, by the ``base_url`` in the graph. crewai only calls ``POST
/v1/chat/completions`` (see ``/work/shared/notes/crewai.md``).

Each scenario scripts it. For every request, the behaviours added with :meth:`FakeLLM.add`
(a tool call, an HTTP error with an OpenAI error body and ``Retry-After``, a hang until
the client gives up) are tried in order, then the answers added with
:meth:`FakeLLM.answer`: the first whose ``when`` text appears in the prompt, and which
has uses left, decides the reply. Without one it answers :data:`DEFAULT_ANSWER`.
:attr:`FakeLLM.latency` delays every reply.

It checks the ``Authorization`` header against the key it was given (the workers read
the same key from their environment, :data:`KEY_ENV`), and, like a careless
real provider, echoes a wrong key back in its 401 message: the suite then proves the
service never shows or stores it. Every request is recorded (:class:`Request`); the
record keeps whether a key was sent, whether it was right, and a fingerprint of what
the ``Authorization`` header carried (:func:`fingerprint`), never the key itself: a
scenario tells which key arrived by comparing fingerprints.

The provider policy of the test stacks (``support/stack_settings.py``) must name the
fake provider's URL before the stack starts (worker processes read it once):
:func:`reserve_endpoint` holds a port for the whole run, and :meth:`FakeLLM.start`
on that port serves there while the reservation keeps anyone else off it between
features.

A refused connection is not something a listening server can do: :func:`refused_url`
gives the URL of a loopback port nobody listens on (held for the run, like the fake
provider's own port, so the stacks' provider policy can name both).

The ``@crewai`` features get one per feature from the fixture tag
``@fixture.fake_model_provider`` (``support/fixtures.py``); ``python -m
support.faults.fake_llm`` serves one by hand.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import select
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

KEY_ENV = "CREW_EXEC_FAKE_LLM_KEY"
"""The environment variable the graphs name as ``api_key_env`` (workers inherit it)."""
WRONG_KEY_ENV = "CREW_EXEC_FAKE_LLM_WRONG_KEY"
"""A key the fake provider rejects, for the same purpose."""
MISSING_KEY_ENV = "CREW_EXEC_FAKE_LLM_MISSING_KEY"
"""A variable no worker has."""
STANDARD_KEY_ENV = "OPENAI_API_KEY"
"""The key the model library falls back to for an OpenAI-style model that names none;
the suite gives its workers one, to show it never leaves them for a graph's URL."""

MODEL = "gpt-4o-mini"
DEFAULT_ANSWER = "Done."
HANG_LIMIT = 120.0  # a hanging reply gives up by itself after this long

Kind = Literal["answer", "tool_call", "error", "hang"]


def final_answer(text: str) -> str:
    """What a ReAct-style agent without tools must say for crewai to take ``text``."""
    return f"Thought: I now can give a great answer\nFinal Answer: {text}"


@dataclass
class Rule:
    """One scripted behaviour of the provider."""

    kind: Kind = "answer"
    text: str = DEFAULT_ANSWER
    when: str | None = None  # only for prompts containing this text
    times: int | None = None  # how many requests it serves; None: all of them
    delay: float = 0.0  # seconds before the reply
    status: int = 200
    code: str | None = None
    error_type: str = "invalid_request_error"
    message: str | None = None
    retry_after: float | None = None
    tool: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    used: int = 0

    def matches(self, prompt: str) -> bool:
        if self.times is not None and self.used >= self.times:
            return False
        return self.when is None or self.when in prompt


@dataclass(frozen=True)
class Request:
    """What the provider saw of one request (never the key)."""

    at: float
    path: str
    model: str | None
    key_sent: bool
    key_ok: bool
    prompt: str
    tools: tuple[str, ...]
    stream: bool
    reply: str  # "answer", "tool_call", "error 429", "hang", "unauthorized", ...
    user_agent: str
    key_fingerprint: str = ""  # fingerprint(the key sent), "" when none was sent


def fingerprint(key: str) -> str:
    """What the provider keeps of a key it was sent: enough to tell keys apart."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _prompt(body: dict[str, Any]) -> str:
    parts = []
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts += [str(p.get("text", "")) for p in content if isinstance(p, dict)]
    return "\n".join(parts)


_reservations: dict[str, socket.socket] = {}


def _reserve(name: str) -> int:
    """A loopback port bound for the whole run (``SO_REUSEADDR``, never listening):
    nobody else can bind it nor get it as an outgoing connection's port; connecting to
    it is refused until a server of ours (which also sets ``SO_REUSEADDR``) listens."""
    if name not in _reservations:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        _reservations[name] = sock
    return int(_reservations[name].getsockname()[1])


def reserve_endpoint() -> str:
    """The base URL the fake provider serves at in this run (:meth:`FakeLLM.start` with
    :func:`reserved_port`), its port held from now on, feature after feature."""
    return f"http://127.0.0.1:{_reserve('provider')}/v1"


def reserved_port() -> int:
    """The port :func:`reserve_endpoint` holds (0: none reserved, so any free port)."""
    return _reserve("provider") if "provider" in _reservations else 0


def refused_url() -> str:
    """A base URL on a loopback port nobody listens on: connections are refused. The
    same for the whole run, so the test stacks' provider policy can allow it."""
    return f"http://127.0.0.1:{_reserve('refused')}/v1"


class FakeLLM:
    """Start with :meth:`start`, script with :meth:`add`, read :attr:`requests`."""

    def __init__(self, api_key: str | None = None, models: tuple[str, ...] = (MODEL,)) -> None:
        self.api_key = api_key or f"sk-fake-{secrets.token_hex(16)}"
        self.models = set(models)
        self.rules: list[Rule] = []
        self.answers: list[Rule] = []
        self.latency = 0.0
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- life cycle -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, port: int = 0) -> None:
        fake = self

        class Handler(_Handler):
            provider = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-llm",
            daemon=True,
        )
        self._thread.start()

    def reset(self) -> None:
        """Forget the script and the log; let go of any hanging request."""
        self._released.set()
        with self._lock:
            self.rules = []
            self.answers = []
            self.requests = []
            self.latency = 0.0
        self._released = threading.Event()

    def stop(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = None
        self._thread = None

    # -- scripting and reading --------------------------------------------------------

    def add(self, rule: Rule) -> None:
        """A behaviour, tried before any answer."""
        with self._lock:
            self.rules.append(rule)

    def answer(
        self, text: str, when: str | None = None, times: int | None = None, first: bool = False
    ) -> None:
        """An answer for prompts containing ``when``; ``first``: before the answers so far."""
        with self._lock:
            self.answers.insert(
                0 if first else len(self.answers), Rule(text=text, when=when, times=times)
            )

    def release(self) -> None:
        """Let hanging requests go (they answer 504)."""
        self._released.set()

    def log(self) -> list[Request]:
        with self._lock:
            return list(self.requests)

    def chat_requests(self) -> list[Request]:
        return [r for r in self.log() if r.path.endswith("/chat/completions")]

    # -- serving (called from the handler threads) ------------------------------------

    def _choose(self, prompt: str) -> Rule:
        with self._lock:
            for rule in self.rules + self.answers:
                if rule.matches(prompt):
                    rule.used += 1
                    return rule
        return Rule()

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)


class _Handler(BaseHTTPRequestHandler):
    provider: FakeLLM
    protocol_version = "HTTP/1.1"
    server_version = "FakeLLM/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the provider's own log is FakeLLM.requests

    # -- replies ----------------------------------------------------------------------

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(
        self,
        status: int,
        message: str,
        kind: str,
        code: str | None,
        retry_after: float | None = None,
    ) -> None:
        headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else {}
        body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
        self._send(status, body, headers)

    def _completion(self, model: str, message: dict[str, Any], finish: str) -> None:
        self._send(
            200,
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            },
        )

    def _client_gone(self) -> bool:
        readable, _, _ = select.select([self.connection], [], [], 0)
        if not readable:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _hang(self, limit: float) -> bool:
        """Hold the request until released, the client leaves or ``limit``; True if released."""
        deadline = time.monotonic() + limit
        released = self.provider._released
        while time.monotonic() < deadline:
            if released.wait(0.05):
                return True
            if self._client_gone():
                return False
        return False

    # -- the one endpoint -------------------------------------------------------------

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        model = body.get("model")
        prompt = _prompt(body)
        auth = self.headers.get("Authorization") or ""
        sent = auth.removeprefix("Bearer ").strip()
        key_ok = secrets.compare_digest(sent, self.provider.api_key)
        tools = tuple(
            str((t.get("function") or {}).get("name", "")) for t in body.get("tools") or []
        )

        def record(reply: str) -> None:
            self.provider._record(
                Request(
                    at=time.time(),
                    path=self.path,
                    model=model,
                    key_sent=bool(sent),
                    key_ok=key_ok,
                    prompt=prompt,
                    tools=tools,
                    stream=bool(body.get("stream")),
                    reply=reply,
                    user_agent=self.headers.get("User-Agent") or "",
                    key_fingerprint=fingerprint(sent) if sent else "",
                )
            )

        if not self.path.rstrip("/").endswith("/chat/completions"):
            record("error 404")
            self._error(404, f"Unknown path {self.path}", "invalid_request_error", None)
            return
        if not key_ok:
            record("unauthorized")
            # like a careless provider, it repeats the key it was given
            self._error(
                401,
                f"Incorrect API key provided: {sent or '(none)'}.",
                "invalid_request_error",
                "invalid_api_key",
            )
            return
        if model not in self.provider.models:
            record("model not found")
            self._error(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                "invalid_request_error",
                "model_not_found",
            )
            return
        rule = self.provider._choose(prompt)
        # recorded on arrival: a slow or hanging reply is in the log while it is pending
        record(rule.kind if rule.kind != "error" else f"error {rule.status}")
        if rule.kind == "hang":
            self._hang(rule.delay or HANG_LIMIT)
            with contextlib.suppress(OSError):
                self._error(504, "The fake provider was released.", "server_error", None)
            return
        delay = rule.delay or self.provider.latency
        if delay:
            self._hang(delay)
            if self._client_gone():
                return
        if rule.kind == "error":
            self._error(
                rule.status,
                rule.message or f"Scripted error {rule.status}",
                rule.error_type,
                rule.code,
                rule.retry_after,
            )
            return
        if rule.kind == "tool_call":
            call = {
                "id": f"call_{uuid.uuid4().hex[:12]}",
                "type": "function",
                "function": {"name": rule.tool, "arguments": json.dumps(rule.arguments)},
            }
            self._completion(
                str(model),
                {"role": "assistant", "content": None, "tool_calls": [call]},
                "tool_calls",
            )
            return
        text = rule.text if tools else final_answer(rule.text)
        self._completion(str(model), {"role": "assistant", "content": text}, "stop")


def main(argv: list[str] | None = None) -> int:
    """``python -m support.faults.fake_llm``: serve the fake provider until interrupted."""
    import argparse
    import os

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--answer", default=DEFAULT_ANSWER, help="what every request gets")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each reply")
    args = parser.parse_args(argv)
    fake = FakeLLM(api_key=os.environ.get(KEY_ENV))
    fake.start(port=args.port)
    fake.answer(args.answer)
    fake.latency = args.latency
    print(f"fake model provider at {fake.base_url}; key from ${KEY_ENV}", flush=True)
    if not os.environ.get(KEY_ENV):
        print(f"(${KEY_ENV} is not set; this run's key is {fake.api_key})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        print(f"{len(fake.chat_requests())} requests served", flush=True)
        fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
