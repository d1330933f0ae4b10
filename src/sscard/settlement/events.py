"""What happens in settlement, as events other areas subscribe to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sscard.events import Event


@dataclass(frozen=True, slots=True)
class CompensationGranted(Event):
    """A charge made after the loss report was made good to the holder (R-LIA-2)."""

    compensation_id: int
    person_id: int
    card_no: str
    amount: int


@dataclass(frozen=True, slots=True)
class SettlementRecorded(Event):
    """A terminal's online charge was approved or declined (`outcome`), at an institution
    of `region`."""

    institution_id: int
    region: str
    outcome: str
    at: datetime
