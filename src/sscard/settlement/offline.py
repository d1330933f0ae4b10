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
from sscard.invalid_list.service import current_version, entry_of
from sscard.people.ledger import PostingKind
from sscard.people.service import post
from sscard.settlement.models import Compensation, Settlement
from sscard.settlement.rules import ListEntry, OfflineOutcome, allowed_category, bears_charge, liable_party
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
    code, card = _refusal(unit, charge, institution.region_code, institution.designated)
    if code is not None or card is None:
        record.code = code
        unit.session.flush()
        SETTLEMENTS.labels(f"offline_{code}").inc()
        return record
    record.person_id = card.person_id
    invalid_since = card.lost_since or _listed_since(unit, card)
    try:
        posting = post(unit, card.person_id, -charge.amount, PostingKind.SETTLEMENT, memo="offline")
    except Declined as decline:
        if bears_charge(charge.occurred_at, invalid_since):
            record.code = decline.code  # R-LIA-1: the holder's own charge needs the holder's money
            unit.session.flush()
            return record
        posting = None  # after the report the holder owes nothing, so nothing to take back
    record.status, record.balance_after = "posted", posting.balance_after if posting else None
    unit.session.flush()
    if invalid_since is not None and not bears_charge(charge.occurred_at, invalid_since):
        _compensate(unit, record, card, charge, invalid_since, charged=posting is not None)
    SETTLEMENTS.labels(f"offline_{record.status}").inc()
    return record


def _refusal(unit: Unit, charge: OfflineCharge, region: str, designated: bool) -> tuple[str | None, Card | None]:
    policy = unit.policy(region)
    if not designated:
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


def _listed_since(unit: Unit, card: Card) -> datetime | None:
    entry = entry_of(unit.session, card.card_no)
    return entry.since if entry else None


def _compensate(
    unit: Unit, record: Settlement, card: Card, charge: OfflineCharge, invalid_since: datetime, *, charged: bool
) -> None:
    """R-LIA-2: make the holder whole at the original price and name who pays."""
    institution = unit.session.get_one(Institution, record.institution_id)
    max_lag = timedelta(minutes=unit.policy(institution.region_code).max_list_lag_minutes)
    entry = _entry_added(unit, card, invalid_since, charge.occurred_at)
    liable = liable_party(
        occurred_at=charge.occurred_at, entry=entry, terminal_version=charge.list_version, max_lag=max_lag
    )
    record.status = "compensated"
    compensation = Compensation(
        settlement_id=record.id,
        person_id=card.person_id,
        institution_id=record.institution_id,
        amount=charge.amount,
        liable=liable.value,
        status="paid",
        at=unit.now,
    )
    unit.session.add(compensation)
    unit.session.flush()
    if charged:
        post(unit, card.person_id, charge.amount, PostingKind.COMPENSATION, ref=f"compensation:{compensation.id}")
    unit.audit(
        "settlement.compensate", ("settlement", record.id), card.region_code, amount=charge.amount, liable=liable.value
    )


def _entry_added(unit: Unit, card: Card, invalid_since: datetime, occurred_at: datetime) -> ListEntry:
    """The change that first put the card on the list for the loss the charge fell in:
    from then on a terminal could have known."""
    stmt = (
        select(ListChange)
        .where(ListChange.card_no == card.card_no, ListChange.op == Op.ADD, ListChange.at >= invalid_since)
        .order_by(ListChange.version)
        .limit(1)
    )
    change = unit.session.scalars(stmt).first()
    if change is None:  # the list has kept no trace (compacted): nothing says the terminal knew
        return ListEntry(version=current_version(unit.session) + 1, at=occurred_at)
    return ListEntry(version=change.version, at=change.at)


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
