"""Offline uploads: charges a terminal made without the center.

Each is believed only on its card's proof (R-SET-6) and then judged by R-LIA: the
cryptogram shows the holder's card made this very charge — amount, instant, terminal
— so a terminal can neither invent a charge nor move one to before a loss report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from sscard.cards.cryptogram import SignedCharge, is_genuine
from sscard.cards.models import Card
from sscard.errors import Declined
from sscard.institutions.models import Institution
from sscard.invalid_list.models import ListChange
from sscard.invalid_list.rules import Op
from sscard.invalid_list.service import current_version
from sscard.invalid_list.sync import city_of
from sscard.people.ledger import PostingKind
from sscard.people.service import post
from sscard.policy.regions import covers
from sscard.settlement.events import CompensationGranted
from sscard.settlement.models import Compensation, OfflineCounter, Settlement
from sscard.settlement.rules import (
    ListEntry,
    ListEvent,
    OfflineOutcome,
    OfflineTerms,
    allowed_category,
    liable_party,
    loss_at,
    offline_refusal,
)
from sscard.settlement.service import SETTLEMENTS, _terminal
from sscard.unit import Unit


@dataclass(frozen=True, slots=True)
class OfflineCharge:
    local_id: str
    card_no: str
    amount: int
    category: str
    occurred_at: datetime
    list_version: int
    # R-SET-6: the card's proof; the instant exactly as sent, which is what it signed.
    occurred_at_text: str = ""
    counter: int | None = None
    pin_verified: bool = False
    cryptogram: str | None = None


@dataclass(frozen=True, slots=True)
class OfflineResult:
    local_id: str
    status: OfflineOutcome
    settlement_id: int | None = None
    compensation_id: int | None = None
    code: str | None = None


def upload(unit: Unit, charges: list[OfflineCharge]) -> list[OfflineResult]:
    """Judge each offline charge once; an upload sent again returns the same results."""
    return [_judge_once(unit, charge) for charge in charges]


def _judge_once(unit: Unit, charge: OfflineCharge) -> OfflineResult:
    terminal, _ = _terminal(unit)
    seen = unit.session.scalars(
        select(Settlement).where(Settlement.terminal_id == terminal.terminal_id, Settlement.local_id == charge.local_id)
    ).one_or_none()
    if seen is not None:
        return _result_of(unit, seen)
    return _result_of(unit, _judge(unit, charge))


def _judge(unit: Unit, charge: OfflineCharge) -> Settlement:
    record = _new_record(unit, charge)
    code, card = _refusal(unit, charge)
    if card is not None:
        record.person_id = card.person_id
        code = _proof_refusal(unit, charge, card, record)
    if card is None or code is not None:
        return _reject(unit, record, code)
    return _accept(unit, record, card)


def _accept(unit: Unit, record: Settlement, card: Card) -> Settlement:
    """Move the money of a charge the card proved; R-LIA decides who bears it."""
    loss = loss_at(_list_history(unit, card), record.occurred_at)
    try:
        posting = post(unit, card.person_id, -record.amount, PostingKind.SETTLEMENT, memo="offline")
    except Declined as decline:
        if loss is None:  # R-LIA-1: the holder's own charge needs the holder's money
            return _reject(unit, record, decline.code)
        posting = None  # after the report the holder owes nothing, so there is nothing to take
    record.status, record.balance_after = "posted", posting.balance_after if posting else None
    unit.session.flush()
    if loss is not None:
        _compensate(unit, record, card, loss, charged=posting is not None)
    SETTLEMENTS.labels("offline", record.status).inc()
    return record


def _new_record(unit: Unit, charge: OfflineCharge) -> Settlement:
    terminal, institution = _terminal(unit)
    record = Settlement(
        institution_id=institution.id,
        terminal_id=terminal.terminal_id,
        card_no=charge.card_no,
        method="offline",
        amount=charge.amount,
        category=charge.category,
        list_version=charge.list_version,
        at=unit.now,
        occurred_at=charge.occurred_at,
        local_id=charge.local_id,
        status="rejected",
    )
    unit.session.add(record)
    return record


def _reject(unit: Unit, record: Settlement, code: str | None) -> Settlement:
    record.code = code
    unit.session.flush()
    SETTLEMENTS.labels("offline", code or "rejected").inc()
    return record


def _refusal(unit: Unit, charge: OfflineCharge) -> tuple[str | None, Card | None]:
    """Refusals that need no proof: the institution, the category, the card and its region."""
    _, institution = _terminal(unit)
    if not institution.designated:
        return "institution_not_designated", None
    if allowed_category(charge.category) is None:
        return "category_not_allowed", None
    card = unit.session.scalars(select(Card).where(Card.card_no == charge.card_no).with_for_update()).one_or_none()
    if card is None:
        return "card_unknown", None
    # R-SEC-1: a terminal follows its city's invalid list (R-INV-3), so it is believed
    # only on that city's cards; another city's is refused as outside its region.
    if not covers(city_of(institution.region_code), card.region_code):
        return "out_of_region", None
    return None, card


def _proof_refusal(unit: Unit, charge: OfflineCharge, card: Card, record: Settlement) -> str | None:
    """R-SET-6: the card's cryptogram, then its counter, then the terms of an offline charge."""
    counter, proof = charge.counter, charge.cryptogram
    if (
        counter is None
        or proof is None
        or not is_genuine(unit.runtime.card_key(card.card_no), _signed(unit, charge), proof)
    ):
        return "cryptogram_invalid"
    if not _spend_counter(unit, OfflineCounter(card_id=card.id, counter=counter, cryptogram=proof), record):
        return "counter_reused"
    return offline_refusal(
        _terms(unit, card),
        pin_verified=charge.pin_verified,
        occurred_at=charge.occurred_at,
        amount=charge.amount,
        list_version=charge.list_version,
    )


def _signed(unit: Unit, charge: OfflineCharge) -> SignedCharge:
    """What the card signed, if the upload tells the truth (R-SET-6)."""
    return SignedCharge(
        card_no=charge.card_no,
        counter=charge.counter or 0,
        amount=charge.amount,
        category=charge.category,
        occurred_at=charge.occurred_at_text,
        terminal_id=unit.actor.subject,
        pin_verified=charge.pin_verified,
    )


def _spend_counter(unit: Unit, used: OfflineCounter, record: Settlement) -> bool:
    """Spend the card's counter on this charge; False when a charge already spent it.

    The card row is locked, so uploads of one card queue here; the unique constraint
    is the database's own guard. A genuine charge spends its counter even when it is
    refused later on, as the chip spent it: the same proof never counts twice.
    """
    unit.session.flush()
    used.settlement_id = record.id
    try:
        with unit.session.begin_nested():
            unit.session.add(used)
    except IntegrityError:
        return False
    return True


def _terms(unit: Unit, card: Card) -> OfflineTerms:
    _, institution = _terminal(unit)
    policy = unit.policy(institution.region_code)
    return OfflineTerms(
        now=unit.now,
        card_issued_at=card.issued_at,
        upload_window=timedelta(hours=policy.offline_upload_hours),
        floor_limit=policy.offline_floor_limit,
        newest_list_version=current_version(unit.session),
    )


def _list_history(unit: Unit, card: Card) -> list[ListEvent]:
    changes = unit.session.scalars(select(ListChange).where(ListChange.card_no == card.card_no))
    return [ListEvent(version=c.version, at=c.at, added=c.op == Op.ADD, reason=c.reason) for c in changes]


def _compensate(unit: Unit, record: Settlement, card: Card, loss: ListEntry, *, charged: bool) -> None:
    """R-LIA-2: make the holder whole at the original price and name who pays."""
    institution = unit.session.get_one(Institution, record.institution_id)
    max_lag = timedelta(minutes=unit.policy(institution.region_code).max_list_lag_minutes)
    liable = liable_party(
        occurred_at=record.occurred_at, entry=loss, terminal_version=record.list_version or 0, max_lag=max_lag
    )
    record.status = "compensated"
    compensation = Compensation(
        settlement_id=record.id,
        person_id=card.person_id,
        institution_id=record.institution_id,
        amount=record.amount,
        liable=liable.value,
        status="paid",
        at=unit.now,
    )
    unit.session.add(compensation)
    unit.session.flush()
    if charged:
        post(unit, card.person_id, record.amount, PostingKind.COMPENSATION, ref=f"compensation:{compensation.id}")
    unit.publish(CompensationGranted(compensation.id, card.person_id, card.card_no, record.amount))
    unit.audit(
        "settlement.compensate", ("settlement", record.id), card.region_code, amount=record.amount, liable=liable.value
    )


def _result_of(unit: Unit, record: Settlement) -> OfflineResult:
    compensation_id = None
    if record.status == "compensated":
        compensation_id = unit.session.scalar(select(Compensation.id).where(Compensation.settlement_id == record.id))
    outcome = OfflineOutcome.REJECTED if record.status == "rejected" else OfflineOutcome(record.status)
    return OfflineResult(
        local_id=record.local_id or "",
        status=outcome,
        settlement_id=record.id if outcome is not OfflineOutcome.REJECTED else None,
        compensation_id=compensation_id,
        code=record.code,
    )
