"""Card API shapes."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from sscard.cards.states import CardStatus
from sscard.schemas import Body, Out

Pin = Field(pattern=r"^[0-9]{6}$", description="six digits", examples=["135790"])


class CardIssue(Body):
    bank: str = Field(max_length=16, examples=["ICBC"])


class CardRead(Out):
    card_no: str
    person_id: int
    status: CardStatus
    bank: str
    region: str
    pin_locked: bool
    replaced_by: str | None = None
    replacement_for: str | None = None
    issued_at: datetime
    activated_at: datetime | None = None
    valid_until: date = Field(description="the last day the card is valid (R-CARD-4), China Standard Time")
    expired: bool = Field(description="past its last valid day: on the invalid list as expired")


class OpenReplacementRead(Out):
    replacement_id: int
    new_card_no: str
    status: str = Field(description="in_production or ready")
    ready_on: date


class CardDetail(CardRead):
    open_replacement: OpenReplacementRead | None = Field(
        description="the replacement applied for this card and not yet collected"
    )


class TransitionRead(Out):
    from_: str | None = Field(serialization_alias="from")
    to: str
    reason: str
    channel: str | None
    actor: str
    at: datetime


class CardHistory(Out):
    items: list[TransitionRead]


class Activation(Body):
    pin: str = Pin


class PinChange(Body):
    old_pin: str = Pin
    new_pin: str = Pin


class Empty(Body):
    """An empty JSON object (or no body at all)."""


class PersonalizationRead(Out):
    """What the card producer writes into the chip (R-SET-6)."""

    card_no: str
    card_key: str = Field(description="the card's own key: 64 lowercase hex digits")
