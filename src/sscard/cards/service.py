"""Issuing cards and moving them through their life (R-CARD-1, R-CARD-3)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from sscard.cards.banks import is_cooperative_bank
from sscard.cards.events import CardActivated, CardChanged
from sscard.cards.models import Card, CardSerial, CardTransition
from sscard.cards.numbers import is_card_no, make_card_no
from sscard.cards.pin import count_attempt
from sscard.cards.states import LIVE, CardEvent, CardStatus, TransitionRefused, next_status
from sscard.cards.validity import last_valid_day
from sscard.clock import china_date
from sscard.errors import Conflict, Forbidden, Invalid, NotFound, Refused
from sscard.people.models import Person
from sscard.people.service import find_person
from sscard.roles import Role
from sscard.unit import Unit


def issue_card(unit: Unit, person_id: int, bank: str) -> Card:
    """Issue a person's first card, unactivated; 409 card_exists while one stands."""
    if not is_cooperative_bank(bank):
        raise Invalid("unknown_bank", f"{bank!r} is not a cooperative bank", field="bank")
    person = find_person(unit, person_id)
    # The person row is the lock that keeps two clerks from issuing two cards at once;
    # the partial unique index on cards is the database's own guard.
    unit.session.scalars(select(Person).where(Person.id == person.id).with_for_update()).one()
    if live_card(unit, person.id) is not None:
        raise Conflict("card_exists", "this person already has a card; a lost or damaged one is replaced")
    card = Card(
        card_no=reserve_card_no(unit, person.region_code),
        person_id=person.id,
        region_code=person.region_code,
        bank=bank,
        status=CardStatus.UNACTIVATED.value,
        issued_at=unit.now,
        status_changed_at=unit.now,
        valid_until=valid_until(unit, person.region_code),
    )
    unit.session.add(card)
    unit.session.flush()
    record_transition(unit, card, None, CardStatus.UNACTIVATED, reason="issued", channel="counter")
    unit.audit("card.issue", ("card", card.card_no), card.region_code, bank=bank, person_id=person.id)
    return card


def valid_until(unit: Unit, region: str) -> date:
    """The last valid day of a card issued now in a region (R-CARD-4)."""
    return last_valid_day(china_date(unit.now), unit.policy(region).card_valid_years)


def reserve_card_no(unit: Unit, region: str) -> str:
    """The next card number of a region; never handed out again (R-REP-5)."""
    return make_card_no(region, _next_serial(unit, region))


def _next_serial(unit: Unit, region: str) -> int:
    stmt = select(CardSerial).where(CardSerial.region_code == region).with_for_update()
    counter = unit.session.scalars(stmt).one_or_none()
    if counter is None:
        try:
            with unit.session.begin_nested():
                unit.session.add(CardSerial(region_code=region, last_serial=0))
        except IntegrityError:  # another transaction created the counter first
            pass
        counter = unit.session.scalars(stmt).one()
    counter.last_serial += 1
    return counter.last_serial


def live_card(unit: Unit, person_id: int) -> Card | None:
    """The card that stands for the person now, if any."""
    stmt = select(Card).where(Card.person_id == person_id, Card.status.in_(LIVE))
    return unit.session.scalars(stmt).one_or_none()


def require_account_bank(unit: Unit, person_id: int) -> None:
    """A bank credits only an account whose live card it issued."""
    # R-REP-6: the account's money is held at the bank of the person's card.
    if unit.actor.role is not Role.BANK:
        return
    card = live_card(unit, person_id)
    if card is None or card.bank != unit.actor.bank:
        raise Forbidden("this person's account is not held at your bank")


def find_card(unit: Unit, card_no: str, *, for_update: bool = False) -> Card:
    """A card the caller may act on: staff in scope (a bank: its own cards), or its holder."""
    stmt = select(Card).where(Card.card_no == card_no)
    card = unit.session.scalars(stmt.with_for_update() if for_update else stmt).one_or_none()
    if card is None or not is_card_no(card_no):
        raise NotFound(f"no card {card_no}")
    unit.actor.require_person(card.person_id, card.region_code)
    unit.actor.require_bank(card.bank)
    return card


def transition(
    unit: Unit, card: Card, event: CardEvent, *, reason: str, channel: str | None, refusal_code: str
) -> CardStatus:
    """Move a card along one arrow of the table and record it; 409 refusal_code."""
    current = CardStatus(card.status)
    try:
        target = next_status(current, event, activated=card.activated_at is not None)
    except TransitionRefused as exc:
        raise Conflict(refusal_code, str(exc), card_status=current.value) from exc
    card.status, card.status_changed_at = target.value, unit.now
    record_transition(unit, card, current, target, reason=reason, channel=channel)
    unit.publish(CardChanged(card.id, card.card_no))  # R-INV-1: the list follows in this transaction
    return target


def record_transition(
    unit: Unit, card: Card, source: CardStatus | None, target: CardStatus, *, reason: str, channel: str | None
) -> None:
    """Append one arrow to the card's history (GET …/history)."""
    unit.session.add(
        CardTransition(
            card_id=card.id,
            from_status=source.value if source else None,
            to_status=target.value,
            reason=reason,
            channel=channel,
            actor=unit.actor.subject,
            at=unit.now,
        )
    )
    unit.session.flush()


def activate(unit: Unit, card_no: str, pin: str) -> Card:
    """Activate an unactivated card with the PIN its holder chose (R-CARD-1)."""
    card = find_card(unit, card_no, for_update=True)
    transition(
        unit, card, CardEvent.ACTIVATE, reason="activated", channel=_channel(unit), refusal_code="card_not_activatable"
    )
    card.pin_hash = unit.runtime.pins.hash(card.card_no, pin)
    card.pin_failures, card.pin_locked_at, card.activated_at = 0, None, unit.now
    unit.audit("card.activate", ("card", card.card_no), card.region_code)
    unit.publish(CardActivated(card.id, card.card_no, card.person_id))  # R-REP-6: a transfer may be due
    return card


def verify_pin(unit: Unit, card: Card, pin: str) -> None:
    """R-CARD-3: check a PIN against the try counter; 403 pin_locked / pin_incorrect.

    A wrong PIN is refused with keep_changes, so the count survives the refusal.
    """
    if card.pin_locked_at is not None:
        raise Refused("pin_locked", "the PIN is locked; unlock it at an outlet or the bank")
    correct = unit.runtime.pins.verify(card.card_no, pin, card.pin_hash)
    if correct:  # R-CARD-3: a right PIN clears the count, whatever the limit (no policy read)
        if card.pin_failures:  # left alone when clear: nothing for the session to flush
            card.pin_failures = 0
        return
    max_tries = unit.policy(card.region_code).pin_max_tries
    attempt = count_attempt(correct=False, failures=card.pin_failures, max_tries=max_tries)
    card.pin_failures = attempt.failures
    if attempt.locked:
        card.pin_locked_at = unit.now
        unit.audit("card.pin_lock", ("card", card.card_no), card.region_code, failures=attempt.failures)
    error = Refused("pin_incorrect", "the PIN is incorrect", tries_left=max(max_tries - attempt.failures, 0))
    error.keep_changes = True
    raise error


def change_pin(unit: Unit, card_no: str, old_pin: str, new_pin: str) -> None:
    """The holder (or their bank) changes an active card's PIN."""
    card = find_card(unit, card_no, for_update=True)
    if card.status != CardStatus.ACTIVE:
        raise Conflict("card_not_active", f"the card is {card.status}, not active")
    verify_pin(unit, card, old_pin)
    card.pin_hash = unit.runtime.pins.hash(card.card_no, new_pin)
    # R-CARD-2: a PIN the holder changed is a risk the loss report must record.
    card.pin_changed_by_holder = card.pin_changed_by_holder or unit.actor.role is Role.CARDHOLDER
    unit.audit("card.pin_change", ("card", card.card_no), card.region_code)


def unlock_pin(unit: Unit, card_no: str) -> Card:
    """Clear a PIN lock at an outlet or the card's bank (R-CARD-3)."""
    card = find_card(unit, card_no, for_update=True)
    was_locked = card.pin_locked_at is not None
    card.pin_failures, card.pin_locked_at = 0, None
    unit.audit("card.pin_unlock", ("card", card.card_no), card.region_code, was_locked=was_locked)
    return card


def history(unit: Unit, card_no: str) -> Sequence[CardTransition]:
    """Every transition of a card, oldest first."""
    card = find_card(unit, card_no)
    stmt = select(CardTransition).where(CardTransition.card_id == card.id).order_by(CardTransition.id)
    return unit.session.scalars(stmt).all()


def personalization(unit: Unit, card_no: str) -> bytes:
    """R-SET-6: the card's own key for the card producer; the export is audited, the key never."""
    card = find_card(unit, card_no)
    unit.audit("card.personalization_export", ("card", card.card_no), card.region_code)
    return unit.runtime.card_key(card.card_no)


def cards_of(unit: Unit, person_id: int) -> Sequence[Card]:
    """All cards a person has had, newest first."""
    return unit.session.scalars(select(Card).where(Card.person_id == person_id).order_by(Card.id.desc())).all()


def _channel(unit: Unit) -> str:
    return {Role.BANK: "bank", Role.CARDHOLDER: "online"}.get(unit.actor.role, "counter")
