"""Claim rules (R-CLM-1, R-CLM-2): the window, the documents, the decision. Pure."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class ClaimKind(StrEnum):
    OUTPATIENT = "outpatient"
    INPATIENT = "inpatient"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


INVOICE = "invoice"
EXPENSE_LIST = "expense_list"
MEDICAL_RECORD = "medical_record"
DISCHARGE_SUMMARY = "discharge_summary"
DOCUMENTS = frozenset({INVOICE, EXPENSE_LIST, MEDICAL_RECORD, DISCHARGE_SUMMARY})

# R-CLM-1: the original invoice, the expense list and the medical records — for a
# hospital stay the discharge summary too.
REQUIRED: dict[ClaimKind, tuple[str, ...]] = {
    ClaimKind.OUTPATIENT: (INVOICE, EXPENSE_LIST, MEDICAL_RECORD),
    ClaimKind.INPATIENT: (INVOICE, EXPENSE_LIST, MEDICAL_RECORD, DISCHARGE_SUMMARY),
}


def missing_documents(kind: ClaimKind, given: Collection[str]) -> list[str]:
    """The documents a claim of this kind still lacks, in the order a clerk asks."""
    return [document for document in REQUIRED[kind] if document not in given]


@dataclass(frozen=True, slots=True)
class Window:
    """When a card was unavailable: from the loss report (or, for a damaged card, the
    application) to the collection of the new card, in China Standard Time dates."""

    first_day: date
    last_day: date
    file_by: date

    def covers(self, day: date) -> bool:
        """Whether an expense of that day was paid while the card was unavailable."""
        return self.first_day <= day <= self.last_day


def window(unavailable_from: date, collected_on: date, grace_days: int) -> Window:
    """R-CLM-1: claims are filed after collection, within `grace_days` of it."""
    return Window(first_day=unavailable_from, last_day=collected_on, file_by=collected_on + timedelta(days=grace_days))


def outside(expense_days: Sequence[date], span: Window) -> list[date]:
    """The expense dates the window does not cover."""
    return [day for day in expense_days if not span.covers(day)]


SUBMITTED = "submitted"
# R-SEC-4: approved by one reviewer above second_review_fen; paid once a second confirms.
AWAITING_SECOND_REVIEW = "awaiting_second_review"
APPROVED = "approved"
REJECTED = "rejected"
UNDECIDED = frozenset({SUBMITTED, AWAITING_SECOND_REVIEW})
STATUSES = (SUBMITTED, AWAITING_SECOND_REVIEW, APPROVED, REJECTED)


def may_decide(reviewer: str, *, filed_by: str, first_approver: str | None) -> bool:
    """R-SEC-4: four eyes — nobody decides a claim they filed, nor confirms their own approval."""
    return reviewer not in (filed_by, first_approver)


def needs_second_approver(amount: int, second_review_fen: int) -> bool:
    """R-SEC-4: a payout over the policy's limit needs a second approver."""
    return amount > second_review_fen


class DecisionError(ValueError):
    """A decision that cannot be made as given."""


def approved_amount(claimed: int, requested: int | None, supplementary: int) -> int:
    """R-CLM-2: approve in full (no amount) or in part — never above what was claimed,
    counting what a supplementary insurer pays."""
    amount = claimed - supplementary if requested is None else requested
    if amount <= 0:
        raise DecisionError("an approval pays something; reject the claim instead")
    if amount + supplementary > claimed:
        raise DecisionError(f"at most {claimed - supplementary} fen can be approved for {claimed} fen claimed")
    return amount


def normalise_invoice_no(raw: str) -> str:
    """Invoice numbers compared without spaces or case."""
    return "".join(raw.split()).upper()
