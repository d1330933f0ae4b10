"""The SSE load process: N live invalid-list streams, each event's arrival instant.

`python -m bench.sse_load` speaks one JSON line each way on stdin and stdout:

1. stdin: {"host", "port", "path", "tokens": [...], "connections": N, "ready_card": card_no,
   "events": E, "concurrency": C, "connect_seconds": S} — open N streams, the tokens
   spread round robin, at most C still connecting at a time. A stream counts as connected
   once it has received the `ready_card` change, which the path's `since` makes the
   backlog's first event: by then the server has subscribed it to the live changes.
2. stdout: `READY {"connected", "failed", "seconds", "errors", "load_cpu_seconds"}`.
3. stdin: {"reports": {card_no: [sent_ns, answered_ns]}, "wait_seconds": W} — the
   reports made meanwhile, with the wall-clock instants just before each request was
   sent and when its response arrived (time.time_ns(), the one clock both processes share).
4. stdout: `RESULT {…}` once every stream has E events, or W seconds after step 3:
   latencies (arrival - sent, and arrival - answered) over every event of every stream,
   and the streams that missed an event or closed.

Arrival is stamped with time.time_ns() as the bytes that complete an event are read, and
the events are parsed after the run, so the stamp costs the loop little.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any, cast

import uvloop

CHANGE = b"event: change\n"


@dataclass
class Run:
    """What every stream reports to: how many are complete, and when all are."""

    events: int
    ready_card: bytes
    connected: int = 0
    complete: int = 0
    streams: list[Stream] = field(default_factory=list)
    all_complete: asyncio.Event = field(default_factory=asyncio.Event)

    def stream_complete(self) -> None:
        """One more stream has every event it was waiting for."""
        self.complete += 1
        if self.complete >= self.connected:
            self.all_complete.set()


class Stream(asyncio.Protocol):
    """One SSE connection: HTTP/1.1 response head, chunked body, `\\n\\n`-framed events."""

    def __init__(self, run: Run, request: bytes) -> None:
        self.run, self.request = run, request
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.connected = self.lost = self.in_body = False
        self.head = b""
        self.body = bytearray()
        self.text = bytearray()
        self.frames: list[tuple[int, bytes]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.Transport", transport)  # uvloop's is no subclass
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.time_ns()
        if self.in_body:
            self.body += data
        elif not self._read_head(data):
            return
        self._read_chunks()
        self._read_frames(now)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"closed before the first event: {exc}"))

    def _read_head(self, data: bytes) -> bool:
        self.head += data
        end = self.head.find(b"\r\n\r\n")
        if end < 0:
            return False
        status = self.head.split(b" ", 2)[1]
        self.body += self.head[end + 4 :]
        self.in_body = True
        if status != b"200":
            self.ready.set_exception(ConnectionError(f"HTTP {status.decode()}: {bytes(self.body)[:200]!r}"))
            assert self.transport is not None
            self.transport.close()
            return False
        return True

    def _read_chunks(self) -> None:
        while (eol := self.body.find(b"\r\n")) >= 0:
            size = int(self.body[:eol], 16)
            end = eol + 2 + size + 2
            if len(self.body) < end:
                return
            self.text += self.body[eol + 2 : end - 2]
            del self.body[:end]

    def _read_frames(self, now: int) -> None:
        while (end := self.text.find(b"\n\n")) >= 0:
            frame = bytes(self.text[:end])
            del self.text[: end + 2]
            if frame.startswith(CHANGE):
                self._change(now, frame)

    def _change(self, now: int, frame: bytes) -> None:
        self.frames.append((now, frame))
        if not self.ready.done() and self.run.ready_card in frame:
            self.connected = True
            self.run.connected += 1
            self.ready.set_result(None)
        if len(self.frames) == self.run.events:
            self.run.stream_complete()


def request_bytes(host: str, port: int, path: str, token: str) -> bytes:
    """The GET that opens a stream."""
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n"
        f"Authorization: Bearer {token}\r\n\r\n"
    ).encode()


async def open_stream(run: Run, options: dict[str, Any], token: str, gate: asyncio.Semaphore) -> str | None:
    """Open one stream and wait for its first event; an error's text, or None."""
    loop = asyncio.get_running_loop()
    request = request_bytes(options["host"], options["port"], options["path"], token)
    async with gate:
        try:
            _, stream = await loop.create_connection(lambda: Stream(run, request), options["host"], options["port"])
            run.streams.append(stream)
            await asyncio.wait_for(stream.ready, options.get("stream_seconds", 120))
        except (OSError, TimeoutError) as exc:
            return f"{type(exc).__name__}: {exc}"
    return None


async def open_all(run: Run, options: dict[str, Any]) -> dict[str, Any]:
    """Open every stream; how many connected, how long it took, the first errors."""
    started = time.monotonic()
    gate = asyncio.Semaphore(options.get("concurrency", 200))
    tokens = options["tokens"]
    jobs = [open_stream(run, options, tokens[i % len(tokens)], gate) for i in range(options["connections"])]
    outcomes = await asyncio.wait_for(asyncio.gather(*jobs), options.get("connect_seconds", 900))
    errors = [e for e in outcomes if e is not None]
    connected = sum(1 for s in run.streams if s.connected)
    seconds = time.monotonic() - started
    return {"connected": connected, "failed": len(errors), "seconds": seconds, "errors": errors[:5]} | {
        "load_cpu_seconds": cpu_seconds()
    }


def percentile(ordered: list[float], q: float) -> float:
    """The nearest-rank percentile of sorted values (nan when there are none)."""
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def arrivals(stream: Stream) -> dict[str, int]:
    """Card number → arrival instant of each change the stream received."""
    found: dict[str, int] = {}
    for now, frame in stream.frames:
        data = next(line for line in frame.split(b"\n") if line.startswith(b"data: "))
        found.setdefault(json.loads(data[6:])["card_no"], now)
    return found


def summary(latencies: list[float]) -> dict[str, float]:
    """p50, p99 and max of latencies in milliseconds."""
    ordered = sorted(latencies)
    return {
        "p50_ms": percentile(ordered, 0.5),
        "p99_ms": percentile(ordered, 0.99),
        "max_ms": max(ordered or [math.nan]),
    }


@dataclass
class Tally:
    """Latencies in milliseconds, per event per stream, and what never arrived."""

    from_sent: list[float] = field(default_factory=list)
    from_answered: list[float] = field(default_factory=list)
    missing_streams: int = 0
    missing_events: int = 0
    last_arrival: dict[str, int] = field(default_factory=dict)

    def add(self, got: dict[str, int], reports: dict[str, list[int]]) -> None:
        """One stream's arrivals against the reports."""
        missed = [card for card in reports if card not in got]
        self.missing_streams += bool(missed)
        self.missing_events += len(missed)
        for card, (sent, answered) in reports.items():
            if card in got:
                self.from_sent.append((got[card] - sent) / 1e6)
                self.from_answered.append((got[card] - answered) / 1e6)
                self.last_arrival[card] = max(self.last_arrival.get(card, 0), got[card])

    def everyone(self, reports: dict[str, list[int]]) -> list[float]:
        """For each report, how long until the last stream had its change (ms)."""
        return sorted((self.last_arrival[c] - sent) / 1e6 for c, (sent, _) in reports.items() if c in self.last_arrival)


def cpu_seconds() -> float:
    """This process's CPU time so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def result(run: Run, reports: dict[str, list[int]]) -> dict[str, Any]:
    """Latencies of every reported change on every connected stream, and what was missed."""
    tally = Tally()
    connected = [s for s in run.streams if s.connected]
    for stream in connected:
        tally.add(arrivals(stream), reports)
    return {
        "streams": len(connected),
        "closed": sum(1 for s in connected if s.lost),
        "missing_streams": tally.missing_streams,
        "missing_events": tally.missing_events,
        "events": len(tally.from_sent),
        "from_sent": summary(tally.from_sent),
        "from_answered": summary(tally.from_answered),
        "all_streams": summary(tally.everyone(reports)),
        "load_cpu_seconds": cpu_seconds(),
    }


async def read_line() -> dict[str, Any]:
    """The next JSON line from stdin, without blocking the loop."""
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    if not line:
        raise SystemExit("stdin closed")
    return dict(json.loads(line))


def say(word: str, payload: dict[str, Any]) -> None:
    """One line to the benchmark."""
    print(word, json.dumps(payload), flush=True)


async def main() -> None:
    """Open the streams, say READY, wait for the reports and the events, say RESULT."""
    options = await read_line()
    run = Run(events=options["events"], ready_card=options["ready_card"].encode())
    say("READY", await open_all(run, options))
    reports = await read_line()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(run.all_complete.wait(), reports["wait_seconds"])
    say("RESULT", result(run, reports["reports"]))


def raise_open_files() -> None:
    """As many open files as the hard limit allows: one socket a stream."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


if __name__ == "__main__":
    raise_open_files()
    uvloop.run(main())
