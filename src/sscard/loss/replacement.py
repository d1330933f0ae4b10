"""Replacement: application at the counter, production, collection, balance transfer."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from sscard.cards.banks import COOPERATIVE_BANKS, is_cooperative_bank
from sscard.cards.events import CardActivated
from sscard.cards.models import Card
from sscard.cards.service import find_card, record_transition, reserve_card_no, transition, valid_until
from sscard.cards.states import CardEvent, CardStatus
from sscard.clock import china_date
from sscard.errors import Conflict, Forbidden, Invalid, NotFound, Refused
from sscard.loss import rules
from sscard.loss.certificate import CollectionCertificate
from sscard.loss.events import ReplacementApplied, ReplacementCollected, ReplacementReady
from sscard.loss.models import Replacement
from sscard.loss.notices import ClearingNotice, FeeReceipt
from sscard.loss.rules import ReplacementReason
from sscard.loss.service import Reporter, check_presence, has_replacement
from sscard.people.idnumber import mask_id_number
from sscard.people.ledger import PostingKind
from sscard.people.models import Account, Person
from sscard.people.service import post
from sscard.policy.models import RegionRow
from sscard.policy.regions import lineage
from sscard.policy.service import calendar_for
from sscard.roles import Role
from sscard.unit import Unit

REPLACEABLE = frozenset({CardStatus.ACTIVE, CardStatus.PROVISIONAL_LOSS, CardStatus.LOST})


@dataclass(frozen=True, slots=True)
class NewReplacement:
    reason: ReplacementReason
    bank: str | None = None
    applicant: Reporter | None = None
    documents: tuple[str, ...] = ()


def apply(unit: Unit, card_no: str, new: NewReplacement) -> Replacement:
    """Apply for a new card at the counter (R-REP-1 … R-REP-4)."""
    card = find_card(unit, card_no, for_update=True)
    _check_replaceable(unit, card, new.reason)
    person = unit.session.get_one(Person, card.person_id)
    applicant = new.applicant or Reporter()
    check_presence(unit, person, applicant, rules.replacement_requirements(applicant.relation), new.documents)
    bank = _new_bank(unit, card, new.bank)
    replacement = _new_replacement(unit, card, new, applicant, bank)
    # R-INV-1 (a damaged, demagnetised or expired card is invalid from now) and R-LOSS-6
    # follow from the event, in this transaction.
    unit.publish(
        ReplacementApplied(
            replacement.id,
            card.id,
            card.card_no,
            card.person_id,
            card.bank,
            card.region_code,
            new.reason.value,
            replacement.new_card_no,
            bank,
            replacement.ready_on,
        )
    )
    announce_if_ready(unit, replacement)
    unit.audit(
        "replacement.apply",
        ("replacement", replacement.id),
        card.region_code,
        card_no=card.card_no,
        reason=new.reason.value,
        fee=replacement.fee,
        new_card_no=replacement.new_card_no,
    )
    return replacement


def _new_bank(unit: Unit, card: Card, asked: str | None) -> str:
    bank = asked or card.bank
    if not is_cooperative_bank(bank):
        raise Invalid("unknown_bank", f"{bank!r} is not a cooperative bank", field="bank")
    if unit.actor.role is Role.BANK and bank != unit.actor.bank:
        # R-LOSS-8: a bank's outlet replaces its own cards with its own.
        raise Forbidden("a bank applies for a new card of its own, not another bank's")
    return bank


def announce_if_ready(unit: Unit, replacement: Replacement) -> bool:
    """Tell the holder once that the new card can be collected (R-REP-3, R-NOTE-1)."""
    if replacement.ready_announced_at is not None or replacement.collected_at is not None:
        return False
    if china_date(unit.now) < replacement.ready_on:
        return False
    replacement.ready_announced_at = unit.now
    unit.publish(ReplacementReady(replacement.id, replacement.person_id, replacement.new_card_no, replacement.ready_on))
    return True


def announce_ready_replacements(unit: Unit, batch: int = 500) -> int:
    """The scheduled job: every replacement that became ready is announced once."""
    due = (
        select(Replacement)
        .where(
            Replacement.ready_announced_at.is_(None),
            Replacement.collected_at.is_(None),
            Replacement.ready_on <= china_date(unit.now),
        )
        .order_by(Replacement.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    return sum(announce_if_ready(unit, replacement) for replacement in unit.session.scalars(due))


def _check_replaceable(unit: Unit, card: Card, reason: ReplacementReason) -> None:
    status = CardStatus(card.status)
    if status not in REPLACEABLE:
        raise Conflict("card_not_replaceable", f"a card that is {status} cannot be replaced", card_status=status.value)
    if rules.needs_loss_report(reason) and status is CardStatus.ACTIVE:
        raise Conflict("loss_report_required", f"report the {reason} card lost before applying for a new one (R-REP-1)")
    if has_replacement(unit, card):
        raise Conflict("replacement_exists", "a replacement has already been applied for this card")


def _new_replacement(unit: Unit, card: Card, new: NewReplacement, applicant: Reporter, bank: str) -> Replacement:
    policy = unit.policy(card.region_code)
    today = china_date(unit.now)
    replacement = Replacement(
        old_card_id=card.id,
        person_id=card.person_id,
        reason=new.reason.value,
        new_card_no=reserve_card_no(unit, card.region_code),
        new_bank=bank,
        fee=policy.fee(new.reason.value),
        fee_paid_at=unit.now,  # R-REP-2: paid at the counter, not from the account
        applicant={
            "relation": applicant.relation.value,
            "name": applicant.name,
            "id_number": applicant.id_number,
            "reason": applicant.reason,
        },
        documents=list(new.documents),
        applied_at=unit.now,
        applied_by=unit.actor.subject,
        ready_on=calendar_for(unit.session, card.region_code).add_working_days(today, policy.production_working_days),
        collection_certificate_no="",
        certificate_valid_until=rules.certificate_last_valid_day(today, policy.temp_certificate_valid_days),
    )
    _insert_with_certificate(unit, replacement, card.region_code)
    return replacement


def _insert_with_certificate(unit: Unit, replacement: Replacement, region: str) -> None:
    # R-REP-4: the certificate number is what the holder shows to collect, so it is
    # drawn at random, not counted; a collision (1 in 10^10) just draws again.
    for _ in range(5):
        replacement.collection_certificate_no = f"{region}{secrets.randbelow(10**10):010d}"
        try:
            with unit.session.begin_nested():
                unit.session.add(replacement)
        except IntegrityError:
            if has_replacement(unit, unit.session.get_one(Card, replacement.old_card_id)):
                raise Conflict("replacement_exists", "a replacement has already been applied for this card") from None
            continue
        return
    raise RuntimeError("could not draw a free collection certificate number")


def find_replacement(unit: Unit, replacement_id: int, *, for_update: bool = False) -> Replacement:
    """A replacement the caller may see: staff in scope or the holder."""
    stmt = select(Replacement).where(Replacement.id == replacement_id)
    replacement = unit.session.scalars(stmt.with_for_update() if for_update else stmt).one_or_none()
    if replacement is None:
        raise NotFound(f"no replacement {replacement_id}")
    old = unit.session.get_one(Card, replacement.old_card_id)
    unit.actor.require_person(replacement.person_id, old.region_code)
    if unit.actor.role is Role.BANK and unit.actor.bank not in (old.bank, replacement.new_bank):
        raise Forbidden("a bank sees only replacements of its own cards")
    return replacement


def collection_certificate(unit: Unit, replacement_id: int) -> CollectionCertificate:
    """What the printed collection certificate of a replacement the caller may see shows (R-REP-4)."""
    replacement = find_replacement(unit, replacement_id)
    old = unit.session.get_one(Card, replacement.old_card_id)
    person = unit.session.get_one(Person, replacement.person_id)
    region = _region_label(unit, old.region_code)
    return CollectionCertificate(
        certificate_no=replacement.collection_certificate_no,
        holder_name=person.name,
        masked_id_number=mask_id_number(person.id_number),
        old_card_no=old.card_no,
        new_card_no=replacement.new_card_no,
        reason=replacement.reason,
        applied_on=china_date(replacement.applied_at),
        ready_on=replacement.ready_on,
        valid_until=replacement.certificate_valid_until,
        issuing_region=f"{old.region_code} {region}",
        collect_at=f"{region}受理补卡申请的社会保障卡服务网点",
        hotline=unit.policy(old.region_code).hotline,
    )


def _region_label(unit: Unit, code: str) -> str:
    """The region's name with its province's and city's, as an address reads: 北京市朝阳区."""
    stmt = select(RegionRow.code, RegionRow.name).where(RegionRow.code.in_(lineage(code)[1:]))
    names = {row.code: row.name for row in unit.session.execute(stmt)}
    # GB/T 2260 names a municipality's city level "市辖区", which no address repeats.
    return "".join(names[c] for c in lineage(code)[1:] if c in names and not names[c].endswith("市辖区"))


def collect(unit: Unit, replacement_id: int, id_number: str, certificate_no: str) -> tuple[Card, Card]:
    """Hand over the new card against the ID card and the collection certificate (R-REP-4, R-REP-5)."""
    replacement = find_replacement(unit, replacement_id, for_update=True)
    if unit.actor.role is Role.BANK and unit.actor.bank != replacement.new_bank:
        raise Forbidden("a bank hands over only new cards of its own (R-LOSS-8)")
    person = unit.session.get_one(Person, replacement.person_id)
    if not (
        _equal(id_number.strip().upper(), person.id_number)
        and _equal(certificate_no.strip(), replacement.collection_certificate_no)
    ):
        raise Refused("certificate_mismatch", "the ID number or the collection certificate does not match")
    if replacement.collected_at is not None:
        raise Conflict("already_collected", "this new card has already been collected")
    if china_date(unit.now) < replacement.ready_on:
        raise Conflict(
            "not_ready",
            f"the new card is ready on {replacement.ready_on.isoformat()}",
            ready_on=replacement.ready_on.isoformat(),
        )
    old = unit.session.scalars(select(Card).where(Card.id == replacement.old_card_id).with_for_update()).one()
    new = _issue_new_card(unit, replacement, old)
    replacement.collected_at, replacement.collected_by = unit.now, unit.actor.subject
    _hold_old_balance(unit, replacement)
    transfer_if_due(unit, replacement)
    unit.publish(ReplacementCollected(replacement.id, old.card_no, old.person_id, old.bank, new.card_no, new.bank))
    unit.audit("replacement.collect", ("replacement", replacement.id), old.region_code, new_card_no=new.card_no)
    return new, old


def _equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _issue_new_card(unit: Unit, replacement: Replacement, old: Card) -> Card:
    # R-REP-5: the old card is replaced when the new one is issued; in this order, so
    # that a person never has two live cards.
    transition(
        unit,
        old,
        CardEvent.REPLACE,
        reason=f"replaced_{replacement.reason}",
        channel="counter",
        refusal_code="card_not_replaceable",
    )
    old.replaced_by = replacement.new_card_no
    unit.session.flush()
    new = Card(
        card_no=replacement.new_card_no,
        person_id=old.person_id,
        region_code=old.region_code,
        bank=replacement.new_bank,
        status=CardStatus.UNACTIVATED.value,
        issued_at=unit.now,
        status_changed_at=unit.now,
        replacement_for=old.card_no,
        valid_until=valid_until(unit, old.region_code),
    )
    unit.session.add(new)
    unit.session.flush()
    record_transition(unit, new, None, CardStatus.UNACTIVATED, reason="issued_as_replacement", channel="counter")
    return new


def _account(unit: Unit, person_id: int) -> Account:
    return unit.session.scalars(select(Account).where(Account.person_id == person_id).with_for_update()).one()


def _hold_old_balance(unit: Unit, replacement: Replacement) -> None:
    # R-REP-6: what the account holds at collection is the old card's money; until it
    # is transferred it counts in the balance but cannot be spent with the new card.
    account = _account(unit, replacement.person_id)
    carried = _carry_over_pending(unit, replacement)
    replacement.held_amount = account.balance - account.held + carried
    account.held = account.balance


def _carry_over_pending(unit: Unit, replacement: Replacement) -> int:
    """Money still waiting to reach the card being replaced now goes on to its successor.

    The old card was itself a replacement that was never activated (or whose banks never
    confirmed): its own transfer can no longer happen, so it closes here, and what it
    held moves with this one — never stranded, never counted twice.
    """
    old = unit.session.get_one(Card, replacement.old_card_id)
    stmt = select(Replacement).where(
        Replacement.new_card_no == old.card_no,
        Replacement.collected_at.is_not(None),
        Replacement.transferred_at.is_(None),
    )
    carried = 0
    for pending in unit.session.scalars(stmt.with_for_update()):
        carried += pending.held_amount
        pending.transferred_at = unit.now
        unit.audit(
            "replacement.carry_over",
            ("replacement", pending.id),
            old.region_code,
            amount=pending.held_amount,
            into=replacement.id,
        )
    return carried


def transfer_if_due(unit: Unit, replacement: Replacement) -> bool:
    """Move the held balance to the new card once R-REP-6's conditions are met."""
    if replacement.collected_at is None or replacement.transferred_at is not None:
        return False
    new = unit.session.scalars(select(Card).where(Card.card_no == replacement.new_card_no)).one()
    old = unit.session.get_one(Card, replacement.old_card_id)
    if new.bank == old.bank:
        due = new.activated_at is not None
    else:
        due = replacement.clearing_notice_at is not None and replacement.bank_cancellation_at is not None
    if not due:
        return False
    account, amount = _account(unit, replacement.person_id), replacement.held_amount
    account.held -= amount
    if amount:
        post(unit, replacement.person_id, -amount, PostingKind.TRANSFER_OUT, ref=old.card_no, memo="to the new card")
        post(unit, replacement.person_id, amount, PostingKind.TRANSFER_IN, ref=new.card_no, memo="from the old card")
    replacement.transferred_at = unit.now
    unit.audit("replacement.transfer", ("replacement", replacement.id), old.region_code, amount=amount)
    return True


def on_card_activated(unit: Unit, event: CardActivated) -> None:
    """A replacement card was activated, whoever activated it: a same-bank transfer
    may now be due (R-REP-6)."""
    stmt = select(Replacement).where(Replacement.new_card_no == event.card_no).with_for_update()
    replacement = unit.session.scalars(stmt).one_or_none()
    if replacement is not None:
        transfer_if_due(unit, replacement)


def record_clearing_notice(unit: Unit, replacement_id: int) -> Replacement:
    """The social security sub-center's clearing notice for a transfer across banks."""
    replacement = _cross_bank(unit, replacement_id)
    if replacement.clearing_notice_at is None:
        replacement.clearing_notice_at = unit.now
        unit.audit("replacement.clearing_notice", ("replacement", replacement.id), None)
    transfer_if_due(unit, replacement)
    return replacement


def record_bank_cancellation(unit: Unit, replacement_id: int) -> Replacement:
    """The old bank confirms the old card is cancelled on its side."""
    replacement = _cross_bank(unit, replacement_id)
    old = unit.session.get_one(Card, replacement.old_card_id)
    if unit.actor.role is Role.BANK and unit.actor.bank != old.bank:
        raise Forbidden(f"only {old.bank}, the old card's bank, confirms its cancellation")
    if replacement.bank_cancellation_at is None:
        replacement.bank_cancellation_at = unit.now
        unit.audit("replacement.bank_cancellation", ("replacement", replacement.id), old.region_code)
    transfer_if_due(unit, replacement)
    return replacement


def _cross_bank(unit: Unit, replacement_id: int) -> Replacement:
    replacement = find_replacement(unit, replacement_id, for_update=True)
    old = unit.session.get_one(Card, replacement.old_card_id)
    if replacement.new_bank == old.bank:
        raise Conflict("not_cross_bank", "the new card is at the same bank; its balance moves on activation")
    return replacement


def fee_receipt(unit: Unit, replacement_id: int) -> FeeReceipt:
    """What the printed fee receipt of a replacement the caller may see shows (R-REP-2)."""
    replacement = find_replacement(unit, replacement_id)
    old = unit.session.get_one(Card, replacement.old_card_id)
    person = unit.session.get_one(Person, replacement.person_id)
    return FeeReceipt(
        receipt_no=f"{replacement.collection_certificate_no}-F",
        holder_name=person.name,
        masked_id_number=mask_id_number(person.id_number),
        old_card_no=old.card_no,
        new_card_no=replacement.new_card_no,
        reason=replacement.reason,
        fee_yuan=f"{replacement.fee // 100}.{replacement.fee % 100:02d}",
        paid_on=china_date(replacement.fee_paid_at),
        issuing_region=f"{old.region_code} {_region_label(unit, old.region_code)}",
        received_by=replacement.applied_by,
    )


def clearing_notice(unit: Unit, replacement_id: int) -> ClearingNotice:
    """The sub-center's clearing notice of a transfer across banks (R-REP-6): 409
    not_cross_bank when the new card is at the old card's bank."""
    replacement = find_replacement(unit, replacement_id)
    old = unit.session.get_one(Card, replacement.old_card_id)
    if replacement.new_bank == old.bank:
        raise Conflict("not_cross_bank", "the new card is at the same bank; its balance moves on activation")
    person = unit.session.get_one(Person, replacement.person_id)
    # Before collection the whole balance is still on the old card; after it, what is held.
    balance = select(Account.balance).where(Account.person_id == person.id)
    amount = replacement.held_amount if replacement.collected_at is not None else unit.session.scalars(balance).one()
    issued = replacement.clearing_notice_at or unit.now
    return ClearingNotice(
        notice_no=f"{replacement.collection_certificate_no}-C",
        holder_name=person.name,
        masked_id_number=mask_id_number(person.id_number),
        old_card_no=old.card_no,
        old_bank=f"{old.bank} {COOPERATIVE_BANKS.get(old.bank, '')}".strip(),
        new_card_no=replacement.new_card_no,
        new_bank=f"{replacement.new_bank} {COOPERATIVE_BANKS.get(replacement.new_bank, '')}".strip(),
        balance_yuan=f"{amount // 100}.{amount % 100:02d}",
        issued_on=china_date(issued),
        issuing_region=f"{old.region_code} {_region_label(unit, old.region_code)}",
    )
