"""Claim routes (API.md /v1/claims)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Header, Query, Response, UploadFile, status
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, Field

from sscard.claims import scans, service
from sscard.claims.models import Claim
from sscard.claims.rules import ClaimKind, Decision
from sscard.http import allow
from sscard.idempotency import respond
from sscard.roles import Role
from sscard.schemas import Body, Fen, Out, PositiveFen
from sscard.unit import Unit

router = APIRouter(prefix="/v1", tags=["claims"])
FILERS = allow(Role.CARDHOLDER, Role.CLERK)
REVIEWERS = allow(Role.CLERK, Role.ADMIN)
READERS = allow(Role.CARDHOLDER, Role.CLERK, Role.ADMIN, read_only=True)


class ExpenseBody(Body):
    date: date
    institution: str = Field(min_length=2, max_length=100)
    amount: PositiveFen
    invoice_no: str = Field(min_length=1, max_length=64)


class ClaimCreate(Body):
    person_id: int
    kind: ClaimKind
    expenses: list[ExpenseBody] = Field(min_length=1, max_length=100)
    documents: list[str] = Field(default_factory=list, max_length=20)


class ExpenseRead(Out):
    date: date
    institution: str
    amount: int
    invoice_no: str


class ScanRead(Out):
    sha256: str
    document: str
    media_type: str
    size: int
    uploaded_at: datetime


class ClaimRead(Out):
    claim_id: int
    person_id: int
    kind: ClaimKind
    status: str = Field(
        description=(
            "submitted; awaiting_second_review (R-SEC-4: approved by one reviewer for more than the policy's "
            "second_review_fen, and paid only when a second reviewer approves too); approved (paid); rejected"
        )
    )
    claimed_amount: int
    approved_amount: int | None
    supplementary_amount: int
    supplementary_insurer: str | None
    reason: str | None
    documents: list[str]
    expenses: list[ExpenseRead]
    scans: list[ScanRead]
    submitted_at: datetime
    decided_at: datetime | None


def claim_read(unit: Unit, claim: Claim) -> ClaimRead:
    """The API view of a claim."""
    expenses = [
        ExpenseRead(date=e.day, institution=e.institution, amount=e.amount, invoice_no=e.invoice_no)
        for e in service.expenses_of(unit, claim)
    ]
    attached = [ScanRead.model_validate(s) for s in scans.scans_of(unit, claim)]
    return ClaimRead(
        claim_id=claim.id,
        person_id=claim.person_id,
        kind=claim.kind,
        status=claim.status,
        claimed_amount=claim.claimed_amount,
        approved_amount=claim.approved_amount,
        supplementary_amount=claim.supplementary_amount,
        supplementary_insurer=claim.supplementary_insurer,
        reason=claim.decision_reason,
        documents=claim.documents,
        expenses=expenses,
        scans=attached,
        submitted_at=claim.submitted_at,
        decided_at=claim.decided_at,
    )


@router.post("/claims", status_code=status.HTTP_201_CREATED, response_model=ClaimRead)
def submit(
    body: ClaimCreate,
    unit: Annotated[Unit, Depends(FILERS)],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    """File a claim; 422 documents_missing / expense_outside_window, 409 card_not_collected / duplicate_invoice."""

    def work() -> tuple[int, dict[str, Any]]:
        expenses = tuple(
            service.Expense(day=e.date, institution=e.institution, amount=e.amount, invoice_no=e.invoice_no)
            for e in body.expenses
        )
        claim = service.submit(
            unit,
            service.NewClaim(
                person_id=body.person_id, kind=body.kind, expenses=expenses, documents=tuple(body.documents)
            ),
        )
        return status.HTTP_201_CREATED, claim_read(unit, claim).model_dump(mode="json")

    return respond(unit, idempotency_key, body.model_dump(mode="json"), work)


class ClaimPage(Out):
    items: list[ClaimRead]
    next: str | None


@router.get("/claims")
def list_claims(
    unit: Annotated[Unit, Depends(READERS)],
    status_: Annotated[
        str | None, Query(alias="status", pattern="^(submitted|awaiting_second_review|approved|rejected)$")
    ] = None,
    region: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    cursor: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ClaimPage:
    """Claims, newest first: the holder's own, or those in a clerk's scope."""
    query = service.ClaimQuery(
        status=status_, region=region, since=since, until=until, before_id=cursor, limit=limit + 1
    )
    rows = service.list_claims(unit, query)
    page = rows[:limit]
    return ClaimPage(items=[claim_read(unit, c) for c in page], next=str(page[-1].id) if len(rows) > limit else None)


@router.get("/claims/{claim_id}")
def get_claim(claim_id: int, unit: Annotated[Unit, Depends(READERS)]) -> ClaimRead:
    """One claim with its expenses and scans."""
    return claim_read(unit, service.find_claim(unit, claim_id))


class DecisionBody(Body):
    decision: Decision
    approved_amount: PositiveFen | None = None
    reason: str | None = Field(default=None, max_length=500)
    supplementary_amount: Fen = 0
    supplementary_insurer: str | None = Field(default=None, max_length=100)


@router.post("/claims/{claim_id}/decision")
def decide(claim_id: int, body: DecisionBody, unit: Annotated[Unit, Depends(REVIEWERS)]) -> ClaimRead:
    """Approve (in full or in part) or reject; an approval is paid into the account.

    R-SEC-4: 403 four_eyes_required for the reviewer who filed the claim; above the policy's
    second_review_fen the first approval leaves it awaiting_second_review (nothing paid) and
    a second, different reviewer's approval pays it (or a rejection refuses it)."""
    claim = service.decide(unit, claim_id, service.Review(**body.model_dump()))
    return claim_read(unit, claim)


@router.post("/claims/{claim_id}/scans", status_code=status.HTTP_201_CREATED)
def attach_scan(
    claim_id: int,
    unit: Annotated[Unit, Depends(FILERS)],
    file: Annotated[UploadFile, File(description="PDF, JPEG or PNG, at most 10 MB")],
    document: Annotated[str, Form()],
) -> ScanRead:
    """Attach a scanned document to a claim."""
    claim = service.find_claim(unit, claim_id)
    data = file.file.read(scans.MAX_BYTES + 1)
    return ScanRead.model_validate(scans.attach(unit, claim, document, data))


@router.get("/claims/{claim_id}/scans/{sha256}")
def read_scan(claim_id: int, sha256: str, unit: Annotated[Unit, Depends(READERS)]) -> Response:
    """A scan of a claim the caller may see, as a download."""
    scan, data = scans.read(unit, service.find_claim(unit, claim_id), sha256)
    headers = {
        "Content-Disposition": f'attachment; filename="{scan.document}-{sha256[:12]}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    return Response(data, media_type=scan.media_type, headers=headers)
