"""What staff see of a person: the person, the balance and the cards."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from sscard.cards.schemas import CardRead
from sscard.people.schemes import Scheme
from sscard.schemas import FenRead, Out


class PersonRead(Out):
    person_id: int
    id_number: str
    name: str
    region: str
    scheme: Scheme
    unit_name: str | None
    phone: str | None
    language: str
    balance: FenRead
    held: FenRead = Field(description="part of the balance waiting for its move to a replacement card (R-REP-6)")
    created_at: datetime
    cards: list[CardRead] = Field(default_factory=list)


class PersonPage(Out):
    items: list[PersonRead]
    next: str | None = Field(description="pass as ?cursor= for the next page; null at the end")
