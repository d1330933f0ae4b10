"""Real servers on free loopback ports (uvicorn in a thread, or `sscard serve --demo`
in its own process) and an SSE reader."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx2
import uvicorn
from fastapi import FastAPI

from sscard.app import create_app
from sscard.invalid_list.broker import ListBroker
from sscard.invalid_list.mirror import ListMirror
from sscard.roles import Role
from sscard.runtime import Runtime
from tests import factories
from tests.api import token_for
from tests.servers import free_port

STREAM = "/v1/invalid-list/stream"
# Generous: a change committed now must reach an open stream well within this.
DELIVERY_SECONDS = 10.0


@dataclass
class LiveServer:
    """A running server on a runtime whose units of work really commit."""

    base: str
    rt: Runtime
    app: FastAPI

    @property
    def broker(self) -> ListBroker:
        broker: ListBroker = self.app.state.list_broker
        return broker

    def mirror(self) -> ListMirror:
        """The server's in-memory copy of the list, once it is current: loaded, caught up
        and (on PostgreSQL) listening, which may come a moment after the server starts."""
        deadline = time.monotonic() + DELIVERY_SECONDS
        while (mirror := self.broker.current_mirror()) is None:
            assert time.monotonic() < deadline, "the server's copy of the list never became current"
            time.sleep(0.05)
        return mirror

    def headers(self, role: Role, region: str = "000000", **extra: Any) -> dict[str, str]:
        """Authorization for a principal of that role and region."""
        token = token_for(self.rt, factories.principal(role, region, **extra))
        return {"Authorization": f"Bearer {token}"}


@contextmanager
def live_server(rt: Runtime) -> Iterator[LiveServer]:
    """Serve the application on `rt` until the block ends."""
    app = create_app(rt=rt)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}")
    thread.start()
    try:
        _wait_started(server, thread)
        yield LiveServer(f"http://127.0.0.1:{port}", rt, app)
    finally:
        server.should_exit = True
        thread.join(30)
    assert not thread.is_alive(), "the server did not stop"


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the server thread died"
        assert time.monotonic() < deadline, "the server did not start in 30 s"
        time.sleep(0.05)


@contextmanager
def stream(
    base: str, headers: dict[str, str], *, last_event_id: int | None = None, **params: Any
) -> Iterator[Iterator[httpx2.ServerSentEvent]]:
    """An open stream's events; each must arrive within DELIVERY_SECONDS."""
    if last_event_id is not None:
        headers = {**headers, "Last-Event-ID": str(last_event_id)}
    timeout = httpx2.Timeout(10.0, read=DELIVERY_SECONDS)
    with httpx2.Client(timeout=timeout) as client, client.sse(base + STREAM, params=params, headers=headers) as source:
        assert source.response.status_code == 200, source.response.read()
        assert source.response.headers["content-type"].startswith("text/event-stream")
        yield iter(source)


def take(events: Iterator[httpx2.ServerSentEvent], count: int) -> list[httpx2.ServerSentEvent]:
    """The next `count` events (a heartbeat is a comment and never one of them)."""
    return [next(events) for _ in range(count)]


def versions(events: list[httpx2.ServerSentEvent]) -> list[int]:
    """The versions the events carry in their `id:`."""
    return [int(event.id) for event in events]
