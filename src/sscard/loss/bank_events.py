"""What the cooperative banks learn of their cards (R-LOSS-6)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from sscard.cards.models import Card
from sscard.loss.models import BankEvent
from sscard.policy.regions import scope_prefix
from sscard.unit import Unit

KINDS = ("loss", "lift", "replacement", "cancellation")


def notify_bank(unit: Unit, bank: str, kind: str, card_no: str, **detail: Any) -> None:
    """Record an event for a bank in the same transaction as the change it reports."""
    assert kind in KINDS
    unit.session.add(BankEvent(bank=bank, kind=kind, card_no=card_no, at=unit.now, detail=detail))


def events_for(unit: Unit, bank: str, since: int, limit: int) -> Sequence[BankEvent]:
    """A bank's events after `since` on cards of the caller's region (R-SEC-1), oldest first."""
    stmt = select(BankEvent).where(BankEvent.bank == bank, BankEvent.id > since)
    if prefix := scope_prefix(unit.actor.region):
        in_region = Card.region_code.startswith(prefix, autoescape=True)
        stmt = stmt.join(Card, Card.card_no == BankEvent.card_no).where(in_region)
    return unit.session.scalars(stmt.order_by(BankEvent.id).limit(limit)).all()
