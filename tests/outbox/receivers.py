"""Real HTTP receivers on loopback for the outbox's deliveries: an SMS gateway and a bank.

Each is a `ThreadingHTTPServer` on port 0 in a thread. It records every request, can
be told to answer an error status, and can be stopped (connections refused) and started
again on the same port, the way a gateway or a bank goes down and comes back.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it, and what it answered."""

    headers: dict[str, str]
    body: bytes
    status: int

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """Answers `status` to every POST (200 unless told otherwise) and records it."""

    def __init__(self) -> None:
        self.status = 200
        # Seconds to think before answering: lets two workers' sends overlap.
        self.delay = 0.0
        # Accept only this many requests, then answer 500: a bank failing mid-stream.
        self.accept_only: int | None = None
        self.received: list[Received] = []
        self.port = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Self:
        """Listen (again, on the same port once it had one)."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver.answer(dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until `start` again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=2)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        time.sleep(self.delay)
        with self._lock:
            status = self.status
            taken = sum(200 <= r.status < 300 for r in self.received)
            if self.accept_only is not None and taken >= self.accept_only:
                status = 500
            self.received.append(Received(headers, body, status))
            return status

    def accepted(self) -> list[Received]:
        """The requests answered 2xx, in the order they arrived."""
        with self._lock:
            return [r for r in self.received if 200 <= r.status < 300]


class SmsGateway(Receiver):
    """An SMS gateway that drops a message whose Idempotency-Key it already accepted."""

    def sends_per_key(self) -> Counter[str]:
        """How many requests carrying each key the gateway accepted (repeats included)."""
        return Counter(r.headers["Idempotency-Key"] for r in self.accepted())

    def messages(self) -> dict[str, dict[str, str]]:
        """What reached phones: one message per key, the first accepted."""
        kept: dict[str, dict[str, str]] = {}
        for request in self.accepted():
            kept.setdefault(request.headers["Idempotency-Key"], request.json())
        return kept
