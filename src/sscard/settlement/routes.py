"""Settlement routes (API.md): charges, refunds, offline uploads, e-certificates."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Annotated, Any

from anyio import CapacityLimiter, to_thread
from anyio.lowlevel import RunVar
from fastapi import APIRouter, Body, Depends, Header, Request, status
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, AwareDatetime, Field, TypeAdapter, ValidationError, model_validator
from sqlalchemy import select

from sscard import outages
from sscard.cards.routes import STAFF_OR_SELF
from sscard.cards.schemas import Empty
from sscard.contract import problem_responses
from sscard.db import CommitOutcomeUnknown, WorkGuard, transaction
from sscard.http import allow, outage_response, permit, resolved, runtime, unit_for
from sscard.idempotency import respond
from sscard.people.service import find_person
from sscard.roles import Principal, Role
from sscard.schemas import Body as BodyModel
from sscard.schemas import Out, PositiveFen
from sscard.settlement import ecert, offline, service
from sscard.settlement.models import Compensation
from sscard.unit import Unit

log = logging.getLogger("sscard.settlement")
router = APIRouter(prefix="/v1", tags=["settlement"], responses=problem_responses(402))
TERMINAL = allow(Role.TERMINAL)
# The online settlement opens its own unit of work in one thread hop (see settle).
SETTLING_TERMINAL = permit(Role.TERMINAL)
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]
PinField = Field(pattern=r"^[0-9]{6}$")


class SettlementCreate(BodyModel):
    """With the card and its PIN, an electronic certificate's token, or the temporary
    certificate's number and the holder's resident ID number (R-SET-5)."""

    amount: PositiveFen
    category: str = Field(max_length=32, description="drug, treatment, examination, material or hospital_stay")
    card_no: str | None = Field(default=None, max_length=32)
    pin: str | None = Field(default=None, max_length=6)
    ecert_token: str | None = Field(default=None, max_length=64)
    certificate_no: str | None = Field(default=None, max_length=20, description="the card collection certificate")
    id_number: str | None = Field(default=None, max_length=18, description="the holder's, with certificate_no")
    items: list[dict[str, Any]] = Field(default_factory=list, max_length=200)

    @model_validator(mode="after")
    def _one_means_of_payment(self) -> SettlementCreate:
        means = {
            "card_no and pin": (self.card_no, self.pin),
            "ecert_token": (self.ecert_token,),
            "certificate_no and id_number": (self.certificate_no, self.id_number),
        }
        given = [name for name, fields in means.items() if any(f is not None for f in fields)]
        if len(given) != 1:
            raise ValueError("give card_no and pin, or ecert_token, or certificate_no and id_number")
        if None in means[given[0]]:
            raise ValueError(f"{given[0]} go together")
        return self


class SettlementRead(Out):
    settlement_id: int
    status: str
    amount: int
    balance_after: int
    at: datetime


# Settlements a server process runs at once (settings.settlements_at_once, 4). Python
# threads share one interpreter lock, and each of a settlement's round trips hands it
# over: with the thread pool's 40 at once, a process spent more CPU passing the lock
# than settling (B1, BENCHMARKS.md); a few at once overlap their commits' waits on the
# WAL flush. More concurrency comes from server processes (`serve --workers`), as with
# PostgreSQL's own one process per connection.
_SETTLING: RunVar[CapacityLimiter] = RunVar("sscard_settling")


def _settling(request: Request) -> CapacityLimiter:
    """This event loop's limiter (anyio keeps its default thread limiter the same way)."""
    try:
        return _SETTLING.get()
    except LookupError:
        limiter = CapacityLimiter(runtime(request).settings.settlements_at_once)
        _SETTLING.set(limiter)
        return limiter


@router.post("/settlements", status_code=status.HTTP_201_CREATED, response_model=SettlementRead)
async def settle(
    body: SettlementCreate,
    request: Request,
    terminal: Annotated[Principal, Depends(SETTLING_TERMINAL)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Charge the personal account; declines are 402 with their code (R-SET); 503 when
    the database does not answer in time (`outcome_unknown` when it may have committed)."""
    guard = WorkGuard()
    limiter = _settling(request)
    work = asyncio.ensure_future(
        to_thread.run_sync(
            _in_one_unit, request, terminal, body, idempotency_key, guard, limiter=limiter, abandon_on_cancel=True
        )
    )
    gone = asyncio.ensure_future(_client_gone(request))
    deadline = runtime(request).settings.settlement_deadline_seconds
    try:
        await asyncio.wait({work, gone}, timeout=deadline, return_when=asyncio.FIRST_COMPLETED)
        client_gone = gone.done()
    finally:
        gone.cancel()
    if work.done():
        return work.result()
    # Issue 14: given up at the deadline, or when the terminal has gone: the work rolls
    # back at its COMMIT unless that was already on its way.
    outage = outages.abandoned(commit_sent=guard.abandon(), client_gone=client_gone)
    work.cancel()
    log.warning("POST /v1/settlements: %s (%s)", outage.code, outage.reason)
    return outage_response(outage)


async def _client_gone(request: Request) -> None:
    # The body is read; what the server receives next is the client's leaving.
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _in_one_unit(
    request: Request, terminal: Principal, body: SettlementCreate, idempotency_key: str | None, guard: WorkGuard
) -> JSONResponse:
    """The whole unit of work in one call on a worker thread: opened, worked and
    committed (before the response, as http.session does), without two more hops for
    a session dependency, and no row lock held while waiting for a thread."""
    rt = runtime(request)
    try:
        with transaction(rt.sessions, guard) as db:
            return _settle(unit_for(request, db, terminal), body, idempotency_key)
    except CommitOutcomeUnknown:
        if idempotency_key is None:
            raise
        return resolved(rt, terminal.subject, idempotency_key, guard)


def _settle(unit: Unit, body: SettlementCreate, idempotency_key: str | None) -> JSONResponse:
    def work() -> tuple[int, dict[str, Any]]:
        record = service.settle(
            unit,
            service.Charge(
                amount=body.amount,
                category=body.category,
                card_no=body.card_no,
                pin=body.pin,
                ecert_token=body.ecert_token,
                certificate_no=body.certificate_no,
                id_number=body.id_number,
                items=body.items,
            ),
        )
        read = SettlementRead(
            settlement_id=record.id,
            status=record.status,
            amount=record.amount,
            balance_after=record.balance_after,
            at=record.at,
        )
        return status.HTTP_201_CREATED, read.model_dump(mode="json")

    # The PIN is part of the request but never stored, not even as part of a digest.
    return respond(unit, idempotency_key, body.model_dump(mode="json", exclude={"pin"}), work)


class RefundCreate(BodyModel):
    amount: PositiveFen | None = None


class RefundRead(Out):
    refund_id: int
    settlement_id: int
    amount: int
    balance_after: int
    at: datetime


@router.post("/settlements/{settlement_id}/refund", status_code=status.HTTP_201_CREATED)
def refund(
    settlement_id: int, unit: Annotated[Unit, Depends(TERMINAL)], body: Annotated[RefundCreate | None, Body()] = None
) -> RefundRead:
    """Refund all (no amount) or part of an approved settlement."""
    row = service.refund(unit, settlement_id, body.amount if body else None)
    return RefundRead(
        refund_id=row.id, settlement_id=row.settlement_id, amount=row.amount, balance_after=row.balance_after, at=row.at
    )


_INSTANT: TypeAdapter[datetime] = TypeAdapter(AwareDatetime)


def _an_instant(text: str) -> str:
    try:
        _INSTANT.validate_python(text)
    except ValidationError as exc:
        raise ValueError("an RFC 3339 instant with its offset") from exc
    return text


# Kept as sent: the card signed these very characters (R-SET-6).
Instant = Annotated[str, Field(max_length=40, json_schema_extra={"format": "date-time"}), AfterValidator(_an_instant)]
COUNTER_MAX = 2**32 - 1


class OfflineTransaction(BodyModel):
    """One offline charge with the card's proof of it (R-SET-6; API.md "The offline cryptogram")."""

    local_id: str = Field(min_length=1, max_length=64)
    card_no: str = Field(max_length=32)
    amount: PositiveFen
    category: str = Field(max_length=32)
    occurred_at: Instant
    list_version: int = Field(ge=0, le=2**62)
    counter: int | None = Field(
        default=None, ge=0, le=COUNTER_MAX, description="the card's transaction counter; each is good once"
    )
    pin_verified: bool = Field(default=False, description="whether the card verified the holder's PIN")
    cryptogram: str | None = Field(
        default=None, max_length=64, description="32 lowercase hex digits: the card's MAC of this charge"
    )

    def charge(self) -> offline.OfflineCharge:
        """The charge as the service judges it."""
        return offline.OfflineCharge(
            **self.model_dump(exclude={"occurred_at"}),
            occurred_at=_INSTANT.validate_python(self.occurred_at),
            occurred_at_text=self.occurred_at,
        )


class OfflineUpload(BodyModel):
    transactions: list[OfflineTransaction] = Field(min_length=1, max_length=1000)


class OfflineResultRead(Out):
    local_id: str
    status: str = Field(description="posted (the holder bore it, R-LIA-1), compensated (R-LIA-2) or rejected")
    settlement_id: int | None = None
    compensation_id: int | None = None
    code: str | None = Field(
        default=None,
        description=(
            "why a charge was rejected: R-SET-6's cryptogram_invalid, counter_reused, pin_required, "
            "offline_time_invalid, offline_limit_exceeded; out_of_region for a card of another city than "
            "the terminal's (R-SEC-1: a terminal follows its city's list); institution_not_designated, "
            "category_not_allowed, card_unknown, invalid_list_version, insufficient_balance"
        ),
    )


class OfflineResults(Out):
    results: list[OfflineResultRead]


@router.post("/settlements/offline", response_model=OfflineResults)
def upload_offline(
    body: OfflineUpload, unit: Annotated[Unit, Depends(TERMINAL)], idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Charges made offline: posted, compensated (R-LIA-2) or rejected with a code."""

    def work() -> tuple[int, dict[str, Any]]:
        charges = [t.charge() for t in body.transactions]
        results = [
            OfflineResultRead(
                local_id=r.local_id,
                status=r.status,
                settlement_id=r.settlement_id,
                compensation_id=r.compensation_id,
                code=r.code,
            )
            for r in offline.upload(unit, charges)
        ]
        return status.HTTP_200_OK, OfflineResults(results=results).model_dump(mode="json")

    return respond(unit, idempotency_key, body.model_dump(mode="json"), work)


class PinBody(BodyModel):
    pin: str = PinField


class BalanceRead(Out):
    balance: int
    held: int = Field(description="part of the balance not yet moved from a replaced card (R-REP-6)")


@router.post("/cards/{card_no}/balance-inquiry")
def balance_inquiry(
    card_no: str, body: PinBody, unit: Annotated[Unit, Depends(allow(Role.TERMINAL, Role.BANK))]
) -> BalanceRead:
    """R-SET-4: the balance, against the card's PIN. R-SEC-1: a bank only for its own cards
    in its region (403 forbidden / out_of_region, before the PIN is tried); a terminal only
    of a designated institution (402 institution_not_designated)."""
    balance, held = service.balance_inquiry(unit, card_no, body.pin)
    return BalanceRead(balance=balance, held=held)


class ECertificateRead(Out):
    token: str
    expires_at: datetime


@router.post("/persons/{person_id}/e-certificates", status_code=status.HTTP_201_CREATED)
def issue_ecert(
    person_id: int, unit: Annotated[Unit, Depends(allow(Role.CARDHOLDER))], _: Annotated[Empty | None, Body()] = None
) -> ECertificateRead:
    """A single-use electronic certificate to settle while the card is unavailable (R-SET-3)."""
    certificate = ecert.issue(unit, person_id)
    return ECertificateRead(token=certificate.id, expires_at=certificate.expires_at)


class CompensationRead(Out):
    compensation_id: int
    settlement_id: int
    amount: int
    liable: str
    status: str
    at: datetime


class CompensationList(Out):
    items: list[CompensationRead]


@router.get("/compensations")
def compensations(person_id: int, unit: Annotated[Unit, Depends(STAFF_OR_SELF)]) -> CompensationList:
    """A person's compensations for charges after their loss report (R-LIA-2)."""
    person = find_person(unit, person_id)
    rows = unit.session.scalars(
        select(Compensation).where(Compensation.person_id == person.id).order_by(Compensation.id.desc())
    )
    return CompensationList(
        items=[
            CompensationRead(
                compensation_id=c.id,
                settlement_id=c.settlement_id,
                amount=c.amount,
                liable=c.liable,
                status=c.status,
                at=c.at,
            )
            for c in rows
        ]
    )
