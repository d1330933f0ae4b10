"""The printable PDFs of a replacement: the collection certificate (R-REP-4), the fee
receipt (R-REP-2) and, across banks, the clearing notice (R-REP-6). Each is read through
the service that checks the caller may see the replacement, and is never cached."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sscard.errors import ServiceError
from sscard.loss import replacement
from sscard.loss.certificate import render_pdf
from sscard.loss.notices import render_clearing_notice, render_receipt
from sscard.roles import Principal
from sscard.unit import Unit
from sscard.web.counter.common import Outlet, in_unit, refused

router = APIRouter(prefix="/counter")


def _pdf(request: Request, caller: Principal, make: Callable[[Unit], tuple[bytes, str]]) -> Response:
    try:
        body, filename = in_unit(request, caller, make)
    except ServiceError as exc:
        return refused(request, exc)
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/replacements/{replacement_id}/certificate.pdf")
def certificate_pdf(request: Request, caller: Outlet, replacement_id: int) -> Response:
    """The collection certificate, the same PDF as GET /v1/replacements/{id}/certificate.pdf."""

    def make(unit: Unit) -> tuple[bytes, str]:
        certificate = replacement.collection_certificate(unit, replacement_id)
        return render_pdf(certificate), f"collection-certificate-{certificate.certificate_no}.pdf"

    return _pdf(request, caller, make)


@router.get("/replacements/{replacement_id}/receipt.pdf")
def receipt_pdf(request: Request, caller: Outlet, replacement_id: int) -> Response:
    """The receipt for the replacement's fee."""

    def make(unit: Unit) -> tuple[bytes, str]:
        receipt = replacement.fee_receipt(unit, replacement_id)
        return render_receipt(receipt), f"fee-receipt-{receipt.receipt_no}.pdf"

    return _pdf(request, caller, make)


@router.get("/replacements/{replacement_id}/clearing-notice.pdf")
def clearing_notice_pdf(request: Request, caller: Outlet, replacement_id: int) -> Response:
    """The clearing notice of a transfer across banks; 409 for a new card at the same bank."""

    def make(unit: Unit) -> tuple[bytes, str]:
        notice = replacement.clearing_notice(unit, replacement_id)
        return render_clearing_notice(notice), f"clearing-notice-{notice.notice_no}.pdf"

    return _pdf(request, caller, make)
