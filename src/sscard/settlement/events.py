"""What happens in settlement, as events other areas subscribe to."""

from __future__ import annotations

from dataclasses import dataclass

from sscard.events import Event


@dataclass(frozen=True, slots=True)
class CompensationGranted(Event):
    """A charge made after the loss report was made good to the holder (R-LIA-2)."""

    compensation_id: int
    person_id: int
    card_no: str
    amount: int
