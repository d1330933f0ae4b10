"""Loss and replacement API shapes."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from sscard.cards.schemas import CardRead
from sscard.cards.states import CardStatus
from sscard.loss.cancellation_rules import CancellationReason, PayeeRelation
from sscard.loss.rules import Channel, Relation, ReplacementReason, ReportKind, Risk
from sscard.schemas import Body, Out


class ReporterBody(Body):
    relation: Relation = Relation.SELF
    name: str | None = Field(default=None, max_length=40)
    id_number: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, max_length=200, description="why an agent acts (R-LOSS-2)")
    unit_name: str | None = Field(
        default=None, max_length=100, description="the holder's unit, checked when one is on file (R-LOSS-7)"
    )


class LossReportCreate(Body):
    kind: ReportKind
    channel: Channel
    reporter: ReporterBody | None = None
    documents: list[str] = Field(default_factory=list, max_length=20)


class ReporterRead(Out):
    relation: Relation
    name: str | None
    id_number: str | None


class LossReportRead(Out):
    report_id: int
    card_no: str
    kind: ReportKind
    channel: Channel
    reported_at: datetime
    card_status: CardStatus
    risk: Risk
    warning: str
    expires_at: datetime | None
    reporter: ReporterRead
    closed_at: datetime | None = None
    closed_reason: str | None = None


class LossReportList(Out):
    items: list[LossReportRead]


class ReplacementCreate(Body):
    reason: ReplacementReason
    bank: str | None = Field(default=None, max_length=16)
    applicant: ReporterBody | None = None
    documents: list[str] = Field(default_factory=list, max_length=20)


class TransferRead(Out):
    held_amount: int
    clearing_notice_at: datetime | None
    bank_cancellation_at: datetime | None
    transferred_at: datetime | None


class ReplacementRead(Out):
    replacement_id: int
    old_card_no: str
    new_card_no: str
    reason: ReplacementReason
    new_bank: str
    fee: int
    ready_on: date
    collection_certificate_no: str
    certificate_valid_until: date
    status: str = Field(description="in_production, ready or collected")
    applied_at: datetime
    collected_at: datetime | None
    transfer: TransferRead


class QueuedReplacementRead(ReplacementRead):
    holder_name: str
    holder_id_number: str = Field(description="masked, for calling the holder to the counter")


class ReplacementQueuePage(Out):
    items: list[QueuedReplacementRead]
    next: str | None = Field(description="pass as ?cursor= for the next page; null at the end")


class Collection(Body):
    id_number: str = Field(max_length=32)
    collection_certificate_no: str = Field(max_length=32)


class Collected(Out):
    new_card: CardRead
    old_card: CardRead


class PayeeBody(Body):
    name: str = Field(min_length=2, max_length=40)
    id_number: str = Field(max_length=32)
    relation: PayeeRelation


class CancellationCreate(Body):
    reason: CancellationReason
    documents: list[str] = Field(default_factory=list, max_length=20)
    payee: PayeeBody | None = Field(default=None, description="after a death: the heir who receives the balance")


class PayoutRead(Out):
    amount: int = Field(description="fen paid out: the whole balance, held money included (R-CARD-5)")
    payee_name: str
    payee_id_number: str = Field(description="masked")
    payee_relation: PayeeRelation


class CancellationRead(Out):
    card: CardRead
    payout: PayoutRead
