"""Applying for a replacement (R-REP-1 … R-REP-4), with the bank of the new card (R-REP-6),
and recording the sub-center's clearing notice of a transfer across banks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sscard.cards.banks import COOPERATIVE_BANKS
from sscard.clock import china_date
from sscard.errors import ServiceError
from sscard.guide.build import CATALOGS, fee_phrase
from sscard.guide.catalog import Language
from sscard.loss import replacement, rules
from sscard.loss.rules import Relation, ReplacementReason
from sscard.policy.service import calendar_for
from sscard.roles import Principal, Role
from sscard.unit import Unit
from sscard.web.access import CsrfChecked
from sscard.web.counter.common import Clerk, Outlet, card_of, in_unit, page, refused, result
from sscard.web.counter.forms import ReplacementForm
from sscard.web.counter.loss import REPORTER_FIELDS
from sscard.web.counter.person import person_again
from sscard.web.pages import FormErrors, language_of, refusal_errors
from sscard.web.texts import text

router = APIRouter(prefix="/counter")

REPLACEMENT_FIELDS = REPORTER_FIELDS | {"loss_report_required": "reason", "unknown_bank": "bank", "bank": "bank"}


def document_links(language: Language, replacement_id: int, cross_bank: bool) -> list[tuple[str, str]]:
    """The PDFs of a replacement to print: certificate, fee receipt, and across banks the clearing notice."""
    base = f"/counter/replacements/{replacement_id}"
    links = [
        (text(language, "print_certificate"), f"{base}/certificate.pdf"),
        (text(language, "counter.print_receipt"), f"{base}/receipt.pdf"),
    ]
    if cross_bank:
        links.append((text(language, "counter.print_clearing_notice"), f"{base}/clearing-notice.pdf"))
    return links


def _replacement_view(unit: Unit, person_id: int, card_no: str, language: Language) -> dict[str, Any]:
    person, card = card_of(unit, person_id, card_no)
    policy = unit.policy(card.region_code)
    today = china_date(unit.now)
    ready_on = calendar_for(unit.session, card.region_code).add_working_days(today, policy.production_working_days)
    catalog = CATALOGS[language]
    reasons = [(r.value, fee_phrase(policy.fee(r.value), catalog)) for r in ReplacementReason]
    # R-LOSS-8: a bank's outlet makes new cards of its own only.
    banks = [card.bank] if unit.actor.role is Role.BANK else [card.bank, *sorted(set(COOPERATIVE_BANKS) - {card.bank})]
    return {
        "person": person,
        "card_no": card.card_no,
        "card_bank": card.bank,
        "banks": [(code, COOPERATIVE_BANKS[code]) for code in banks if code in COOPERATIVE_BANKS],
        "reasons": reasons,
        "ready_on": ready_on.isoformat(),
        "self_documents": [d for req in rules.replacement_requirements(Relation.SELF) for d in req],
        "agent_documents": [d for req in rules.identity_requirements(Relation.AGENT) for d in req],
        "form": {},
    }


@router.get("/persons/{person_id}/cards/{card_no}/replacement")
def replacement_form(request: Request, caller: Outlet, person_id: int, card_no: str) -> Response:
    """The replacement form: reason with its fee here, the bank, the documents, the ready date."""
    language = language_of(request)
    return page(
        request, caller, "replacement_form.html", lambda unit: _replacement_view(unit, person_id, card_no, language)
    )


@router.post("/persons/{person_id}/cards/{card_no}/replacement")
def apply_replacement(
    request: Request,
    caller: Outlet,
    _: CsrfChecked,
    person_id: int,
    card_no: str,
    form: Annotated[ReplacementForm, Form()],
) -> Response:
    """Apply for a new card, as POST …/replacements does."""
    language = language_of(request)
    try:
        why = ReplacementReason(form.reason)
    except ValueError:
        errors = FormErrors()
        errors.add("reason", text(language, "error.invalid_request"))
        return _replacement_again(request, caller, person_id, card_no, form, errors)
    new = replacement.NewReplacement(
        reason=why, bank=form.bank or None, applicant=form.reporter(), documents=tuple(form.documents)
    )

    def work(unit: Unit) -> dict[str, Any]:
        _, card = card_of(unit, person_id, card_no)
        done = replacement.apply(unit, card_no, new)
        return {
            "id": done.id,
            "new_card_no": done.new_card_no,
            "fee": fee_phrase(done.fee, CATALOGS[language]),
            "ready_on": done.ready_on.isoformat(),
            "valid_until": done.certificate_valid_until.isoformat(),
            "certificate_no": done.collection_certificate_no,
            "cross_bank": done.new_bank != card.bank,
            "new_bank": done.new_bank,
        }

    try:
        done = in_unit(request, caller, work)
    except ServiceError as exc:
        errors = refusal_errors(language, exc, REPLACEMENT_FIELDS)
        return _replacement_again(request, caller, person_id, card_no, form, errors, exc.status)
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
    if done["cross_bank"]:
        steps.append(text(language, "counter.cross_bank_next", bank=done["new_bank"]))
    links = document_links(language, done["id"], done["cross_bank"])
    return result(request, person_id, lines, steps, links=links)


def _replacement_again(
    request: Request,
    caller: Principal,
    person_id: int,
    card_no: str,
    form: ReplacementForm,
    errors: FormErrors,
    status: int = 422,
) -> Response:
    language = language_of(request)
    return page(
        request,
        caller,
        "replacement_form.html",
        lambda unit: _replacement_view(unit, person_id, card_no, language),
        form=form,
        errors=errors,
        status=status,
    )


@router.post("/replacements/{replacement_id}/clearing-notice")
def record_clearing_notice(request: Request, caller: Clerk, _: CsrfChecked, replacement_id: int) -> Response:
    """The sub-center issues the clearing notice (R-REP-6), as POST /v1/replacements/{id}/clearing-notice does."""
    language = language_of(request)

    def work(unit: Unit) -> tuple[int, bool]:
        done = replacement.record_clearing_notice(unit, replacement_id)
        return done.person_id, done.transferred_at is not None

    try:
        person_id, transferred = in_unit(request, caller, work)
    except ServiceError as exc:
        try:
            owner = in_unit(request, caller, lambda u: replacement.find_replacement(u, replacement_id).person_id)
        except ServiceError:
            return refused(request, exc)
        return person_again(request, caller, owner, refusal_errors(language, exc, {}), exc.status)
    lines = [text(language, "counter.clearing_recorded")]
    steps = [text(language, "counter.transferred" if transferred else "counter.waiting_for_bank")]
    pdf = f"/counter/replacements/{replacement_id}/clearing-notice.pdf"
    links = [(text(language, "counter.print_clearing_notice"), pdf)]
    return result(request, person_id, lines, steps, links=links)
