"""Keeping the terminal's list current: catch up, then follow the stream (R-INV-3).

The terminal catches up from the version in its state file (a snapshot only the first
time, or when the center says the version is too old), then follows the live stream
from there, reconnecting with backoff. What it applied is saved and then acknowledged,
so the center's record of the terminal's version (R-LIA-2) never runs ahead of what
the terminal would still know after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from pathlib import Path

import httpx2

from sscard.invalid_list.lookup import InvalidList
from sscard.terminal.client import PAGE_SIZE, Change, ListClient, ServerUnavailable, SnapshotRequired, TerminalError
from sscard.terminal.state import CorruptState, TerminalState, load_state, save_state

log = logging.getLogger("sscard.terminal")

FIRST_RETRY_SECONDS = 0.5
LAST_RETRY_SECONDS = 30.0
# Errors after which the stream is simply opened again later.
RETRYABLE = (httpx2.TransportError, ServerUnavailable)


class TerminalAgent:
    """The terminal's copy of the list, kept in step with the center."""

    def __init__(self, client: ListClient, state_path: Path, *, save_interval: float = 1.0) -> None:
        self.client = client
        self.state_path = state_path
        self.save_interval = save_interval
        self._state: TerminalState | None = None
        self._unsaved = asyncio.Event()
        self._acknowledged: int | None = None

    @property
    def state(self) -> TerminalState:
        """The list as applied so far; only after the first catch-up."""
        if self._state is None:
            raise RuntimeError("the terminal has not caught up yet")
        return self._state

    def is_invalid(self, card_no: str) -> bool:
        """Whether the card may not settle (R-SET-2), from memory."""
        return self.state.cards.is_invalid(card_no)

    async def catch_up(self) -> TerminalState:
        """Bring the list up to the center's current version and save it."""
        state = self._state or self._saved_state()
        if state is None or (self.client.scope and state.scope != self.client.scope):
            state = await self._download_snapshot()
        self.client.scope = state.scope
        try:
            await self._apply_changes_since(state)
        except SnapshotRequired:
            log.info("version %d can no longer be followed; downloading a snapshot", state.version)
            state = await self._download_snapshot()
            await self._apply_changes_since(state)
        self._state = state
        await self._save_and_acknowledge()
        return state

    async def follow(self, on_change: Callable[[Change], None] | None = None) -> None:
        """Apply live changes until cancelled, reconnecting with backoff."""
        if self._state is None:
            await self.catch_up()
        saver = asyncio.create_task(self._save_when_changed())
        try:
            await self._follow_stream(on_change)
        finally:
            saver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await saver
            save_state(self.state_path, self.state)

    async def _follow_stream(self, on_change: Callable[[Change], None] | None) -> None:
        delay = FIRST_RETRY_SECONDS
        while True:
            try:
                async for change in self.client.stream(self.state.version):
                    self._apply(change)
                    if on_change is not None:
                        on_change(change)
                    delay = FIRST_RETRY_SECONDS
            except SnapshotRequired:
                await self.catch_up()
                continue
            except RETRYABLE as exc:
                log.warning("the list stream failed (%s); reconnecting in %.1f s", exc, delay)
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))  # noqa: S311 (jitter, not a secret)
                delay = min(delay * 2, LAST_RETRY_SECONDS)
                continue
            await asyncio.sleep(FIRST_RETRY_SECONDS)  # the server ended the stream: resume from our version

    def _apply(self, change: Change) -> None:
        state = self.state
        if change.version <= state.version:
            return
        state.cards.apply(change.op, change.card_no, change.reason)
        state.version = change.version
        self._unsaved.set()

    async def _save_when_changed(self) -> None:
        while True:
            await self._unsaved.wait()
            self._unsaved.clear()
            try:
                await self._save_and_acknowledge()
            except (*RETRYABLE, TerminalError) as exc:
                log.warning("acknowledging the list version failed (%s); will retry", exc)
                self._unsaved.set()
            await asyncio.sleep(self.save_interval)

    async def _save_and_acknowledge(self) -> None:
        state = self.state
        version = state.version
        save_state(self.state_path, state)
        if version != self._acknowledged:
            await self.client.acknowledge(version)
            self._acknowledged = version

    def _saved_state(self) -> TerminalState | None:
        try:
            return load_state(self.state_path)
        except CorruptState as exc:
            log.warning("the state file %s is unusable (%s); starting from a snapshot", self.state_path, exc)
            return None

    async def _download_snapshot(self) -> TerminalState:
        snapshot = await self.client.snapshot()
        # Straight from the decoded arrays: no Python object per card (ten times faster).
        cards = InvalidList.from_snapshot(snapshot)
        return TerminalState(version=snapshot.version, scope=snapshot.scope, cards=cards)

    async def _apply_changes_since(self, state: TerminalState) -> None:
        while True:
            page = await self.client.changes(state.version)
            for change in page.changes:
                state.cards.apply(change.op, change.card_no, change.reason)
            state.version = max(state.version, page.version)
            if len(page.changes) < PAGE_SIZE:
                return
