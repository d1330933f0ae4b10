"""Reporting a loss (at the counter, the bank, or on the hotline: R-LOSS-1, R-LOSS-7) and lifting it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sscard.errors import ServiceError
from sscard.guide.build import risk_warning
from sscard.loss import rules, service
from sscard.loss.rules import Relation, ReportKind
from sscard.people.schemes import Scheme
from sscard.roles import Principal, Role
from sscard.unit import Unit
from sscard.web.access import CsrfChecked
from sscard.web.counter.common import Counter, Outlet, card_of, in_unit, page, result
from sscard.web.counter.forms import LossForm
from sscard.web.counter.person import person_again
from sscard.web.pages import FormErrors, language_of, refusal_errors
from sscard.web.texts import text

router = APIRouter(prefix="/counter")

CHANNEL_OF_ROLE = {
    Role.CLERK: rules.Channel.COUNTER,
    Role.OPERATOR: rules.Channel.HOTLINE,
    Role.BANK: rules.Channel.BANK,
}
# Where each refusal is shown on the form (a code, or the field a service names).
REPORTER_FIELDS = {
    "documents_missing": "documents",
    "documents": "documents",
    "identity_mismatch": "reporter_id_number",
    "reporter": "reporter_name",
    "reporter.id_number": "reporter_id_number",
    "invalid_id_number": "reporter_id_number",
    "invalid_channel": "kind",
}


def _loss_view(unit: Unit, person_id: int, card_no: str) -> dict[str, Any]:
    person, card = card_of(unit, person_id, card_no)
    scheme = Scheme(person.scheme)
    return {
        "person": person,
        "card_no": card.card_no,
        "self_documents": [d for req in rules.formal_report_requirements(Relation.SELF, scheme) for d in req],
        "agent_documents": [d for req in rules.identity_requirements(Relation.AGENT) for d in req],
        "provisional_days": unit.policy(card.region_code).provisional_valid_days,
        "is_call": unit.actor.role is Role.OPERATOR,
        "form": {},
    }


@router.get("/persons/{person_id}/cards/{card_no}/loss-report")
def loss_form(request: Request, caller: Counter, person_id: int, card_no: str) -> Response:
    """The loss report form: the documents this scheme and reporter need, as checkboxes."""
    return page(request, caller, "loss_form.html", lambda unit: _loss_view(unit, person_id, card_no))


@router.post("/persons/{person_id}/cards/{card_no}/loss-report")
def report_loss(
    request: Request,
    caller: Counter,
    _: CsrfChecked,
    person_id: int,
    card_no: str,
    form: Annotated[LossForm, Form()],
) -> Response:
    """Report the card lost through the caller's channel, as POST …/loss-reports does."""
    language = language_of(request)
    if form.kind not in (ReportKind.PROVISIONAL.value, ReportKind.FORMAL.value):
        errors = FormErrors()
        errors.add("kind", text(language, "error.invalid_request"))
        return _loss_again(request, caller, person_id, card_no, form, errors)
    new = service.NewLossReport(
        kind=ReportKind(form.kind),
        channel=CHANNEL_OF_ROLE[caller.role],
        reporter=form.reporter(),
        documents=tuple(form.documents) if form.kind == ReportKind.FORMAL.value else (),
    )

    def report(unit: Unit) -> dict[str, Any]:
        card_of(unit, person_id, card_no)
        done, card = service.report_loss(unit, card_no, new)
        return {"kind": done.kind, "card_no": card.card_no, "warning": risk_warning(done.risk, language)}

    try:
        outcome = in_unit(request, caller, report)
    except ServiceError as exc:
        errors = refusal_errors(language, exc, REPORTER_FIELDS)
        return _loss_again(request, caller, person_id, card_no, form, errors, exc.status)
    lines = [
        text(language, f"result.loss.{outcome['kind']}", card_no=outcome["card_no"]),
        text(language, "result.tell", warning=outcome["warning"]),
    ]
    return result(request, person_id, lines, [text(language, "result.loss.next")])


def _loss_again(
    request: Request,
    caller: Principal,
    person_id: int,
    card_no: str,
    form: LossForm,
    errors: FormErrors,
    status: int = 422,
) -> Response:
    return page(
        request,
        caller,
        "loss_form.html",
        lambda unit: _loss_view(unit, person_id, card_no),
        form=form,
        errors=errors,
        status=status,
    )


@router.post("/persons/{person_id}/cards/{card_no}/lift")
def lift(request: Request, caller: Outlet, _: CsrfChecked, person_id: int, card_no: str) -> Response:
    """The card was found: lift the loss, as POST …/loss-reports/lift does."""

    def work(unit: Unit) -> str:
        card_of(unit, person_id, card_no)
        return service.lift_loss(unit, card_no).card_no

    language = language_of(request)
    try:
        lifted = in_unit(request, caller, work)
    except ServiceError as exc:
        return person_again(request, caller, person_id, refusal_errors(language, exc, {}), exc.status)
    return result(request, person_id, [text(language, "result.lift", card_no=lifted)], [])
