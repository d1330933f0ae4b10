"""What happens to the invalid list, as events other areas subscribe to."""

from __future__ import annotations

from dataclasses import dataclass

from sscard.events import Event


@dataclass(frozen=True, slots=True)
class ListChanged(Event):
    """A card's entry on the list changed: `removed` is the reason it was listed for before
    (None if it was not listed), `added` the reason it is listed for now (None if it left)."""

    card_no: str
    region: str
    removed: str | None
    added: str | None
    version: int
