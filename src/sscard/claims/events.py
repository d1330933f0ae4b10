"""What happens to a claim, as events other areas subscribe to."""

from __future__ import annotations

from dataclasses import dataclass

from sscard.events import Event


@dataclass(frozen=True, slots=True)
class ClaimDecided(Event):
    """A claim was approved (and paid) or rejected (R-CLM-2)."""

    claim_id: int
    person_id: int
    status: str
    approved_amount: int
    reason: str | None
