"""Fan-out of invalid-list changes to this process's streams (R-INV-3).

The database is the only source of changes: a poke only says "look again", and the
broker then reads every change after the last version it delivered. A poke that is
lost or merged with another delays a change; it never skips one, because versions
commit in order (see ListCounter). Pokes come from commits in this process (SQLite),
from LISTEN/NOTIFY (PostgreSQL, so a change committed by any server process arrives),
and from a slow timer as a safety net for both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Any

import psycopg
from prometheus_client import Gauge
from psycopg import sql
from sqlalchemy import event
from sqlalchemy.orm import Session

from sscard.db import log_failure, one_line, transaction
from sscard.errors import ServiceError
from sscard.invalid_list import service
from sscard.invalid_list.backoff import Backoff
from sscard.invalid_list.mirror import ListMirror
from sscard.invalid_list.models import ListChange
from sscard.invalid_list.service import NOTIFY_CHANNEL, PENDING_CHANGES, SnapshotRequired
from sscard.policy.regions import NATIONAL, covers

if TYPE_CHECKING:
    from sscard.runtime import Runtime

log = logging.getLogger("sscard.invalid_list.broker")

# Each worker's broker sets its own; /metrics combines the live workers' (a dead one's
# streams are gone): the streams they hold, the version the slowest has delivered (so a
# stuck worker holds the server's back, SscardListStreamStuck), 1 if any is degraded.
SUBSCRIBERS = Gauge(
    "sscard_invalid_list_stream_subscribers", "Invalid-list streams open in this server", multiprocess_mode="livesum"
)
VERSION = Gauge(
    "sscard_invalid_list_version",
    "The newest invalid-list version every process of this server has delivered",
    multiprocess_mode="livemin",
)
DEGRADED = Gauge(
    "sscard_invalid_list_stream_degraded",
    "1 while a process of this server hears of other processes' list changes only by its safety timer (LISTEN lost)",
    multiprocess_mode="livemax",
)
# How long the start waits for the first LISTEN to succeed or fail.
FIRST_LISTEN_WAIT_SECONDS = 5.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# A quiet stream sends a comment this often, so that proxies keep it open and a terminal
# can tell a quiet list from a dead connection.
HEARTBEAT_SECONDS = 15.0


class StreamUnavailable(ServiceError):
    status, code, title = 503, "stream_unavailable", "Stream unavailable"


@dataclass(frozen=True, slots=True)
class ListEvent:
    """One committed change of the list, detached from any session."""

    version: int
    card_no: str
    op: str
    reason: str | None
    at: datetime
    region_code: str

    @classmethod
    def of(cls, change: ListChange) -> ListEvent:
        """The event of a change-log row."""
        return cls(change.version, change.card_no, change.op, change.reason, change.at, change.region_code)


def read_changes(rt: Runtime, since: int, scope: str, limit: int) -> tuple[int, list[ListEvent]]:
    """Changes after `since` in a scope and the version they reach, in one short transaction."""
    with transaction(rt.sessions) as session:
        reached, rows = service.changes_since(session, since, scope, limit)
        return reached, [ListEvent.of(row) for row in rows]


def read_version(rt: Runtime) -> int:
    """The newest committed version, in one short transaction."""
    with transaction(rt.sessions) as session:
        return service.current_version(session)


class Subscription:
    """One stream's mailbox of the changes in its scope; ends when closed.

    A list and at most one waiter rather than an asyncio.Queue: the broker hands each
    change to thousands of these at once, and a stream takes all that has piled up in
    one go, so a change costs a stream one wake-up and one write.
    """

    def __init__(self, scope: str, capacity: int) -> None:
        self.scope = scope
        self._capacity = capacity
        self._pending: list[ListEvent] = []
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self._heartbeat_due = False
        self.quiet_since = time.monotonic()

    @property
    def closed(self) -> bool:
        """Whether the subscription has ended."""
        return self._closed

    def covers(self, change: ListEvent) -> bool:
        """Whether the change is on this scope's list (R-INV-2)."""
        return covers(self.scope, change.region_code)

    def offer(self, change: ListEvent) -> bool:
        """Queue a change; False when the reader has fallen too far behind."""
        if len(self._pending) >= self._capacity:
            return False
        self._pending.append(change)
        self._wake()
        return True

    def heartbeat(self) -> None:
        """Ask the stream to show the terminal it is still alive."""
        self._heartbeat_due = True
        self._wake()

    def close(self) -> None:
        """End the subscription after the changes already queued."""
        if not self._closed:
            self._closed = True
            self._wake()

    async def take(self) -> list[ListEvent] | None:
        """Every change queued since the last call, oldest first; none when only a
        heartbeat is due; None once the subscription has ended and all are taken."""
        if not (self._pending or self._heartbeat_due or self._closed):
            await self._parked()
        self._heartbeat_due = False
        self.quiet_since = time.monotonic()
        changes, self._pending = self._pending, []
        return None if self._closed and not changes else changes

    async def next(self) -> ListEvent | None:
        """The next change, or None once the subscription has ended."""
        while not (self._pending or self._closed):
            await self._parked()
        return self._pending.pop(0) if self._pending else None

    async def _parked(self) -> None:
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class ListBroker:
    """Delivers each committed change, in version order, to every subscriber whose
    scope covers it; a subscriber that falls behind is dropped, never waited for."""

    def __init__(
        self,
        rt: Runtime,
        *,
        capacity: int = 1000,
        safety_interval: float = 5.0,
        heartbeat_interval: float = HEARTBEAT_SECONDS,
        batch: int = 1000,
        mirror: ListMirror | None = None,
    ) -> None:
        self._rt = rt
        self._mirror = mirror
        self._listening = False
        self._capacity = capacity
        self._safety_interval = safety_interval
        self._heartbeat_interval = heartbeat_interval
        self._batch = batch
        self._subscribers: set[Subscription] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._last = 0
        self._hooked = False
        self._stopping = False
        self._chained: dict[int, Any] = {}
        self._first_attempt = asyncio.Event()

    @property
    def running(self) -> bool:
        """Whether the broker has started and is not stopping."""
        return self._loop is not None and not self._stopping

    @property
    def last_version(self) -> int:
        """The newest version delivered (or known when the broker started)."""
        return self._last

    def current_mirror(self) -> ListMirror | None:
        """The in-memory copy of the list, when it is sure to be current: loaded, caught
        up, and (on PostgreSQL) listening, so that another process's commit arrives
        within the notification's delay rather than the safety timer's."""
        mirror = self._mirror
        if mirror is None or not self.running or not mirror.current:
            return None
        if self._rt.engine.dialect.name == "postgresql" and not self._listening:
            return None
        return mirror

    @property
    def subscriber_count(self) -> int:
        """How many subscriptions are open."""
        return len(self._subscribers)

    async def start(self) -> None:
        """Start following the list from its current version."""
        self._loop, self._stopping = asyncio.get_running_loop(), False
        self._wake = asyncio.Event()
        self._last = await asyncio.to_thread(read_version, self._rt)
        VERSION.set(self._last)
        if self._mirror is not None:
            await asyncio.to_thread(self._mirror.load, self._rt, self._last)
            self._wake.set()  # catch the copy up with the version it was loaded at
        self._tasks = [asyncio.create_task(t) for t in (self._pump(), self._tick(), self._heartbeats())]
        if self._rt.engine.dialect.name == "postgresql":
            DEGRADED.set(1)  # until the first LISTEN
            self._first_attempt = asyncio.Event()
            self._tasks.append(asyncio.create_task(self._listen()))
            # Serving before the first LISTEN would answer from a copy not yet sure to be
            # current; a database that does not answer delays the start a little, no more.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._first_attempt.wait(), FIRST_LISTEN_WAIT_SECONDS)
        self._hook_sessions()
        self._end_streams_on_stop_signals()

    async def stop(self) -> None:
        """Stop reading and end every subscription (their streams close cleanly)."""
        self._unhook_sessions()
        self._restore_signal_handlers()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self._end_streams()
        self._loop = None

    def subscribe(self, scope: str) -> Subscription:
        """A new subscription that receives every change committed from now on."""
        if not self.running:
            raise StreamUnavailable("the invalid-list stream is not running in this server")
        subscription = Subscription(scope, self._capacity)
        self._subscribers.add(subscription)
        SUBSCRIBERS.inc()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """End a subscription and forget it."""
        subscription.close()
        if subscription in self._subscribers:
            self._subscribers.discard(subscription)
            SUBSCRIBERS.dec()

    def poke(self) -> None:
        """Ask the broker to look for new changes; safe from any thread."""
        loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self._wake.set)

    async def _pump(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._deliver_new()
            except Exception as exc:  # noqa: BLE001 (logged; the loop must go on)
                log_failure(log, "reading new invalid-list changes failed; retrying on the next poke", exc)

    async def _deliver_new(self) -> None:
        while True:
            try:
                reached, changes = await asyncio.to_thread(read_changes, self._rt, self._last, NATIONAL, self._batch)
            except SnapshotRequired:
                await self._restart()
                return
            if self._mirror is not None:
                self._mirror.delivered(changes, reached)
            self._fan_out(changes)
            self._last = max(self._last, reached)
            VERSION.set(self._last)
            if len(changes) < self._batch:
                return

    def _fan_out(self, changes: Sequence[ListEvent]) -> None:
        for change in changes:
            for subscription in list(self._subscribers):
                if subscription.covers(change) and not subscription.offer(change):
                    log.warning("a stream of %s fell %d changes behind; dropped", subscription.scope, self._capacity)
                    self.unsubscribe(subscription)

    async def _restart(self) -> None:
        # The log no longer reaches back to the version delivered last: no subscriber
        # can be brought up to date from here, so each reconnects and resumes itself.
        log.warning("the change log no longer reaches version %d; ending every stream", self._last)
        for subscription in list(self._subscribers):
            self.unsubscribe(subscription)
        self._last = await asyncio.to_thread(read_version, self._rt)
        VERSION.set(self._last)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self._safety_interval)
            self._wake.set()

    async def _heartbeats(self) -> None:
        # One timer for every stream instead of a timeout per stream per change, which
        # at 10,000 streams cost more than the changes themselves. A stream quiet for two
        # thirds of the interval gets a heartbeat at the next check, a third later: so
        # no stream is silent for longer than the interval.
        check = self._heartbeat_interval / 3
        while True:
            await asyncio.sleep(check)
            quiet_before = time.monotonic() - (self._heartbeat_interval - check)
            for subscription in self._subscribers:
                if subscription.quiet_since <= quiet_before:
                    subscription.heartbeat()

    async def _listen(self) -> None:
        backoff = Backoff()
        while True:
            try:
                await self._listen_once(backoff)
            except (psycopg.Error, OSError) as exc:
                self._first_attempt.set()
                delay = backoff.next_delay()
                log.warning("LISTEN %s failed (%s); again in %.1f s", NOTIFY_CHANNEL, one_line(exc), delay)
            else:
                delay = backoff.next_delay()
            await asyncio.sleep(delay)

    async def _listen_once(self, backoff: Backoff) -> None:
        url = self._rt.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        async with await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=2) as conn:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(NOTIFY_CHANNEL)))
            self._wake.set()  # whatever committed while nobody was listening
            self._set_listening(listening=True)
            self._first_attempt.set()
            backoff.reset()
            try:
                async for _ in conn.notifies():
                    self._wake.set()
            finally:
                self._set_listening(listening=False)

    def _set_listening(self, *, listening: bool) -> None:
        # Not listening, another process's change waits for the safety timer (issue 14).
        self._listening = listening
        DEGRADED.set(0 if listening else 1)

    def _hook_sessions(self) -> None:
        # On this runtime's sessionmaker, not on every Session: a commit pokes the broker
        # of its own runtime only, with no registry of brokers to keep.
        event.listen(self._rt.sessions, "after_commit", self._after_commit)
        event.listen(self._rt.sessions, "after_rollback", self._after_rollback)
        self._hooked = True

    def _unhook_sessions(self) -> None:
        if self._hooked:
            event.remove(self._rt.sessions, "after_commit", self._after_commit)
            event.remove(self._rt.sessions, "after_rollback", self._after_rollback)
            self._hooked = False

    def _after_commit(self, session: Session) -> None:
        # Runs in whichever thread committed. On PostgreSQL the commit's NOTIFY already
        # wakes every process, this one included.
        committed: list[ListChange] | None = session.info.pop(PENDING_CHANGES, None)
        if committed and self._mirror is not None:
            self._mirror.committed(committed)
        if committed and self._rt.engine.dialect.name != "postgresql":
            self.poke()

    def _after_rollback(self, session: Session) -> None:
        session.info.pop(PENDING_CHANGES, None)

    def _end_streams(self) -> None:
        self._stopping = True
        for subscription in list(self._subscribers):
            self.unsubscribe(subscription)

    def _end_streams_on_stop_signals(self) -> None:
        # uvicorn waits for every open response to end before it runs the lifespan's
        # shutdown, and a stream never ends by itself: so the streams end as soon as
        # the server is told to stop, and the server's own handler then carries on.
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in STOP_SIGNALS:
            previous = signal.getsignal(sig)
            if callable(previous):  # a default action (die, ignore) waits for nothing
                self._chained[sig] = previous
                signal.signal(sig, self._on_stop_signal)

    def _on_stop_signal(self, sig: int, frame: FrameType | None) -> None:
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self._loop.call_soon_threadsafe(self._end_streams)
        self._chained[sig](sig, frame)

    def _restore_signal_handlers(self) -> None:
        for sig, previous in self._chained.items():
            if signal.getsignal(sig) == self._on_stop_signal:
                signal.signal(sig, previous)
        self._chained = {}
