"""What happens to a card, as events other areas subscribe to (sscard.subscriptions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sscard.events import Event


@dataclass(frozen=True, slots=True)
class CardChanged(Event):
    """A card moved along an arrow of R-CARD-1, or something that decides whether it
    may settle changed (an expiry, a replacement applied for): the invalid list follows."""

    card_id: int
    card_no: str


@dataclass(frozen=True, slots=True)
class CardActivated(Event):
    """An unactivated card was activated with its holder's PIN."""

    card_id: int
    card_no: str
    person_id: int


@dataclass(frozen=True, slots=True)
class CardExpiresSoon(Event):
    """A card's last valid day is near (R-CARD-4): its holder is told."""

    card_no: str
    person_id: int
    valid_until: date


@dataclass(frozen=True, slots=True)
class CardCancelled(Event):
    """A card was cancelled (R-CARD-5); its balance was paid out to `payee_name`."""

    card_no: str
    person_id: int
    bank: str
    region: str
    reason: str
    payout: int
    payee_name: str
