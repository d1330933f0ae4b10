"""The cardholder's pages (/me): my card, balance, loss report, e-certificate, claims, messages.

Phone first. Each page runs the API's own services inside one unit of work of the
signed-in holder, so a page can never allow what the API refuses (a holder acts only on
their own person, cards and claims); a refusal re-renders the form with the rule in words.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData, UploadFile

from sscard.cards.models import Card
from sscard.cards.service import cards_of, find_card
from sscard.cards.states import CardStatus
from sscard.claims import scans
from sscard.claims import service as claims_service
from sscard.claims.models import Claim
from sscard.claims.rules import DOCUMENTS, REQUIRED, ClaimKind
from sscard.clock import CHINA_STANDARD_TIME, china_date
from sscard.db import transaction
from sscard.errors import ServiceError
from sscard.guide.build import CATALOGS, format_yuan, risk_warning
from sscard.guide.catalog import Language
from sscard.http import runtime, unit_for
from sscard.loss import queue, service
from sscard.loss import rules as loss_rules
from sscard.loss.certificate import render_pdf
from sscard.loss.models import LossReport
from sscard.loss.replacement import collection_certificate
from sscard.loss.rules import Channel, ReportKind
from sscard.notifications.service import notifications_page
from sscard.people.service import account_of, find_person, postings_page
from sscard.roles import Principal, Role
from sscard.settlement import ecert
from sscard.settlement.models import Compensation, ECertificate
from sscard.unit import Unit
from sscard.web.access import CsrfChecked, page_caller
from sscard.web.pages import FormErrors, china_time, language_of, missing_phrase, refusal_errors, render
from sscard.web.texts import document_name, text

router = APIRouter(prefix="/me", include_in_schema=False)

T = TypeVar("T")
Holder = Annotated[Principal, Depends(page_caller(Role.CARDHOLDER))]

POSTINGS_PER_PAGE = 20
EXPENSE_ROWS = 3
EXPENSE_FIELDS = ("date", "institution", "amount", "invoice")
# The claim's documents in the order the guide lists them (R-CLM-1).
CLAIM_DOCUMENTS = REQUIRED[ClaimKind.INPATIENT]
SCAN_TYPES = "application/pdf,image/jpeg,image/png"
LOSS_REPORTABLE = frozenset({CardStatus.UNACTIVATED, CardStatus.ACTIVE})
LOST = frozenset({CardStatus.PROVISIONAL_LOSS, CardStatus.LOST})
PAST = frozenset({CardStatus.REPLACED, CardStatus.CANCELLED})


def in_unit(request: Request, caller: Principal, work: Callable[[Unit], T]) -> T:
    """Run the work in one unit of work of the holder: committed when it returns."""
    with transaction(runtime(request).sessions) as db:
        return work(unit_for(request, db, caller))


def _holder_id(holder: Principal) -> int:
    assert holder.person_id is not None  # a cardholder's login always names its person
    return holder.person_id


def _person_id(unit: Unit) -> int:
    return _holder_id(unit.actor)


def _refused(request: Request, exc: ServiceError) -> Response:
    errors = refusal_errors(language_of(request), exc, {})
    return render(request, "refused.html", {"errors": errors}, status=exc.status)


# --- my card ---


def _open_loss(unit: Unit, card: Card) -> LossReport | None:
    stmt = select(LossReport).where(LossReport.card_id == card.id, LossReport.closed_at.is_(None))
    return unit.session.scalars(stmt.order_by(LossReport.id.desc()).limit(1)).first()


def _replacement_view(unit: Unit, card: Card) -> dict[str, Any] | None:
    row = queue.open_replacement_of(unit, card)
    if row is None:
        return None
    status = loss_rules.replacement_status(ready_on=row.ready_on, today=china_date(unit.now), collected=False)
    return {
        "id": row.id,
        "status": status,
        "new_card_no": row.new_card_no,
        "ready_on": row.ready_on.isoformat(),
        "certificate_no": row.collection_certificate_no,
        "valid_until": row.certificate_valid_until.isoformat(),
    }


def _card_view(unit: Unit, card: Card, language: Language) -> dict[str, Any]:
    status = CardStatus(card.status)
    report = _open_loss(unit, card) if status in LOST else None
    since = china_time(card.lost_since) if card.lost_since else ""
    until = china_time(report.expires_at) if report and report.expires_at else ""
    key = "me.state.active_locked" if status is CardStatus.ACTIVE and card.pin_locked_at else f"me.state.{status}"
    return {
        "card_no": card.card_no,
        "status": status.value,
        "bank": card.bank,
        "valid_until": card.valid_until.isoformat(),
        "state": text(language, key, since=since, until=until),
        "can_report": status in LOSS_REPORTABLE,
        "lost": status in LOST,
        "replacement": _replacement_view(unit, card),
    }


def _claim_view(unit: Unit, claim: Claim, language: Language) -> dict[str, Any]:
    if claim.status == "approved":
        decision = text(language, "me.claim.approved", amount=format_yuan(claim.approved_amount or 0))
    elif claim.status == "rejected":
        decision = text(language, "me.claim.rejected", reason=claim.decision_reason or "")
    else:
        decision = text(language, f"me.claim.{claim.status}")
    return {
        "id": claim.id,
        "summary": text(
            language,
            "me.claim.row",
            claim_id=claim.id,
            submitted=china_date(claim.submitted_at).isoformat(),
            amount=format_yuan(claim.claimed_amount),
        ),
        "status": claim.status,
        "decision": decision,
        "scans": [document_name(language, s.document) for s in scans.scans_of(unit, claim)],
    }


def _me_view(unit: Unit, language: Language, before: int | None) -> dict[str, Any]:
    person = find_person(unit, _person_id(unit))
    cards = cards_of(unit, person.id)
    postings, older = postings_page(unit, person.id, before, POSTINGS_PER_PAGE)
    compensations = unit.session.scalars(
        select(Compensation).where(Compensation.person_id == person.id).order_by(Compensation.id.desc()).limit(20)
    ).all()
    claims = claims_service.list_claims(unit, claims_service.ClaimQuery(limit=20))
    messages, _ = notifications_page(unit, person.id, None, 10)
    account = account_of(unit, person.id)
    return {
        "person": person,
        "cards": [_card_view(unit, c, language) for c in cards if CardStatus(c.status) not in PAST],
        "past_cards": [c for c in cards if CardStatus(c.status) in PAST],
        "balance": account.balance,
        "held": account.held,
        "postings": list(postings),
        "older": older,
        "before": before,
        "compensations": list(compensations),
        "claims": [_claim_view(unit, c, language) for c in claims],
        "messages": list(messages),
    }


@router.get("")
def my_card(request: Request, caller: Holder, before: int | None = None) -> Response:
    """My card and its status in words, balance and postings, replacement, claims, messages."""
    language = language_of(request)
    cursor = before if before is not None and before > 0 else None
    try:
        view = in_unit(request, caller, lambda unit: _me_view(unit, language, cursor))
    except ServiceError as exc:
        return _refused(request, exc)
    return render(request, "me/home.html", view)


# --- reporting my card lost (online, provisional: R-LOSS-1) ---


def _loss_view(unit: Unit, card_no: str, language: Language) -> dict[str, Any]:
    card = find_card(unit, card_no)
    policy = unit.policy(card.region_code)
    # R-CARD-2: the case this card is in, said before the holder confirms.
    risk = loss_rules.risk_of(
        activated=card.activated_at is not None,
        has_pin=card.pin_hash is not None,
        pin_changed_by_holder=card.pin_changed_by_holder,
    )
    warnings = [risk_warning(risk.value, language)] if risk is not loss_rules.Risk.NONE else []
    return {
        "card_no": card.card_no,
        "warnings": [*warnings, risk_warning("liability", language)],
        "hotline": policy.hotline,
        "provisional_days": policy.provisional_valid_days,
    }


@router.get("/cards/{card_no}/loss-report")
def loss_form(request: Request, caller: Holder, card_no: str) -> Response:
    """What a loss report does, the risk of this card, the hotline; one button."""
    language = language_of(request)
    try:
        view = in_unit(request, caller, lambda unit: _loss_view(unit, card_no, language))
    except ServiceError as exc:
        return _refused(request, exc)
    return render(request, "me/loss_form.html", view)


@router.post("/cards/{card_no}/loss-report")
def report_loss(request: Request, caller: Holder, _: CsrfChecked, card_no: str) -> Response:
    """Report my card lost online, as POST /v1/cards/{card_no}/loss-reports does for a holder."""
    language = language_of(request)
    new = service.NewLossReport(kind=ReportKind.PROVISIONAL, channel=Channel.ONLINE, reporter=None, documents=())

    def work(unit: Unit) -> dict[str, Any]:
        report, card = service.report_loss(unit, card_no, new)
        policy = unit.policy(card.region_code)
        return {
            "card_no": card.card_no,
            "warning": risk_warning(report.risk, language),
            "days": policy.provisional_valid_days,
            "hotline": policy.hotline,
        }

    try:
        done = in_unit(request, caller, work)
    except ServiceError as exc:
        errors = refusal_errors(language, exc, {})
        try:
            view = in_unit(request, caller, lambda unit: _loss_view(unit, card_no, language))
        except ServiceError as again:
            return _refused(request, again)
        return render(request, "me/loss_form.html", view | {"errors": errors}, status=exc.status)
    lines = [text(language, "me.loss.done", card_no=done["card_no"]), done["warning"]]
    steps = [
        text(language, "me.loss.next", days=done["days"]),
        text(language, "me.loss.hotline", hotline=done["hotline"]),
    ]
    return render(request, "me/done.html", {"lines": lines, "next_steps": steps, "ecert": True})


# --- the e-certificate (R-SET-3) ---


def qr_data_uri(token: str) -> str:
    """The token as a QR code: an SVG data URI that scales to the width it is given."""
    return str(segno.make_qr(token, error="m").svg_data_uri(scale=1, border=4, omitsize=True))


def _ecert_view(unit: Unit) -> dict[str, Any]:
    person = find_person(unit, _person_id(unit))
    stmt = select(ECertificate).where(ECertificate.person_id == person.id).order_by(ECertificate.issued_at.desc())
    newest = unit.session.scalars(stmt.limit(1)).first()
    if newest is None or newest.used_at is not None or newest.expires_at <= unit.now:
        used = china_time(newest.used_at) if newest is not None and newest.used_at is not None else None
        return {"token": None, "used_at": used}
    return {
        "token": newest.id,
        "qr": qr_data_uri(newest.id),
        "expires": newest.expires_at.astimezone(CHINA_STANDARD_TIME).strftime("%H:%M:%S"),
        "seconds": max(0, int((newest.expires_at - unit.now).total_seconds())),
        "used_at": None,
    }


@router.get("/e-certificate")
def ecert_page(request: Request, caller: Holder) -> Response:
    """My e-certificate in force as a QR code, its expiry, and a way to a new one."""
    try:
        view = in_unit(request, caller, _ecert_view)
    except ServiceError as exc:
        return _refused(request, exc)
    return render(request, "me/ecert.html", view)


@router.post("/e-certificate")
def issue_ecert(request: Request, caller: Holder, _: CsrfChecked) -> Response:
    """A new e-certificate, as POST /v1/persons/{id}/e-certificates does; then shown.

    Post/redirect/get, so a reload shows the same token rather than issuing another."""
    try:
        in_unit(request, caller, lambda unit: ecert.issue(unit, _person_id(unit)))
    except ServiceError as exc:
        return _refused(request, exc)
    return RedirectResponse("/me/e-certificate", status_code=303)


# --- my replacement's certificate ---


@router.get("/replacements/{replacement_id}/certificate.pdf")
def certificate_pdf(request: Request, caller: Holder, replacement_id: int) -> Response:
    """The collection certificate, the same PDF as GET /v1/replacements/{id}/certificate.pdf."""
    try:
        certificate = in_unit(request, caller, lambda unit: collection_certificate(unit, replacement_id))
    except ServiceError as exc:
        return _refused(request, exc)
    filename = f"collection-certificate-{certificate.certificate_no}.pdf"
    return Response(
        render_pdf(certificate),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "no-store"},
    )


# --- filing a claim (R-CLM-1) ---


def parse_yuan(value: str) -> int | None:
    """An amount as a person types it in yuan ("128.5", "¥1,280.00") in fen; None if it is none."""
    cleaned = value.strip().lstrip("¥￥").replace(",", "").replace("，", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")) or amount >= 10**10:
        return None
    return int(amount * 100)


def _claim_form_view(unit: Unit, language: Language) -> dict[str, Any]:
    person = find_person(unit, _person_id(unit))
    catalog = CATALOGS[language]
    outpatient = REQUIRED[ClaimKind.OUTPATIENT]
    extra = [d for d in CLAIM_DOCUMENTS if d not in outpatient]
    return {
        "documents": CLAIM_DOCUMENTS,
        "grace_days": unit.policy(person.region_code).claim_grace_days,
        "documents_hint": text(
            language,
            "me.claim.documents_hint",
            outpatient=catalog.list_separator.join(document_name(language, d) for d in outpatient),
            inpatient=catalog.list_separator.join(document_name(language, d) for d in extra),
        ),
        "scan_mb": scans.MAX_BYTES // (1024 * 1024),
        "scan_types": SCAN_TYPES,
        "rows": range(EXPENSE_ROWS),
        "form": {},
    }


@router.get("/claims/new")
def claim_form(request: Request, caller: Holder) -> Response:
    """The claim form: expenses, the documents as the guide names them, scans with their limits."""
    language = language_of(request)
    try:
        view = in_unit(request, caller, lambda unit: _claim_form_view(unit, language))
    except ServiceError as exc:
        return _refused(request, exc)
    return render(request, "me/claim_form.html", view)


def _expenses(form: FormData, language: Language, errors: FormErrors) -> list[claims_service.Expense]:
    """The filled rows of the form as expenses; a half-filled row's gaps go to `errors`."""
    rows = [_expense_row(form, row, language, errors) for row in range(EXPENSE_ROWS)]
    expenses = [expense for expense in rows if expense is not None]
    if not expenses and not errors:
        errors.add("expenses", text(language, "error.no_expense"))
    return expenses


def _expense_row(form: FormData, row: int, language: Language, errors: FormErrors) -> claims_service.Expense | None:
    """One row as an expense; None when it is empty or has gaps (said in `errors`)."""
    values = {name: str(form.get(f"expense-{row}-{name}") or "").strip() for name in EXPENSE_FIELDS}
    if not any(values.values()):
        return None
    day, amount = _day(values["date"]), parse_yuan(values["amount"])
    checks = {
        "date": day is not None,
        "institution": 2 <= len(values["institution"]) <= 100,
        "amount": amount is not None,
        "invoice": 1 <= len(values["invoice"]) <= 64,
    }
    for name, good in checks.items():
        if not good:
            errors.add(f"expense-{row}-{name}", text(language, f"error.expense_{name}"))
    if day is None or amount is None or not all(checks.values()):
        return None
    return claims_service.Expense(day, values["institution"], amount, values["invoice"])


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


class ScanRefused(Exception):
    """A scan of the claim was refused: the refusal, and which document's scan it was."""

    def __init__(self, document: str, refusal: ServiceError) -> None:
        super().__init__(refusal.detail)
        self.document, self.refusal = document, refusal


def _uploads(form: FormData) -> list[tuple[str, bytes]]:
    """The scans sent with the form, by document; empty file fields are no scan."""
    found = []
    for document in CLAIM_DOCUMENTS:
        upload = form.get(f"scan-{document}")
        if isinstance(upload, UploadFile) and upload.filename:
            data = upload.file.read(scans.MAX_BYTES + 1)
            if data:
                found.append((document, data))
    return found


def _claim_refusal(language: Language, exc: ServiceError) -> FormErrors:
    """A claim's refusal at its field, with the lists the service names in words."""
    errors = FormErrors()
    if exc.code == "expense_outside_window":
        window = exc.extra.get("window", {})
        errors.add(
            "expenses",
            text(
                language,
                "me.expense_outside_window",
                window_from=window.get("from", ""),
                window_to=window.get("to", ""),
                outside=CATALOGS[language].list_separator.join(exc.extra.get("outside", [])),
            ),
        )
    elif exc.code == "duplicate_invoice":
        invoices = CATALOGS[language].list_separator.join(exc.extra.get("invoices", []))
        errors.add("expenses", text(language, "me.duplicate_invoice", invoices=invoices))
    elif exc.code == "documents_missing":
        missing = missing_phrase(language, exc.extra.get("missing", []))
        errors.add("documents", text(language, "error.documents_missing", missing=missing))
    else:
        return refusal_errors(language, exc, {"documents": "documents", "kind": "kind"})
    return errors


async def posted_form(request: Request) -> AsyncIterator[FormData]:
    """The POSTed form (multipart with files), read once: the CSRF check reads the same;
    its spooled files are closed when the request is done."""
    form = await request.form()
    try:
        yield form
    finally:
        await form.close()


PostedForm = Annotated[FormData, Depends(posted_form)]


@router.post("/claims")
def file_claim(request: Request, caller: Holder, _: CsrfChecked, form: PostedForm) -> Response:
    """File a claim with its scans in one unit of work, as POST /v1/claims and …/scans do."""
    language = language_of(request)
    errors = FormErrors()
    new = _new_claim(form, caller, language, errors)
    uploads = _uploads(form)
    if new is None:
        return _claim_again(request, caller, form, errors, 422)

    def work(unit: Unit) -> tuple[int, int, int]:
        claim = claims_service.submit(unit, new)
        for document, data in uploads:
            try:
                scans.attach(unit, claim, document, data)
            except ServiceError as refusal:
                raise ScanRefused(document, refusal) from refusal
        return claim.id, claim.claimed_amount, len(uploads)

    try:
        claim_id, amount, scanned = in_unit(request, caller, work)
    except ScanRefused as refused:
        errors.add(f"scan-{refused.document}", _claim_refusal(language, refused.refusal).by_field.popitem()[1])
        return _claim_again(request, caller, form, errors, refused.refusal.status)
    except ServiceError as exc:
        return _claim_again(request, caller, form, _claim_refusal(language, exc), exc.status)
    lines = [text(language, "me.claim.done", claim_id=claim_id, amount=format_yuan(amount))]
    if scanned:
        lines.append(text(language, "me.claim.done_scan"))
    return render(
        request, "me/done.html", {"lines": lines, "next_steps": [text(language, "me.claim.next")], "ecert": False}
    )


def _new_claim(
    form: FormData, caller: Principal, language: Language, errors: FormErrors
) -> claims_service.NewClaim | None:
    """The claim the form asks for; None when the form itself is wrong (said in `errors`)."""
    kind = str(form.get("kind") or "")
    if kind not in (ClaimKind.OUTPATIENT.value, ClaimKind.INPATIENT.value):
        errors.add("kind", text(language, "error.invalid_request"))
    expenses = _expenses(form, language, errors)
    if errors:
        return None
    documents = tuple(str(d) for d in form.getlist("documents") if str(d) in DOCUMENTS)
    return claims_service.NewClaim(
        person_id=_holder_id(caller), kind=ClaimKind(kind), expenses=tuple(expenses), documents=documents
    )


def _claim_again(request: Request, caller: Principal, form: FormData, errors: FormErrors, status: int) -> Response:
    language = language_of(request)
    try:
        view = in_unit(request, caller, lambda unit: _claim_form_view(unit, language))
    except ServiceError as exc:
        return _refused(request, exc)
    given = {k: str(v) for k, v in form.multi_items() if isinstance(v, str) and k != "documents"}
    view["form"] = given | {"documents": [str(d) for d in form.getlist("documents")]}
    return render(request, "me/claim_form.html", view | {"errors": errors}, status=status)
