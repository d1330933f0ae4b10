"""Cancelling a card for good (R-CARD-5): the reason, the documents it needs, and who is
paid the balance (the holder, or the heir after a death). A clerk's action only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import Field

from sscard.errors import ServiceError
from sscard.guide.build import format_yuan
from sscard.loss import cancellation
from sscard.loss.cancellation_rules import REQUIREMENTS, CancellationReason, PayeeRelation
from sscard.people.idnumber import mask_id_number
from sscard.people.service import account_of
from sscard.roles import Principal
from sscard.unit import Unit
from sscard.web.access import CsrfChecked
from sscard.web.counter.common import Clerk, card_of, in_unit, page, result
from sscard.web.counter.forms import CounterForm
from sscard.web.pages import FormErrors, language_of, refusal_errors
from sscard.web.texts import text

router = APIRouter(prefix="/counter")

CANCEL_FIELDS = {
    "documents_missing": "documents",
    "documents": "documents",
    "payee": "payee_name",
    "payee.id_number": "payee_id_number",
    "payee.relation": "reason",
    "invalid_id_number": "payee_id_number",
    "card_not_cancellable": "reason",
    "replacement_exists": "reason",
}


class CancellationForm(CounterForm):
    reason: str = ""
    documents: list[str] = Field(default_factory=list, max_length=20)
    payee_name: str = Field("", max_length=40)
    payee_id_number: str = Field("", max_length=32)
    confirm: str = ""


def _documents() -> list[tuple[str, list[str]]]:
    """Each reason with the documents a clerk ticks for it, in order, no repeats."""
    listed = []
    for reason in CancellationReason:
        names = [d for req in REQUIREMENTS[reason] for d in req]
        listed.append((reason.value, names))
    return listed


def _view(unit: Unit, person_id: int, card_no: str) -> dict[str, Any]:
    person, card = card_of(unit, person_id, card_no)
    every = sorted({d for _, names in _documents() for d in names}, key=_order)
    return {
        "person": person,
        "card_no": card.card_no,
        "balance": account_of(unit, person.id).balance,
        "reasons": _documents(),
        "documents": every,
        "form": {},
    }


def _order(document: str) -> int:
    return [d for _, names in _documents() for d in names].index(document)


@router.get("/persons/{person_id}/cards/{card_no}/cancellation")
def cancellation_form(request: Request, caller: Clerk, person_id: int, card_no: str) -> Response:
    """The cancellation form: reason, the documents each reason needs, the heir after a death."""
    return page(request, caller, "cancel_form.html", lambda unit: _view(unit, person_id, card_no))


@router.post("/persons/{person_id}/cards/{card_no}/cancellation")
def cancel(
    request: Request,
    caller: Clerk,
    _: CsrfChecked,
    person_id: int,
    card_no: str,
    form: Annotated[CancellationForm, Form()],
) -> Response:
    """Cancel the card and pay the balance out, as POST /v1/cards/{card_no}/cancellation does."""
    language = language_of(request)
    errors = FormErrors()
    try:
        reason = CancellationReason(form.reason)
    except ValueError:
        errors.add("reason", text(language, "counter.choose_reason"))
        return _again(request, caller, person_id, card_no, form, errors)
    if form.confirm != "yes":  # cancelling is final: the clerk ticks that they know
        errors.add("confirm", text(language, "counter.cancel_confirm_needed"))
        return _again(request, caller, person_id, card_no, form, errors)
    payee = None
    if reason is CancellationReason.DEATH or form.payee_name or form.payee_id_number:
        payee = cancellation.Payee(form.payee_name, form.payee_id_number, PayeeRelation.HEIR)

    def work(unit: Unit) -> cancellation.Cancelled:
        card_of(unit, person_id, card_no)
        return cancellation.cancel_card(unit, card_no, reason, tuple(form.documents), payee)

    try:
        done = in_unit(request, caller, work)
    except ServiceError as exc:
        errors = refusal_errors(language, exc, CANCEL_FIELDS)
        return _again(request, caller, person_id, card_no, form, errors, exc.status)
    lines = [
        text(language, "counter.cancelled", card_no=done.card.card_no),
        text(
            language,
            "counter.paid_out",
            amount=format_yuan(done.payout),
            payee=done.payee.name,
            id_number=mask_id_number(done.payee.id_number),
        ),
    ]
    return result(request, person_id, lines, [text(language, "counter.cancelled.next")])


def _again(
    request: Request,
    caller: Principal,
    person_id: int,
    card_no: str,
    form: CancellationForm,
    errors: FormErrors,
    status: int = 422,
) -> Response:
    return page(
        request,
        caller,
        "cancel_form.html",
        lambda unit: _view(unit, person_id, card_no),
        form=form,
        errors=errors,
        status=status,
    )
