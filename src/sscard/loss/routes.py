"""Loss, lift, replacement, collection and bank-event routes (API.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Query, Response, status
from sqlalchemy import select

from sscard.cards.models import Card
from sscard.cards.routes import STAFF_OR_SELF, card_read
from sscard.cards.schemas import CardRead, Empty
from sscard.cards.service import find_card
from sscard.clock import china_date
from sscard.errors import Invalid
from sscard.guide.build import risk_warning
from sscard.guide.catalog import Language
from sscard.guide.language import negotiate
from sscard.http import allow
from sscard.loss import cancellation, queue, replacement, rules, service
from sscard.loss.certificate import render_pdf
from sscard.loss.models import LossReport, Replacement
from sscard.loss.schemas import (
    CancellationCreate,
    CancellationRead,
    Collected,
    Collection,
    LossReportCreate,
    LossReportList,
    LossReportRead,
    PayoutRead,
    QueuedReplacementRead,
    ReplacementCreate,
    ReplacementQueuePage,
    ReplacementRead,
    ReporterBody,
    ReporterRead,
    TransferRead,
)
from sscard.people.idnumber import mask_id_number
from sscard.people.models import Person
from sscard.roles import Role
from sscard.unit import Unit

router = APIRouter(prefix="/v1", tags=["loss and replacement"])


def _reporter(body: ReporterBody | None) -> service.Reporter | None:
    return service.Reporter(**body.model_dump()) if body else None


def report_read(unit: Unit, report: LossReport, card: Card, language: Language) -> LossReportRead:
    """The API view of a loss report; an agent's ID number masked as any other."""
    risk = rules.Risk(report.risk)
    id_number = report.reporter_id_number
    if id_number and not unit.actor.sees_full_id_number():
        id_number = mask_id_number(id_number) if len(id_number) == 18 else None
    return LossReportRead(
        report_id=report.id,
        card_no=card.card_no,
        kind=report.kind,
        channel=report.channel,
        reported_at=report.reported_at,
        card_status=card.status,
        risk=risk,
        warning=risk_warning(risk, language),
        expires_at=report.expires_at,
        closed_at=report.closed_at,
        closed_reason=report.closed_reason,
        reporter=ReporterRead(relation=report.reporter_relation, name=report.reporter_name, id_number=id_number),
    )


@router.post("/cards/{card_no}/loss-reports", status_code=status.HTTP_201_CREATED)
def report_loss(
    card_no: str,
    body: LossReportCreate,
    unit: Annotated[Unit, Depends(allow(Role.OPERATOR, Role.CLERK, Role.BANK, Role.CARDHOLDER))],
    accept_language: Annotated[str | None, Header()] = None,
) -> LossReportRead:
    """Report a card lost, provisionally through any channel or formally at the counter;
    the risk warning in the caller's language (zh-CN unless Accept-Language says en)."""
    new = service.NewLossReport(
        kind=body.kind, channel=body.channel, reporter=_reporter(body.reporter), documents=tuple(body.documents)
    )
    report, card = service.report_loss(unit, card_no, new)
    return report_read(unit, report, card, negotiate(accept_language))


@router.get("/cards/{card_no}/loss-reports")
def loss_reports(
    card_no: str,
    unit: Annotated[Unit, Depends(STAFF_OR_SELF)],
    accept_language: Annotated[str | None, Header()] = None,
) -> LossReportList:
    """Every loss report of the card, oldest first."""
    card = find_card(unit, card_no)
    rows = unit.session.scalars(select(LossReport).where(LossReport.card_id == card.id).order_by(LossReport.id))
    language = negotiate(accept_language)
    return LossReportList(items=[report_read(unit, r, card, language) for r in rows])


@router.post("/cards/{card_no}/loss-reports/lift")
def lift_loss(
    card_no: str,
    unit: Annotated[Unit, Depends(allow(Role.CLERK, Role.BANK, Role.CARDHOLDER))],
    _: Annotated[Empty | None, Body()] = None,
) -> CardRead:
    """The card was found: lift the loss; 409 lift_too_early."""
    return card_read(service.lift_loss(unit, card_no))


def replacement_read(unit: Unit, row: Replacement) -> ReplacementRead:
    """The API view of a replacement."""
    old = unit.session.get_one(Card, row.old_card_id)
    state = rules.replacement_status(
        ready_on=row.ready_on, today=china_date(unit.now), collected=row.collected_at is not None
    )
    return ReplacementRead(
        replacement_id=row.id,
        old_card_no=old.card_no,
        new_card_no=row.new_card_no,
        reason=row.reason,
        new_bank=row.new_bank,
        fee=row.fee,
        ready_on=row.ready_on,
        collection_certificate_no=row.collection_certificate_no,
        certificate_valid_until=row.certificate_valid_until,
        status=state,
        applied_at=row.applied_at,
        collected_at=row.collected_at,
        transfer=TransferRead(
            held_amount=row.held_amount,
            clearing_notice_at=row.clearing_notice_at,
            bank_cancellation_at=row.bank_cancellation_at,
            transferred_at=row.transferred_at,
        ),
    )


@router.post("/cards/{card_no}/replacements", status_code=status.HTTP_201_CREATED)
def apply_replacement(
    card_no: str, body: ReplacementCreate, unit: Annotated[Unit, Depends(allow(Role.CLERK, Role.BANK))]
) -> ReplacementRead:
    """Apply for a new card (a bank: for its own cards, R-LOSS-8); 409 loss_report_required
    for a lost or stolen card not reported."""
    new = replacement.NewReplacement(
        reason=body.reason, bank=body.bank, applicant=_reporter(body.applicant), documents=tuple(body.documents)
    )
    return replacement_read(unit, replacement.apply(unit, card_no, new))


def _queue_position(cursor: str | None) -> queue.QueuePosition | None:
    try:
        return queue.QueuePosition.from_token(cursor) if cursor else None
    except ValueError as exc:
        errors = [{"field": "cursor", "message": "not a `next` of this queue"}]
        raise Invalid("invalid_request", "cursor: not a `next` of this queue", errors=errors) from exc


@router.get("/replacements")
def replacement_queue(
    unit: Annotated[Unit, Depends(allow(Role.CLERK, Role.BANK, Role.ADMIN, read_only=True))],
    status_: Annotated[str | None, Query(alias="status", pattern="^(in_production|ready|collected)$")] = None,
    region: Annotated[str | None, Query(pattern=r"^[0-9]{6}$", description="default: your scope")] = None,
    cursor: Annotated[str | None, Query(max_length=200, description="the `next` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ReplacementQueuePage:
    """The outlet's queue, oldest application first; 403 out_of_region for a region outside your scope."""
    query = queue.QueueQuery(status=status_, region=region, after=_queue_position(cursor), limit=limit)
    page, position = queue.queue(unit, query)
    items = [_queued_read(unit, row, person) for row, _, person in page]
    return ReplacementQueuePage(items=items, next=position.token() if position else None)


def _queued_read(unit: Unit, row: Replacement, holder: Person) -> QueuedReplacementRead:
    # A queue is shown to call people to the counter, so the ID number is masked for
    # every role; the full one is on the person's own read.
    return QueuedReplacementRead(
        **replacement_read(unit, row).model_dump(),
        holder_name=holder.name,
        holder_id_number=mask_id_number(holder.id_number),
    )


@router.get("/replacements/{replacement_id}")
def get_replacement(replacement_id: int, unit: Annotated[Unit, Depends(STAFF_OR_SELF)]) -> ReplacementRead:
    """A replacement's state: production, collection, transfer."""
    return replacement_read(unit, replacement.find_replacement(unit, replacement_id))


@router.get(
    "/replacements/{replacement_id}/certificate.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "one A5 page to print"}},
)
def collection_certificate_pdf(
    replacement_id: int,
    unit: Annotated[Unit, Depends(allow(Role.CLERK, Role.BANK, Role.CARDHOLDER, read_only=True))],
) -> Response:
    """The card collection certificate, also the temporary medical certificate (R-REP-4):
    holder with masked ID number, old and new card, dates, and a QR code of its number."""
    certificate = replacement.collection_certificate(unit, replacement_id)
    filename = f"collection-certificate-{certificate.certificate_no}.pdf"
    return Response(
        render_pdf(certificate),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.post("/replacements/{replacement_id}/collect")
def collect(
    replacement_id: int, body: Collection, unit: Annotated[Unit, Depends(allow(Role.CLERK, Role.BANK))]
) -> Collected:
    """Hand over the new card (a bank: its own, R-LOSS-8); 409 not_ready, 403 certificate_mismatch."""
    new, old = replacement.collect(unit, replacement_id, body.id_number, body.collection_certificate_no)
    return Collected(new_card=card_read(new), old_card=card_read(old))


@router.post("/replacements/{replacement_id}/clearing-notice")
def clearing_notice(
    replacement_id: int, unit: Annotated[Unit, Depends(allow(Role.CLERK))], _: Annotated[Empty | None, Body()] = None
) -> ReplacementRead:
    """Record the sub-center's clearing notice (R-REP-6, across banks)."""
    return replacement_read(unit, replacement.record_clearing_notice(unit, replacement_id))


@router.post("/replacements/{replacement_id}/bank-cancellation")
def bank_cancellation(
    replacement_id: int, unit: Annotated[Unit, Depends(allow(Role.BANK))], _: Annotated[Empty | None, Body()] = None
) -> ReplacementRead:
    """The old bank confirms the old card is cancelled (R-REP-6, across banks)."""
    return replacement_read(unit, replacement.record_bank_cancellation(unit, replacement_id))


@router.post("/cards/{card_no}/cancellation")
def cancel_card(
    card_no: str, body: CancellationCreate, unit: Annotated[Unit, Depends(allow(Role.CLERK))]
) -> CancellationRead:
    """Cancel the card for good and pay its account out (R-CARD-5); 422 documents_missing."""
    payee = cancellation.Payee(**body.payee.model_dump()) if body.payee else None
    done = cancellation.cancel_card(unit, card_no, body.reason, tuple(body.documents), payee)
    payout = PayoutRead(
        amount=done.payout,
        payee_name=done.payee.name,
        payee_id_number=mask_id_number(done.payee.id_number),
        payee_relation=done.payee.relation,
    )
    return CancellationRead(card=card_read(done.card), payout=payout)
