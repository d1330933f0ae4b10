"""This process's copy of which cards are on the list, for inquiries (R-INV-2).

Nearly every card asked about is not listed. The copy answers that from memory; a card
the copy holds is read from the database, which has the details (since when, in which
region) and the last word. The copy is the terminal's own lookup structure
(`sscard.invalid_list.lookup.InvalidList`, about 13 bytes a card) over the national list,
loaded when the broker starts and then kept current by it:

- every change committed anywhere reaches the broker in version order (LISTEN/NOTIFY,
  or the commit hook on SQLite) and is applied here;
- a change this process commits is applied the moment it commits, so an inquiry after
  a loss report answered by this process sees the card listed.

Between the two, a card changed by this process is ahead of what the broker has
delivered; the broker's older change for that card must not undo the newer one, so
such cards keep the version applied until the broker has passed it. Until the copy has
caught up with the version it was loaded at, inquiries go to the database.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select

from sscard.db import transaction
from sscard.invalid_list.lookup import InvalidList
from sscard.invalid_list.models import InvalidCard
from sscard.invalid_list.service import current_version

if TYPE_CHECKING:
    from sscard.runtime import Runtime

LOAD_BATCH = 50_000  # rows fetched at a time when the copy is loaded


class Change(Protocol):
    """What the copy needs of a change: a change-log row or a broker's event."""

    @property
    def version(self) -> int: ...
    @property
    def card_no(self) -> str: ...
    @property
    def op(self) -> str: ...
    @property
    def reason(self) -> str | None: ...


class ListMirror:
    """The national list in memory: answers "not listed" without the database."""

    def __init__(self) -> None:
        self._cards: InvalidList | None = None
        self._loaded_at = 0  # the version read before the cards were
        self._delivered = 0  # the newest version the broker has delivered
        self._ahead: dict[str, int] = {}  # card → version this process applied beyond _delivered
        self._write = threading.Lock()  # the broker's loop and committing threads both write

    @property
    def current(self) -> bool:
        """Loaded, and caught up with the version it was loaded at."""
        return self._cards is not None and self._delivered >= self._loaded_at

    def load(self, rt: Runtime, delivered: int) -> None:
        """Read the whole list; the broker has delivered up to `delivered` and will
        deliver every change after it."""
        with transaction(rt.sessions) as session:
            version = current_version(session)
            listed = select(InvalidCard.card_no, InvalidCard.reason).execution_options(yield_per=LOAD_BATCH)
            cards = InvalidList((card_no, reason) for card_no, reason in session.execute(listed))
        self.install(cards, loaded_at=version, delivered=delivered)

    def install(self, cards: InvalidList, *, loaded_at: int, delivered: int) -> None:
        """Start over from `cards`, the list as of `loaded_at` or later."""
        with self._write:
            self._cards, self._loaded_at, self._delivered, self._ahead = cards, loaded_at, delivered, {}

    def clears(self, card_no: str) -> bool:
        """Whether the card is certainly not on the list; False when unsure."""
        cards = self._cards
        return cards is not None and self.current and not cards.is_invalid(card_no)

    def delivered(self, changes: Iterable[Change], reached: int) -> None:
        """The broker's changes, in version order, up to `reached`."""
        with self._write:
            cards = self._cards
            if cards is None:
                return
            for change in changes:
                if change.version > self._ahead.get(change.card_no, 0):
                    cards.apply(change.op, change.card_no, change.reason)
            self._delivered = max(self._delivered, reached)
            self._ahead = {card_no: version for card_no, version in self._ahead.items() if version > self._delivered}

    def committed(self, changes: Iterable[Change]) -> None:
        """Changes this process has just committed, before the broker brings them."""
        with self._write:
            cards = self._cards
            if cards is None:
                return
            for change in changes:
                newest = max(self._delivered, self._ahead.get(change.card_no, 0))
                if change.version > newest:
                    cards.apply(change.op, change.card_no, change.reason)
                    self._ahead[change.card_no] = change.version
