"""What the cooperative banks learn of their cards (R-LOSS-6)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from sscard.loss.models import BankEvent
from sscard.unit import Unit

KINDS = ("loss", "lift", "replacement", "cancellation")


def notify_bank(unit: Unit, bank: str, kind: str, card_no: str, **detail: Any) -> None:
    """Record an event for a bank in the same transaction as the change it reports."""
    assert kind in KINDS
    unit.session.add(BankEvent(bank=bank, kind=kind, card_no=card_no, at=unit.now, detail=detail))


def events_for(unit: Unit, bank: str, since: int, limit: int) -> Sequence[BankEvent]:
    """A bank's events after `since`, oldest first."""
    stmt = select(BankEvent).where(BankEvent.bank == bank, BankEvent.id > since).order_by(BankEvent.id).limit(limit)
    return unit.session.scalars(stmt).all()
