"""Cancelling a card for good (R-CARD-5): listed, the bank told, the balance paid out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from sscard.cards.events import CardCancelled
from sscard.cards.models import Card
from sscard.cards.service import find_card, transition
from sscard.cards.states import FINAL, CardEvent, CardStatus
from sscard.clock import china_date
from sscard.errors import Conflict, Invalid
from sscard.loss.cancellation_rules import (
    DOCUMENTS,
    CancellationReason,
    PayeeRelation,
    missing_documents,
    payee_relation,
)
from sscard.loss.models import Replacement
from sscard.loss.service import has_replacement
from sscard.people.idnumber import InvalidIdNumber, parse_id_number
from sscard.people.models import Person
from sscard.people.names import name_key
from sscard.people.service import pay_out
from sscard.policy.regions import PROVINCE_CODES
from sscard.unit import Unit


@dataclass(frozen=True, slots=True)
class Payee:
    name: str
    id_number: str
    relation: PayeeRelation


@dataclass(frozen=True, slots=True)
class Cancelled:
    card: Card
    payout: int
    payee: Payee


def cancel_card(
    unit: Unit, card_no: str, reason: CancellationReason, documents: Sequence[str], payee: Payee | None
) -> Cancelled:
    """Cancel a card at the counter and pay its account out (R-CARD-5)."""
    card = find_card(unit, card_no, for_update=True)
    person = unit.session.get_one(Person, card.person_id)
    _check_documents(reason, documents)
    paid_to = _payee(unit, reason, person, payee)
    if CardStatus(card.status) not in FINAL and has_replacement(unit, card):
        raise Conflict("replacement_exists", "a new card is being made for this card; collect it, then cancel that one")
    transition(
        unit,
        card,
        CardEvent.CANCEL,
        reason=f"cancelled_{reason}",
        channel="counter",
        refusal_code="card_not_cancellable",
    )
    _close_pending_transfers(unit, card)
    amount = pay_out(unit, person.id, ref=card.card_no, payee=paid_to.name)
    unit.publish(
        CardCancelled(card.card_no, person.id, card.bank, card.region_code, reason.value, amount, paid_to.name)
    )
    unit.audit(
        "card.cancel",
        ("card", card.card_no),
        card.region_code,
        reason=reason.value,
        payout=amount,
        payee_relation=paid_to.relation.value,
        documents=list(documents),
    )
    return Cancelled(card, amount, paid_to)


def _check_documents(reason: CancellationReason, documents: Sequence[str]) -> None:
    unknown = sorted(set(documents) - DOCUMENTS)
    if unknown:
        raise Invalid(
            "invalid_request", f"unknown documents: {', '.join(unknown)}", field="documents", known=sorted(DOCUMENTS)
        )
    lacking = missing_documents(reason, documents)
    if lacking:
        raise Invalid("documents_missing", f"missing: {', '.join(lacking)}", missing=lacking)


def _payee(unit: Unit, reason: CancellationReason, person: Person, payee: Payee | None) -> Payee:
    wanted = payee_relation(reason)
    if wanted is PayeeRelation.SELF:
        if payee is not None and payee.relation is not PayeeRelation.SELF:
            raise Invalid("invalid_request", "the balance is paid to the holder themself", field="payee.relation")
        return Payee(person.name, person.id_number, PayeeRelation.SELF)
    if payee is None or payee.relation is not PayeeRelation.HEIR:
        raise Invalid("invalid_request", "after a death the balance is paid to the heir: name them", field="payee")
    _check_heir(unit, person, payee)
    return Payee(payee.name.strip(), payee.id_number.strip().upper(), PayeeRelation.HEIR)


def _check_heir(unit: Unit, person: Person, payee: Payee) -> None:
    try:
        heir = parse_id_number(payee.id_number, today=china_date(unit.now), known_provinces=PROVINCE_CODES)
    except InvalidIdNumber as exc:
        raise Invalid(
            "invalid_id_number", f"the heir's ID number is not valid: {exc}", field="payee.id_number", reason=exc.reason
        ) from exc
    if heir.value == person.id_number or name_key(payee.name) == "":
        raise Invalid("invalid_request", "the heir is someone other than the holder, with a name", field="payee")


def _close_pending_transfers(unit: Unit, card: Card) -> None:
    # Money still waiting to reach this card (R-REP-6) is paid out with the rest.
    stmt = select(Replacement).where(
        Replacement.new_card_no == card.card_no,
        Replacement.collected_at.is_not(None),
        Replacement.transferred_at.is_(None),
    )
    for pending in unit.session.scalars(stmt.with_for_update()):
        pending.transferred_at = unit.now
        unit.audit(
            "replacement.transfer_closed", ("replacement", pending.id), card.region_code, amount=pending.held_amount
        )
