"""Offline uploads: charges a terminal made without the center, judged by R-LIA."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from sscard.cards.models import Card
from sscard.errors import Declined
from sscard.institutions.models import Institution
from sscard.invalid_list.models import ListChange
from sscard.invalid_list.rules import Op
from sscard.invalid_list.service import current_version
from sscard.people.ledger import PostingKind
from sscard.people.service import post
from sscard.settlement.events import CompensationGranted
from sscard.settlement.models import Compensation, Settlement
from sscard.settlement.rules import ListEntry, ListEvent, OfflineOutcome, allowed_category, liable_party, loss_at
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
    if card is None:
        return _reject(unit, record, code)
    record.person_id = card.person_id
    loss = loss_at(_list_history(unit, card), charge.occurred_at)
    try:
        posting = post(unit, card.person_id, -charge.amount, PostingKind.SETTLEMENT, memo="offline")
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
    _, institution = _terminal(unit)
    policy = unit.policy(institution.region_code)
    if not institution.designated:
        return "institution_not_designated", None
    if allowed_category(charge.category) is None:
        return "category_not_allowed", None
    if charge.amount > policy.offline_floor_limit:
        return "offline_limit_exceeded", None
    if charge.list_version > current_version(unit.session):
        return "invalid_list_version", None
    if charge.occurred_at > unit.now + timedelta(minutes=5):
        return "occurred_in_future", None
    card = unit.session.scalars(select(Card).where(Card.card_no == charge.card_no).with_for_update()).one_or_none()
    return (None, card) if card is not None else ("card_unknown", None)


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
