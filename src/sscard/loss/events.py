"""What happens to a loss report or a replacement, as events other areas subscribe to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sscard.events import Event


@dataclass(frozen=True, slots=True)
class LossReported(Event):
    """A loss report took effect: the card settles nothing from now (R-LOSS-1)."""

    card_no: str
    person_id: int
    bank: str
    region: str
    kind: str
    channel: str
    report_id: int


@dataclass(frozen=True, slots=True)
class LossLifted(Event):
    """The card is usable again: `found` (lifted) or `provisional_expired` (released, R-LOSS-5)."""

    card_no: str
    person_id: int
    bank: str
    region: str
    reason: str


@dataclass(frozen=True, slots=True)
class ReplacementApplied(Event):
    """A new card was applied for (R-REP-1 … R-REP-4)."""

    replacement_id: int
    card_id: int
    card_no: str
    person_id: int
    bank: str
    region: str
    reason: str
    new_card_no: str
    new_bank: str
    ready_on: date


@dataclass(frozen=True, slots=True)
class ReplacementReady(Event):
    """The new card can be collected from today (R-REP-3)."""

    replacement_id: int
    person_id: int
    new_card_no: str
    ready_on: date


@dataclass(frozen=True, slots=True)
class ReplacementCollected(Event):
    """The holder took the new card; the old one is replaced (R-REP-5)."""

    replacement_id: int
    card_no: str
    person_id: int
    bank: str
    new_card_no: str
    new_bank: str
