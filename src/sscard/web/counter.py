"""The counter's pages: find a person, the person with their cards and actions, the queue.

Each page runs the API's own services inside one unit of work, so a page can never
allow what the API refuses; a refusal re-renders the form with the rule in words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from sscard.cards.models import Card
from sscard.cards.numbers import is_card_no
from sscard.cards.pin import is_pin
from sscard.cards.service import activate, cards_of, find_card
from sscard.cards.states import CardStatus
from sscard.clock import china_date
from sscard.db import transaction
from sscard.errors import NotFound, ServiceError
from sscard.find import service as search_service
from sscard.find.rules import SearchRefused, choose_search
from sscard.guide.build import CATALOGS, fee_phrase, risk_warning
from sscard.http import runtime, unit_for
from sscard.loss import queue, replacement, rules, service
from sscard.loss.certificate import render_pdf
from sscard.loss.rules import Relation, ReplacementReason, ReportKind
from sscard.people.idnumber import mask_id_number
from sscard.people.schemes import Scheme
from sscard.people.service import account_of, find_person, postings_page
from sscard.policy.service import calendar_for
from sscard.roles import Principal, Role
from sscard.unit import Unit
from sscard.web.access import CsrfChecked, page_caller
from sscard.web.pages import FormErrors, language_of, refusal_errors, render
from sscard.web.texts import text

router = APIRouter(prefix="/counter", include_in_schema=False)

T = TypeVar("T")
Counter = Annotated[Principal, Depends(page_caller(Role.CLERK, Role.OPERATOR, Role.BANK))]
Outlet = Annotated[Principal, Depends(page_caller(Role.CLERK, Role.BANK))]

ID_NUMBER = re.compile(r"\A(?:[0-9]{17}[0-9Xx]|[0-9]{15})\Z")
PHONE = re.compile(r"\A\+?[0-9][0-9 -]{4,18}\Z")
LOSS_REPORTABLE = frozenset({CardStatus.UNACTIVATED, CardStatus.ACTIVE, CardStatus.PROVISIONAL_LOSS})
LIFTABLE = frozenset({CardStatus.PROVISIONAL_LOSS, CardStatus.LOST})
CHANNEL_OF_ROLE = {
    Role.CLERK: rules.Channel.COUNTER,
    Role.OPERATOR: rules.Channel.HOTLINE,
    Role.BANK: rules.Channel.BANK,
}
# Where each refusal is shown on the forms (a code, or the field a service names).
LOSS_FIELDS = {
    "documents_missing": "documents",
    "documents": "documents",
    "identity_mismatch": "reporter_id_number",
    "reporter": "reporter_name",
    "reporter.id_number": "reporter_id_number",
    "invalid_id_number": "reporter_id_number",
    "invalid_channel": "kind",
}
REPLACEMENT_FIELDS = LOSS_FIELDS | {"loss_report_required": "reason"}
COLLECT_FIELDS = {"certificate_mismatch": "certificate_no"}


def in_unit(request: Request, caller: Principal, work: Callable[[Unit], T]) -> T:
    """Run the work in one unit of work of the caller: committed when it returns."""
    with transaction(runtime(request).sessions) as db:
        return work(unit_for(request, db, caller))


# --- finding a person (R-FIND-1) ---


def _search_fields(query: str, birth_date: str) -> dict[str, Any]:
    """The one search field a clerk types into, read as the API's query parameters."""
    value = query.strip()
    if ID_NUMBER.match(value):
        return {"id_number": value.upper()}
    if is_card_no(value):
        return {"card_no": value}
    if PHONE.match(value):
        return {"phone": value.replace(" ", "")}
    born = date.fromisoformat(birth_date) if birth_date else None
    return {"name": value, "birth_date": born}


@router.get("")
def search(request: Request, caller: Counter, q: str | None = None, birth_date: str = "") -> Response:
    """The search form and, when asked, who it finds."""
    language, errors = language_of(request), FormErrors()
    context: dict[str, Any] = {"q": q or "", "birth_date": birth_date, "results": None}
    if q is None:
        return render(request, "search.html", context)
    if not q.strip():
        errors.add("q", text(language, "error.search_empty"))
        return render(request, "search.html", context | {"errors": errors}, status=422)
    try:
        found = choose_search(**_search_fields(q, birth_date))
    except (SearchRefused, ValueError):  # one way at a time, or a birth date that is no date
        errors.add("birth_date", text(language, "error.search_birth_date"))
        return render(request, "search.html", context | {"errors": errors}, status=422)

    def people(unit: Unit) -> list[dict[str, Any]]:
        page, _ = search_service.search_persons(unit, found, None, 20)
        return [_person_summary(unit, p) for p in page]

    return render(request, "search.html", context | {"results": in_unit(request, caller, people)})


def _person_summary(unit: Unit, person: Any) -> dict[str, Any]:
    shown = person.id_number if unit.actor.sees_full_id_number() else mask_id_number(person.id_number)
    return {"id": person.id, "name": person.name, "id_number": shown, "region": person.region_code}


# --- the person ---


def _card_view(unit: Unit, card: Card) -> dict[str, Any]:
    status = CardStatus(card.status)
    open_replacement = queue.open_replacement_of(unit, card)
    has_any = service.has_replacement(unit, card)
    return {
        "card_no": card.card_no,
        "status": status.value,
        "bank": card.bank,
        "replacement": open_replacement,
        "can_report": status in LOSS_REPORTABLE,
        "can_lift": status in LIFTABLE and not has_any,
        "can_replace": status in replacement.REPLACEABLE and not has_any,
    }


def _person_view(unit: Unit, person_id: int) -> dict[str, Any]:
    person = find_person(unit, person_id)
    account = account_of(unit, person.id)
    postings, _ = postings_page(unit, person.id, None, 20)
    shown = person.id_number if unit.actor.sees_full_id_number() else mask_id_number(person.id_number)
    return {
        "person": person,
        "id_number": shown,
        "balance": account.balance,
        "held": account.held,
        "postings": list(postings),
        "cards": [_card_view(unit, c) for c in cards_of(unit, person.id)],
        "role": unit.actor.role.value,
    }


@router.get("/persons/{person_id}")
def person_page(request: Request, caller: Counter, person_id: int) -> Response:
    """The person, their cards and account, and the actions the caller may take."""
    try:
        view = in_unit(request, caller, lambda unit: _person_view(unit, person_id))
    except ServiceError as exc:
        return _refused(request, exc)
    return render(request, "person.html", view)


def _refused(request: Request, exc: ServiceError) -> Response:
    errors = refusal_errors(language_of(request), exc, {})
    return render(request, "refused.html", {"errors": errors}, status=exc.status)


def _card_of(unit: Unit, person_id: int, card_no: str) -> tuple[Any, Card]:
    person = find_person(unit, person_id)
    card = find_card(unit, card_no)
    if card.person_id != person.id:
        raise NotFound(f"no card {card_no} of person {person_id}")
    return person, card


# --- reporting a loss ---


def _loss_view(unit: Unit, person_id: int, card_no: str) -> dict[str, Any]:
    person, card = _card_of(unit, person_id, card_no)
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
    try:
        view = in_unit(request, caller, lambda unit: _loss_view(unit, person_id, card_no))
    except ServiceError as exc:
        return _refused(request, exc)
    return render(request, "loss_form.html", view)


def _reporter(form: Mapping[str, str]) -> service.Reporter | None:
    relation = Relation.AGENT if form["relation"] == "agent" else Relation.SELF
    given = {k: form[k].strip() or None for k in ("reporter_name", "reporter_id_number", "reporter_unit")}
    if relation is Relation.SELF and not any(given.values()):
        return None
    return service.Reporter(
        relation=relation,
        name=given["reporter_name"],
        id_number=given["reporter_id_number"],
        unit_name=given["reporter_unit"],
        reason=form["reporter_reason"].strip() or None,
    )


@router.post("/persons/{person_id}/cards/{card_no}/loss-report")
def report_loss(
    request: Request,
    caller: Counter,
    _: CsrfChecked,
    person_id: int,
    card_no: str,
    kind: Annotated[str, Form()] = "",
    relation: Annotated[str, Form()] = "self",
    documents: Annotated[list[str] | None, Form()] = None,
    reporter_name: Annotated[str, Form(max_length=40)] = "",
    reporter_id_number: Annotated[str, Form(max_length=32)] = "",
    reporter_unit: Annotated[str, Form(max_length=100)] = "",
    reporter_reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Report the card lost through the caller's channel, as POST …/loss-reports does."""
    form = {
        "kind": kind,
        "relation": relation,
        "reporter_name": reporter_name,
        "reporter_id_number": reporter_id_number,
        "reporter_unit": reporter_unit,
        "reporter_reason": reporter_reason,
    }
    language = language_of(request)
    if kind not in (ReportKind.PROVISIONAL.value, ReportKind.FORMAL.value):
        errors = FormErrors()
        errors.add("kind", text(language, "error.invalid_request"))
        return _loss_again(request, caller, person_id, card_no, form, documents or [], errors)
    new = service.NewLossReport(
        kind=ReportKind(kind),
        channel=CHANNEL_OF_ROLE[caller.role],
        reporter=_reporter(form),
        documents=tuple(documents or ()) if kind == ReportKind.FORMAL.value else (),
    )

    def report(unit: Unit) -> dict[str, Any]:
        _card_of(unit, person_id, card_no)
        done, card = service.report_loss(unit, card_no, new)
        return {"kind": done.kind, "card_no": card.card_no, "warning": risk_warning(done.risk, language)}

    try:
        outcome = in_unit(request, caller, report)
    except ServiceError as exc:
        errors = refusal_errors(language, exc, LOSS_FIELDS)
        return _loss_again(request, caller, person_id, card_no, form, documents or [], errors, exc.status)
    lines = [
        text(language, f"result.loss.{outcome['kind']}", card_no=outcome["card_no"]),
        text(language, "result.tell", warning=outcome["warning"]),
    ]
    return _result(request, person_id, lines, [text(language, "result.loss.next")])


def _loss_again(
    request: Request,
    caller: Principal,
    person_id: int,
    card_no: str,
    form: dict[str, str],
    documents: list[str],
    errors: FormErrors,
    status: int = 422,
) -> Response:
    try:
        view = in_unit(request, caller, lambda unit: _loss_view(unit, person_id, card_no))
    except ServiceError as exc:
        return _refused(request, exc)
    view["form"] = form | {"documents": documents}
    return render(request, "loss_form.html", view | {"errors": errors}, status=status)


def _result(
    request: Request, person_id: int, lines: list[str], next_steps: list[str], certificate: int | None = None
) -> Response:
    context = {"lines": lines, "next_steps": next_steps, "person_id": person_id, "certificate": certificate}
    return render(request, "result.html", context)


# --- lifting a loss ---


@router.post("/persons/{person_id}/cards/{card_no}/lift")
def lift(request: Request, caller: Outlet, _: CsrfChecked, person_id: int, card_no: str) -> Response:
    """The card was found: lift the loss, as POST …/loss-reports/lift does."""

    def work(unit: Unit) -> str:
        _card_of(unit, person_id, card_no)
        return service.lift_loss(unit, card_no).card_no

    language = language_of(request)
    try:
        lifted = in_unit(request, caller, work)
    except ServiceError as exc:
        errors = refusal_errors(language, exc, {})
        view = in_unit(request, caller, lambda unit: _person_view(unit, person_id))
        return render(request, "person.html", view | {"errors": errors}, status=exc.status)
    return _result(request, person_id, [text(language, "result.lift", card_no=lifted)], [])


# --- applying for a replacement ---


def _replacement_view(unit: Unit, person_id: int, card_no: str, language: Any) -> dict[str, Any]:
    person, card = _card_of(unit, person_id, card_no)
    policy = unit.policy(card.region_code)
    today = china_date(unit.now)
    ready_on = calendar_for(unit.session, card.region_code).add_working_days(today, policy.production_working_days)
    catalog = CATALOGS[language]
    reasons = [(r.value, fee_phrase(policy.fee(r.value), catalog)) for r in ReplacementReason]
    return {
        "person": person,
        "card_no": card.card_no,
        "reasons": reasons,
        "ready_on": ready_on.isoformat(),
        "self_documents": [d for req in rules.replacement_requirements(Relation.SELF) for d in req],
        "agent_documents": [d for req in rules.identity_requirements(Relation.AGENT) for d in req],
        "form": {},
    }


@router.get("/persons/{person_id}/cards/{card_no}/replacement")
def replacement_form(request: Request, caller: Outlet, person_id: int, card_no: str) -> Response:
    """The replacement form: reason with its fee here, the documents, the ready date."""
    language = language_of(request)
    try:
        view = in_unit(request, caller, lambda unit: _replacement_view(unit, person_id, card_no, language))
    except ServiceError as exc:
        return _refused(request, exc)
    return render(request, "replacement_form.html", view)


@router.post("/persons/{person_id}/cards/{card_no}/replacement")
def apply_replacement(
    request: Request,
    caller: Outlet,
    _: CsrfChecked,
    person_id: int,
    card_no: str,
    reason: Annotated[str, Form()] = "",
    relation: Annotated[str, Form()] = "self",
    documents: Annotated[list[str] | None, Form()] = None,
    reporter_name: Annotated[str, Form(max_length=40)] = "",
    reporter_id_number: Annotated[str, Form(max_length=32)] = "",
    reporter_reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Apply for a new card, as POST …/replacements does."""
    language = language_of(request)
    form = {
        "reason": reason,
        "relation": relation,
        "reporter_name": reporter_name,
        "reporter_id_number": reporter_id_number,
        "reporter_unit": "",
        "reporter_reason": reporter_reason,
    }
    try:
        why = ReplacementReason(reason)
    except ValueError:
        errors = FormErrors()
        errors.add("reason", text(language, "error.invalid_request"))
        return _replacement_again(request, caller, person_id, card_no, form, documents or [], errors)
    new = replacement.NewReplacement(reason=why, applicant=_reporter(form), documents=tuple(documents or ()))

    def work(unit: Unit) -> dict[str, Any]:
        _card_of(unit, person_id, card_no)
        done = replacement.apply(unit, card_no, new)
        fee = fee_phrase(done.fee, CATALOGS[language])
        return {
            "id": done.id,
            "new_card_no": done.new_card_no,
            "fee": fee,
            "ready_on": done.ready_on.isoformat(),
            "valid_until": done.certificate_valid_until.isoformat(),
            "certificate_no": done.collection_certificate_no,
        }

    try:
        done = in_unit(request, caller, work)
    except ServiceError as exc:
        errors = refusal_errors(language, exc, REPLACEMENT_FIELDS)
        return _replacement_again(request, caller, person_id, card_no, form, documents or [], errors, exc.status)
    lines = [
        text(
            language,
            "result.replace",
            new_card_no=done["new_card_no"],
            fee=done["fee"],
            certificate_no=done["certificate_no"],
        )
    ]
    steps = [text(language, "result.replace.next", ready_on=done["ready_on"], valid_until=done["valid_until"])]
    return _result(request, person_id, lines, steps, certificate=done["id"])


def _replacement_again(
    request: Request,
    caller: Principal,
    person_id: int,
    card_no: str,
    form: dict[str, str],
    documents: list[str],
    errors: FormErrors,
    status: int = 422,
) -> Response:
    language = language_of(request)
    try:
        view = in_unit(request, caller, lambda unit: _replacement_view(unit, person_id, card_no, language))
    except ServiceError as exc:
        return _refused(request, exc)
    view["form"] = form | {"documents": documents}
    return render(request, "replacement_form.html", view | {"errors": errors}, status=status)


@router.get("/replacements/{replacement_id}/certificate.pdf")
def certificate_pdf(request: Request, caller: Outlet, replacement_id: int) -> Response:
    """The collection certificate, the same PDF as GET /v1/replacements/{id}/certificate.pdf."""
    try:
        certificate = in_unit(request, caller, lambda unit: replacement.collection_certificate(unit, replacement_id))
    except ServiceError as exc:
        return _refused(request, exc)
    filename = f"collection-certificate-{certificate.certificate_no}.pdf"
    return Response(
        render_pdf(certificate),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "no-store"},
    )


# --- collecting the new card ---


@router.get("/replacements/{replacement_id}/collect")
def collect_form(request: Request, caller: Outlet, replacement_id: int) -> Response:
    """The collection form: the holder's ID number and the certificate's number."""
    try:
        person_id = in_unit(request, caller, lambda unit: replacement.find_replacement(unit, replacement_id).person_id)
    except ServiceError as exc:
        return _refused(request, exc)
    context = {"replacement_id": replacement_id, "person_id": person_id, "form": {}}
    return render(request, "collect_form.html", context)


@router.post("/replacements/{replacement_id}/collect")
def collect(
    request: Request,
    caller: Outlet,
    _: CsrfChecked,
    replacement_id: int,
    id_number: Annotated[str, Form(max_length=32)] = "",
    certificate_no: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Hand over the new card, as POST /v1/replacements/{id}/collect does."""
    language = language_of(request)

    def work(unit: Unit) -> tuple[int, str, str]:
        new, old = replacement.collect(unit, replacement_id, id_number, certificate_no)
        return new.person_id, new.card_no, old.card_no

    try:
        person_id, new_no, old_no = in_unit(request, caller, work)
    except ServiceError as exc:
        errors = refusal_errors(language, exc, COLLECT_FIELDS)
        context = {
            "replacement_id": replacement_id,
            "person_id": None,
            "form": {"id_number": id_number, "certificate_no": certificate_no},
            "errors": errors,
        }
        return render(request, "collect_form.html", context, status=exc.status)
    lines = [text(language, "result.collect", new_card_no=new_no, old_card_no=old_no)]
    return _result(request, person_id, lines, [text(language, "result.collect.next")])


# --- activating a card ---


@router.get("/persons/{person_id}/cards/{card_no}/activation")
def activation_form(request: Request, caller: Outlet, person_id: int, card_no: str) -> Response:
    """The activation form: the PIN the holder types, masked."""
    try:
        in_unit(request, caller, lambda unit: _card_of(unit, person_id, card_no))
    except ServiceError as exc:
        return _refused(request, exc)
    return render(request, "activate_form.html", {"person_id": person_id, "card_no": card_no})


@router.post("/persons/{person_id}/cards/{card_no}/activation")
def activate_card(
    request: Request,
    caller: Outlet,
    _: CsrfChecked,
    person_id: int,
    card_no: str,
    pin: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Activate the card with the holder's PIN, as POST /v1/cards/{card_no}/activate does."""
    language = language_of(request)
    context = {"person_id": person_id, "card_no": card_no}
    if not is_pin(pin):  # the API's schema refuses it the same way (422)
        errors = FormErrors()
        errors.add("pin", text(language, "error.invalid_pin"))
        return render(request, "activate_form.html", context | {"errors": errors}, status=422)

    def work(unit: Unit) -> str:
        _card_of(unit, person_id, card_no)
        return activate(unit, card_no, pin).card_no

    try:
        activated = in_unit(request, caller, work)
    except ServiceError as exc:
        errors = refusal_errors(language, exc, {"*": "summary"})
        return render(request, "activate_form.html", context | {"errors": errors}, status=exc.status)
    lines = [text(language, "result.activate", card_no=activated)]
    return _result(request, person_id, lines, [text(language, "result.activate.next")])


# --- the outlet's queue ---


@router.get("/queue")
def queue_page(request: Request, caller: Outlet, status: str = "") -> Response:
    """Replacements in production and ready to collect in the caller's region, oldest first."""
    chosen = status if status in ("in_production", "ready", "collected") else None

    def rows(unit: Unit) -> list[dict[str, Any]]:
        page, _ = queue.queue(unit, queue.QueueQuery(status=chosen, region=None, after=None, limit=100))
        today = china_date(unit.now)
        return [
            {
                "id": r.id,
                "person_id": p.id,
                "holder": p.name,
                "id_number": mask_id_number(p.id_number),
                "old_card_no": c.card_no,
                "new_card_no": r.new_card_no,
                "applied_on": china_date(r.applied_at).isoformat(),
                "ready_on": r.ready_on.isoformat(),
                "status": rules.replacement_status(
                    ready_on=r.ready_on, today=today, collected=r.collected_at is not None
                ),
            }
            for r, c, p in page
        ]

    return render(request, "queue.html", {"rows": in_unit(request, caller, rows), "status": chosen or ""})
