"""Bodies and responses of the bank routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from sscard.banks.models import BankEvent
from sscard.schemas import Body, Out


class BankEventRead(Out):
    event_id: int
    kind: str
    card_no: str
    at: datetime
    detail: dict[str, object]


def bank_event_read(event: BankEvent) -> BankEventRead:
    """An event as a bank reads it, polled or pushed: the same bytes either way."""
    return BankEventRead(event_id=event.id, kind=event.kind, card_no=event.card_no, at=event.at, detail=event.detail)


class BankEventPage(Out):
    items: list[BankEventRead]
    next_since: int = Field(description="pass as ?since= to read on")


class EndpointSet(Body):
    url: str = Field(
        min_length=8, max_length=500, pattern=r"^https?://\S+$", description="where events are POSTed (R-NOTE-2)"
    )
    secret: str = Field(min_length=16, max_length=200, description="the bank's own key for Sscard-Signature")


class EndpointRead(Out):
    bank: str
    url: str
    pushed_through: int = Field(description="the newest event the bank has acknowledged")
    failures: int = Field(description="failed pushes in a row")
    last_error: str | None
