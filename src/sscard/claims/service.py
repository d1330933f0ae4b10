"""Filing, reviewing and paying reimbursement claims (R-CLM-1, R-CLM-2)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from sscard.cards.models import Card
from sscard.claims import rules
from sscard.claims.events import ClaimDecided
from sscard.claims.models import Claim, ClaimExpense
from sscard.claims.rules import ClaimKind, Decision
from sscard.clock import china_date
from sscard.errors import Conflict, Invalid, NotFound, Refused
from sscard.loss.models import Replacement
from sscard.people.ledger import PostingKind
from sscard.people.models import Person
from sscard.people.service import find_person, post
from sscard.policy.regions import scope_prefix
from sscard.roles import Role
from sscard.unit import Unit


@dataclass(frozen=True, slots=True)
class Expense:
    day: date
    institution: str
    amount: int
    invoice_no: str


@dataclass(frozen=True, slots=True)
class NewClaim:
    person_id: int
    kind: ClaimKind
    expenses: tuple[Expense, ...]
    documents: tuple[str, ...]


def submit(unit: Unit, new: NewClaim) -> Claim:
    """File a claim for expenses paid while the card was unavailable (R-CLM-1)."""
    person = find_person(unit, new.person_id)
    _check_documents(new)
    replacement = _claimable_replacement(unit, person, [e.day for e in new.expenses])
    invoices = _unclaimed_invoices(unit, new.expenses)
    claim = Claim(
        person_id=person.id,
        region_code=person.region_code,
        replacement_id=replacement.id,
        kind=new.kind.value,
        documents=sorted(set(new.documents)),
        claimed_amount=sum(e.amount for e in new.expenses),
        status=rules.SUBMITTED,
        submitted_at=unit.now,
        submitted_by=unit.actor.subject,
    )
    unit.session.add(claim)
    unit.session.flush()
    for expense, invoice_no in zip(new.expenses, invoices, strict=True):
        unit.session.add(
            ClaimExpense(
                claim_id=claim.id,
                day=expense.day,
                institution=expense.institution.strip(),
                amount=expense.amount,
                invoice_no=invoice_no,
            )
        )
    _flush_expenses(unit)
    unit.audit("claim.submit", ("claim", claim.id), person.region_code, amount=claim.claimed_amount, kind=claim.kind)
    return claim


def _check_documents(new: NewClaim) -> None:
    unknown = sorted(set(new.documents) - rules.DOCUMENTS)
    if unknown:
        raise Invalid(
            "invalid_request",
            f"unknown documents: {', '.join(unknown)}",
            field="documents",
            known=sorted(rules.DOCUMENTS),
        )
    lacking = rules.missing_documents(new.kind, new.documents)
    if lacking:
        raise Invalid("documents_missing", f"missing: {', '.join(lacking)}", missing=lacking)


def _claimable_replacement(unit: Unit, person: Person, days: Sequence[date]) -> Replacement:
    """The replacement whose unavailability window covers every expense."""
    replacements = unit.session.scalars(
        select(Replacement).where(Replacement.person_id == person.id).order_by(Replacement.id.desc())
    ).all()
    collected = [r for r in replacements if r.collected_at is not None]
    if not collected:
        raise Conflict("card_not_collected", "claims are filed after the new card is collected (R-CLM-1)")
    grace = unit.policy(person.region_code).claim_grace_days
    today = china_date(unit.now)
    open_windows = [(r, w) for r in collected if today <= (w := _window(unit, r, grace)).file_by]
    if not open_windows:
        raise Conflict("claim_window_closed", f"claims are filed within {grace} days of collecting the new card")
    for replacement, span in open_windows:
        if not rules.outside(days, span):
            return replacement
    span = open_windows[0][1]
    raise Invalid(
        "expense_outside_window",
        f"expenses count from {span.first_day} to {span.last_day}",
        outside=[d.isoformat() for d in rules.outside(days, span)],
        window={"from": span.first_day.isoformat(), "to": span.last_day.isoformat()},
    )


def _window(unit: Unit, replacement: Replacement, grace_days: int) -> rules.Window:
    old = unit.session.get_one(Card, replacement.old_card_id)
    assert replacement.collected_at is not None
    start: datetime = old.lost_since or replacement.applied_at  # a damaged card: from the application
    return rules.window(china_date(start), china_date(replacement.collected_at), grace_days)


def _unclaimed_invoices(unit: Unit, expenses: Sequence[Expense]) -> list[str]:
    invoices = [rules.normalise_invoice_no(e.invoice_no) for e in expenses]
    repeated = sorted({n for n in invoices if invoices.count(n) > 1})
    taken = unit.session.scalars(select(ClaimExpense.invoice_no).where(ClaimExpense.invoice_no.in_(invoices))).all()
    duplicates = sorted(set(taken) | set(repeated))
    if duplicates:
        raise Conflict("duplicate_invoice", f"already claimed: {', '.join(duplicates)}", invoices=duplicates)
    return invoices


def _flush_expenses(unit: Unit) -> None:
    try:
        with unit.session.begin_nested():
            unit.session.flush()
    except IntegrityError as exc:  # the same invoice in a claim filed at this moment
        raise Conflict("duplicate_invoice", "an invoice of this claim was claimed at the same moment") from exc


def find_claim(unit: Unit, claim_id: int, *, for_update: bool = False) -> Claim:
    """A claim the caller may see: its person, or staff in scope."""
    stmt = select(Claim).where(Claim.id == claim_id)
    claim = unit.session.scalars(stmt.with_for_update() if for_update else stmt).one_or_none()
    if claim is None:
        raise NotFound(f"no claim {claim_id}")
    unit.actor.require_person(claim.person_id, claim.region_code)
    return claim


@dataclass(frozen=True, slots=True)
class Review:
    decision: Decision
    approved_amount: int | None = None
    reason: str | None = None
    supplementary_amount: int = 0
    supplementary_insurer: str | None = None


def decide(unit: Unit, claim_id: int, review: Review) -> Claim:
    """Approve in full or in part, or reject with a reason; an approval pays (R-CLM-2), and
    above second_review_fen only once a second approver confirms it (R-SEC-4)."""
    claim = find_claim(unit, claim_id, for_update=True)
    if claim.status not in rules.UNDECIDED:
        raise Conflict("already_decided", f"this claim was {claim.status} already")
    _require_other_eyes(unit, claim)
    reason = (review.reason or "").strip() or None
    if review.decision is Decision.REJECT:
        _reject(claim, reason)
    elif claim.status == rules.AWAITING_SECOND_REVIEW:
        _confirm(unit, claim, review, reason)
    else:
        _approve(unit, claim, review, reason)
    if claim.status != rules.AWAITING_SECOND_REVIEW:
        claim.decided_at, claim.decided_by = unit.now, unit.actor.subject
    unit.audit(f"claim.{claim.status}", ("claim", claim.id), claim.region_code, approved=claim.approved_amount)
    unit.publish(ClaimDecided(claim.id, claim.person_id, claim.status, claim.approved_amount or 0, reason))
    return claim


def _require_other_eyes(unit: Unit, claim: Claim) -> None:
    """R-SEC-4: 403 four_eyes_required for whoever filed the claim or approved it first."""
    if not rules.may_decide(unit.actor.subject, filed_by=claim.submitted_by, first_approver=claim.first_approved_by):
        raise Refused("four_eyes_required", "another reviewer must decide this claim (R-SEC-4)")


def _reject(claim: Claim, reason: str | None) -> None:
    if reason is None:
        raise Invalid("invalid_request", "a rejection gives its reason", field="reason")
    # A first approval a second reviewer refused pays nothing, and shows no amount.
    claim.status, claim.decision_reason, claim.approved_amount = rules.REJECTED, reason, None


def _approve(unit: Unit, claim: Claim, review: Review, reason: str | None) -> None:
    try:
        amount = rules.approved_amount(claim.claimed_amount, review.approved_amount, review.supplementary_amount)
    except rules.DecisionError as exc:
        raise Invalid("invalid_decision", str(exc), field="approved_amount") from exc
    if amount + review.supplementary_amount < claim.claimed_amount and reason is None:
        raise Invalid("invalid_request", "a partial approval gives its reason", field="reason")
    if review.supplementary_amount and not review.supplementary_insurer:
        raise Invalid(
            "invalid_request", "name the supplementary insurer whose share is recorded", field="supplementary_insurer"
        )
    claim.approved_amount, claim.decision_reason = amount, reason
    claim.supplementary_amount, claim.supplementary_insurer = review.supplementary_amount, review.supplementary_insurer
    if rules.needs_second_approver(amount, unit.policy(claim.region_code).second_review_fen):
        claim.status = rules.AWAITING_SECOND_REVIEW
        claim.first_approved_by, claim.first_approved_at = unit.actor.subject, unit.now
        return
    _pay(unit, claim)


def _confirm(unit: Unit, claim: Claim, review: Review, reason: str | None) -> None:
    """R-SEC-4: the second approver confirms the first approval as it stands, and it pays."""
    if review.approved_amount not in (None, claim.approved_amount):
        raise Invalid(
            "invalid_decision",
            f"the second approval confirms the {claim.approved_amount} fen approved; reject the claim to refuse it",
            field="approved_amount",
        )
    claim.decision_reason = reason or claim.decision_reason
    _pay(unit, claim)


def _pay(unit: Unit, claim: Claim) -> None:
    assert claim.approved_amount is not None
    claim.status = rules.APPROVED
    post(unit, claim.person_id, claim.approved_amount, PostingKind.CLAIM, ref=f"claim:{claim.id}", memo="reimbursement")


@dataclass(frozen=True, slots=True)
class ClaimQuery:
    status: str | None = None
    region: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None
    limit: int = 50
    person_id: int | None = None


def list_claims(unit: Unit, query: ClaimQuery) -> Sequence[Claim]:
    """Claims newest first: a holder's own, or those in a clerk's scope."""
    stmt = select(Claim)
    if unit.actor.role is Role.CARDHOLDER:
        stmt = stmt.where(Claim.person_id == unit.actor.person_id)
    else:
        region = query.region or unit.actor.region
        unit.actor.require_region(region)
        if prefix := scope_prefix(region):
            stmt = stmt.where(Claim.region_code.startswith(prefix, autoescape=True))
    if query.person_id is not None:
        stmt = stmt.where(Claim.person_id == query.person_id)
    if query.status:
        stmt = stmt.where(Claim.status == query.status)
    if query.since:
        stmt = stmt.where(Claim.submitted_at >= query.since)
    if query.until:
        stmt = stmt.where(Claim.submitted_at < query.until)
    if query.before_id:
        stmt = stmt.where(Claim.id < query.before_id)
    return unit.session.scalars(stmt.order_by(Claim.id.desc()).limit(query.limit)).all()


def expenses_of(unit: Unit, claim: Claim) -> Sequence[ClaimExpense]:
    """A claim's expenses in the order filed."""
    return unit.session.scalars(
        select(ClaimExpense).where(ClaimExpense.claim_id == claim.id).order_by(ClaimExpense.id)
    ).all()
