"""Online settlement, refunds and balance inquiry (R-SET, R-CARD-3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter, Histogram
from sqlalchemy import select

from sscard.cards.models import Card
from sscard.cards.service import verify_pin
from sscard.cards.states import CardStatus
from sscard.errors import Conflict, Declined, Forbidden, NotFound, Refused, ServiceError
from sscard.institutions.models import Institution, Terminal
from sscard.invalid_list.service import entry_of
from sscard.people.ledger import PostingKind
from sscard.people.service import account_of, post
from sscard.settlement import ecert
from sscard.settlement.models import Refund, Settlement
from sscard.settlement.rules import allowed_category
from sscard.unit import Unit

SETTLEMENTS = Counter(
    "sscard_settlements_total",
    "Settlement attempts: online or offline, and approved, posted, compensated or the decline code",
    ["channel", "outcome"],
)
SETTLEMENT_LATENCY = Histogram(
    "sscard_settlement_seconds",
    "Time to settle, from request to decision",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)


@dataclass(frozen=True, slots=True)
class Charge:
    """What a terminal asks to charge: with the card and PIN, or an e-certificate."""

    amount: int
    category: str
    card_no: str | None = None
    pin: str | None = None
    ecert_token: str | None = None
    items: list[Any] = field(default_factory=list)


def settle(unit: Unit, charge: Charge) -> Settlement:
    """Charge the personal account, or record why not (see _settle)."""
    with SETTLEMENT_LATENCY.time():
        return _settle(unit, charge)


def _settle(unit: Unit, charge: Charge) -> Settlement:
    """Charge the personal account, or record why not (402 with the decline code).

    The card row and then the account row are locked, so concurrent charges queue and
    a loss report either commits before (the charge is declined) or after (the charge
    stood when it was made).
    """
    terminal, institution = _terminal(unit)
    record = Settlement(
        institution_id=institution.id,
        terminal_id=terminal.terminal_id,
        amount=charge.amount,
        category=charge.category,
        items=charge.items,
        method="ecert" if charge.ecert_token else "card",
        card_no=charge.card_no,
        list_version=terminal.list_version,
        at=unit.now,
        occurred_at=unit.now,
        status="declined",
    )
    try:
        record.person_id = _check(unit, institution, charge)
        posting = post(unit, record.person_id, -charge.amount, PostingKind.SETTLEMENT)
    except Declined as decline:
        _record_decline(unit, record, decline)
        raise
    record.status, record.balance_after = "approved", posting.balance_after
    unit.session.add(record)
    unit.session.flush()
    posting.ref = f"settlement:{record.id}"
    SETTLEMENTS.labels("online", "approved").inc()
    return record


def _terminal(unit: Unit) -> tuple[Terminal, Institution]:
    row = unit.session.execute(
        select(Terminal, Institution).join(Institution).where(Terminal.terminal_id == unit.actor.subject)
    ).one_or_none()
    if row is None:
        raise Forbidden("this terminal is not registered")
    return row.Terminal, row.Institution


def _check(unit: Unit, institution: Institution, charge: Charge) -> int:
    """The person to charge, once every rule allows it; raises Declined."""
    if not institution.designated:
        raise Declined("institution_not_designated", "only designated institutions settle (R-SET-1)")
    if allowed_category(charge.category) is None:
        raise Declined("category_not_allowed", f"{charge.category!r} is not a medical item (R-SET-1)")
    if charge.ecert_token is not None:
        return ecert.redeem(unit, charge.ecert_token)
    card = _usable_card(unit, charge.card_no or "")
    _verify_pin_at_terminal(unit, card, charge.pin or "")
    return card.person_id


def _verify_pin_at_terminal(unit: Unit, card: Card, pin: str) -> None:
    """At a terminal a PIN refusal is a decline (402) like the others, and a wrong PIN
    still counts toward the lock."""
    try:
        verify_pin(unit, card, pin)
    except Refused as refusal:
        decline = Declined(refusal.code, refusal.detail, **refusal.extra)
        decline.keep_changes = refusal.keep_changes
        raise decline from refusal


def _usable_card(unit: Unit, card_no: str) -> Card:
    card = unit.session.scalars(select(Card).where(Card.card_no == card_no).with_for_update()).one_or_none()
    if card is None or entry_of(unit.session, card_no) is not None:
        raise Declined("card_invalid", "the card is on the invalid list (R-SET-2)")
    if card.status != CardStatus.ACTIVE:
        raise Declined("card_not_active", f"the card is {card.status}")
    if card.pin_locked_at is not None:
        raise Declined("pin_locked", "the PIN is locked; unlock it at an outlet or the bank")
    return card


def _record_decline(unit: Unit, record: Settlement, refusal: ServiceError) -> None:
    # A decline is recorded, and a wrong PIN counted, even though the request fails.
    record.code = refusal.code
    unit.session.add(record)
    unit.session.flush()
    refusal.keep_changes = True
    SETTLEMENTS.labels("online", refusal.code).inc()


def refund(unit: Unit, settlement_id: int, amount: int | None) -> Refund:
    """Give back all or part of an approved settlement, never more than charged."""
    record = unit.session.scalars(
        select(Settlement).where(Settlement.id == settlement_id).with_for_update()
    ).one_or_none()
    _, institution = _terminal(unit)
    if record is None or record.institution_id != institution.id:
        raise NotFound(f"no settlement {settlement_id} at this institution")
    # An offline charge the holder bore ("posted") was money taken like any other.
    if record.status not in ("approved", "posted") or record.person_id is None:
        raise Conflict("not_refundable", "only an approved settlement can be refunded")
    amount = record.amount - record.refunded if amount is None else amount
    if not 0 < amount <= record.amount - record.refunded:
        raise Conflict(
            "refund_exceeds_charge",
            f"at most {record.amount - record.refunded} fen can still be refunded",
            refundable=record.amount - record.refunded,
        )
    posting = post(unit, record.person_id, amount, PostingKind.REFUND, ref=f"settlement:{record.id}")
    record.refunded += amount
    row = Refund(settlement_id=record.id, amount=amount, at=unit.now, balance_after=posting.balance_after)
    unit.session.add(row)
    unit.session.flush()
    return row


def balance_inquiry(unit: Unit, card_no: str, pin: str) -> tuple[int, int]:
    """R-SET-4: the balance and the held part, against the card's PIN."""
    card = _usable_card(unit, card_no)
    unit.actor.require_bank(card.bank)
    _verify_pin_at_terminal(unit, card, pin)
    account = account_of(unit, card.person_id)
    return account.balance, account.held
