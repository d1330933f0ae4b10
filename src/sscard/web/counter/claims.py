"""A person's reimbursement claims at the counter (R-CLM-1, R-CLM-2): a clerk files one for
the holder, and another clerk decides it — the filer never does (R-SEC-4, four eyes)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import Field

from sscard.claims import service
from sscard.claims.rules import REQUIRED, UNDECIDED, ClaimKind, Decision, may_decide
from sscard.errors import ServiceError
from sscard.guide.build import format_yuan
from sscard.people.service import find_person
from sscard.roles import Principal
from sscard.unit import Unit
from sscard.web.access import CsrfChecked
from sscard.web.counter.common import Clerk, in_unit, page, result
from sscard.web.counter.forms import CounterForm, parse_yuan
from sscard.web.pages import FormErrors, language_of, refusal_errors
from sscard.web.texts import text

router = APIRouter(prefix="/counter")

EXPENSE_ROWS = 3
CLAIM_FIELDS = {
    "documents_missing": "documents",
    "documents": "documents",
    "expense_outside_window": "expenses",
    "duplicate_invoice": "expenses",
    "kind": "kind",
}
DECISION_FIELDS = {
    "invalid_decision": "approved_amount",
    "approved_amount": "approved_amount",
    "reason": "reason",
    "four_eyes_required": "decision",
    "already_decided": "decision",
}


class ClaimForm(CounterForm):
    kind: str = ""
    documents: list[str] = Field(default_factory=list, max_length=20)
    expense_date: list[str] = Field(default_factory=list, max_length=EXPENSE_ROWS)
    expense_institution: list[str] = Field(default_factory=list, max_length=EXPENSE_ROWS)
    expense_amount: list[str] = Field(default_factory=list, max_length=EXPENSE_ROWS)
    expense_invoice: list[str] = Field(default_factory=list, max_length=EXPENSE_ROWS)

    def rows(self) -> list[dict[str, str]]:
        """The expense rows as typed, padded to the rows the form shows."""
        columns = (self.expense_date, self.expense_institution, self.expense_amount, self.expense_invoice)
        padded = [[*c, *[""] * (EXPENSE_ROWS - len(c))] for c in columns]
        return [
            {"date": d.strip(), "institution": i.strip(), "amount": a.strip(), "invoice": n.strip()}
            for d, i, a, n in zip(*padded, strict=True)
        ]

    def expenses(self) -> tuple[service.Expense, ...] | None:
        """The rows filled in, as the service takes them; None when one is incomplete or malformed."""
        expenses = []
        for row in self.rows():
            if not any(row.values()):
                continue
            amount = parse_yuan(row["amount"])
            try:
                day = date.fromisoformat(row["date"])
            except ValueError:
                return None
            if amount is None or amount <= 0 or len(row["institution"]) < 2 or not row["invoice"]:
                return None
            expenses.append(service.Expense(day, row["institution"], amount, row["invoice"][:64]))
        return tuple(expenses) or None

    def values(self) -> dict[str, Any]:
        return {"kind": self.kind, "documents": self.documents, "rows": self.rows()}


class DecisionForm(CounterForm):
    decision: str = ""
    approved_amount: str = Field("", max_length=16)
    reason: str = Field("", max_length=200)


def _file_view(unit: Unit, person_id: int) -> dict[str, Any]:
    person = find_person(unit, person_id)
    documents = list(REQUIRED[ClaimKind.INPATIENT])
    blank = [{"date": "", "institution": "", "amount": "", "invoice": ""}] * EXPENSE_ROWS
    return {"person": person, "documents": documents, "form": {"kind": "outpatient", "documents": [], "rows": blank}}


@router.get("/persons/{person_id}/claims/new")
def claim_form(request: Request, caller: Clerk, person_id: int) -> Response:
    """The claim form: kind, the expenses paid out of pocket, the documents checked."""
    return page(request, caller, "claim_form.html", lambda unit: _file_view(unit, person_id))


@router.post("/persons/{person_id}/claims/new")
def file_claim(
    request: Request, caller: Clerk, _: CsrfChecked, person_id: int, form: Annotated[ClaimForm, Form()]
) -> Response:
    """File the claim for the holder, as POST /v1/claims does."""
    language, errors = language_of(request), FormErrors()
    try:
        kind = ClaimKind(form.kind)
    except ValueError:
        errors.add("kind", text(language, "error.invalid_request"))
        return _file_again(request, caller, person_id, form, errors)
    expenses = form.expenses()
    if expenses is None:
        errors.add("expenses", text(language, "counter.claim_expenses_invalid"))
        return _file_again(request, caller, person_id, form, errors)
    new = service.NewClaim(person_id=person_id, kind=kind, expenses=expenses, documents=tuple(form.documents))

    def work(unit: Unit) -> tuple[int, int]:
        claim = service.submit(unit, new)
        return claim.id, claim.claimed_amount

    try:
        claim_id, amount = in_unit(request, caller, work)
    except ServiceError as exc:
        return _file_again(request, caller, person_id, form, refusal_errors(language, exc, CLAIM_FIELDS), exc.status)
    lines = [text(language, "counter.claim_filed", claim_id=claim_id, amount=format_yuan(amount))]
    return result(request, person_id, lines, [text(language, "counter.claim_filed.next")])


def _file_again(
    request: Request, caller: Principal, person_id: int, form: ClaimForm, errors: FormErrors, status: int = 422
) -> Response:
    return page(
        request,
        caller,
        "claim_form.html",
        lambda unit: _file_view(unit, person_id),
        form=form,
        errors=errors,
        status=status,
    )


def _claim_view(unit: Unit, claim_id: int) -> dict[str, Any]:
    claim = service.find_claim(unit, claim_id)
    person = find_person(unit, claim.person_id)
    subject = unit.actor.subject
    return {
        "claim": claim,
        "person": person,
        "expenses": list(service.expenses_of(unit, claim)),
        "undecided": claim.status in UNDECIDED,
        # R-SEC-4: whoever filed the claim (or approved it first) sees it, and may not decide it.
        "can_decide": claim.status in UNDECIDED
        and may_decide(subject, filed_by=claim.submitted_by, first_approver=claim.first_approved_by),
        "form": {},
    }


@router.get("/claims/{claim_id}")
def claim_page(request: Request, caller: Clerk, claim_id: int) -> Response:
    """A claim: its expenses, documents and state, and the decision form for another clerk."""
    return page(request, caller, "claim.html", lambda unit: _claim_view(unit, claim_id))


@router.post("/claims/{claim_id}/decision")
def decide(
    request: Request, caller: Clerk, _: CsrfChecked, claim_id: int, form: Annotated[DecisionForm, Form()]
) -> Response:
    """Approve (in full or part) or reject, as POST /v1/claims/{id}/decision does."""
    language, errors = language_of(request), FormErrors()
    try:
        decision = Decision(form.decision)
    except ValueError:
        errors.add("decision", text(language, "counter.choose_decision"))
        return _claim_again(request, caller, claim_id, form, errors)
    amount = None
    if decision is Decision.APPROVE and form.approved_amount:
        amount = parse_yuan(form.approved_amount)
        if amount is None:
            errors.add("approved_amount", text(language, "counter.amount_invalid"))
            return _claim_again(request, caller, claim_id, form, errors)
    review = service.Review(decision=decision, approved_amount=amount, reason=form.reason or None)

    def work(unit: Unit) -> tuple[int, str, int | None]:
        claim = service.decide(unit, claim_id, review)
        return claim.person_id, claim.status, claim.approved_amount

    try:
        person_id, status, approved = in_unit(request, caller, work)
    except ServiceError as exc:
        return _claim_again(request, caller, claim_id, form, refusal_errors(language, exc, DECISION_FIELDS), exc.status)
    lines = [
        text(
            language,
            f"counter.claim_{status}",
            claim_id=claim_id,
            amount=format_yuan(approved or 0),
        )
    ]
    return result(request, person_id, lines, [])


def _claim_again(
    request: Request, caller: Principal, claim_id: int, form: DecisionForm, errors: FormErrors, status: int = 422
) -> Response:
    return page(
        request, caller, "claim.html", lambda unit: _claim_view(unit, claim_id), form=form, errors=errors, status=status
    )
