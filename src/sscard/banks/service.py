"""What the cooperative banks learn of their cards (R-LOSS-6), and their push endpoints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from sscard.banks.models import BankEndpoint, BankEvent
from sscard.cards.banks import is_cooperative_bank
from sscard.cards.models import Card
from sscard.errors import Forbidden, Invalid
from sscard.events import Event
from sscard.policy.regions import scope_prefix
from sscard.unit import Unit

KINDS = ("loss", "lift", "replacement", "cancellation")


@dataclass(frozen=True, slots=True)
class BankEventRecorded(Event):
    """A bank has a new event: push it once this transaction commits (R-NOTE-2)."""

    bank: str
    event_id: int


def notify_bank(unit: Unit, bank: str, kind: str, card_no: str, **detail: Any) -> None:
    """Record an event for a bank in the same transaction as the change it reports."""
    assert kind in KINDS
    event = BankEvent(bank=bank, kind=kind, card_no=card_no, at=unit.now, detail=detail)
    unit.session.add(event)
    unit.session.flush()
    unit.publish(BankEventRecorded(bank, event.id))


def events_for(unit: Unit, bank: str, since: int, limit: int) -> Sequence[BankEvent]:
    """A bank's events after `since` on cards of the caller's region (R-SEC-1), oldest first."""
    stmt = select(BankEvent).where(BankEvent.bank == bank, BankEvent.id > since)
    if prefix := scope_prefix(unit.actor.region):
        in_region = Card.region_code.startswith(prefix, autoescape=True)
        stmt = stmt.join(Card, Card.card_no == BankEvent.card_no).where(in_region)
    return unit.session.scalars(stmt.order_by(BankEvent.id).limit(limit)).all()


def set_endpoint(unit: Unit, bank: str, url: str, secret: str) -> BankEndpoint:
    """Register (or move) where a bank's events are pushed; pushing starts after the
    events it can already read, so a bank that polled so far is not flooded again."""
    if not is_cooperative_bank(bank):
        raise Invalid("unknown_bank", f"{bank!r} is not a cooperative bank", field="bank")
    if unit.actor.bank not in (None, bank):
        raise Forbidden("a bank registers only its own endpoint")
    endpoint = unit.session.get(BankEndpoint, bank, with_for_update=True)
    if endpoint is None:
        endpoint = BankEndpoint(bank=bank, pushed_through=_last_event_id(unit, bank), failures=0)
        unit.session.add(endpoint)
    endpoint.url, endpoint.secret = url, secret
    endpoint.updated_at, endpoint.updated_by = unit.now, unit.actor.subject
    endpoint.failures, endpoint.last_error = 0, None
    unit.audit("bank.endpoint", ("bank", bank), None, url=url)
    return endpoint


def _last_event_id(unit: Unit, bank: str) -> int:
    stmt = select(BankEvent.id).where(BankEvent.bank == bank).order_by(BankEvent.id.desc()).limit(1)
    return unit.session.scalar(stmt) or 0
