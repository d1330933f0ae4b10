"""Loss reports, replacements and the events the cooperative banks read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sscard.db import Base, UTCDateTime


class LossReport(Base):
    """One report of a card's loss, provisional or formal (R-LOSS-1, R-LOSS-2)."""

    __tablename__ = "loss_reports"
    __table_args__ = (Index("ix_loss_reports_card_id_id", "card_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"))
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(16))
    reporter_relation: Mapped[str] = mapped_column(String(8))
    reporter_name: Mapped[str | None] = mapped_column(String(40))
    reporter_id_number: Mapped[str | None] = mapped_column(String(18))
    reporter_reason: Mapped[str | None] = mapped_column(String(200))
    documents: Mapped[list[str]] = mapped_column(JSON, default=list)
    risk: Mapped[str] = mapped_column(String(16))
    # A provisional report releases itself at this instant unless made formal (R-LOSS-5).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_reason: Mapped[str | None] = mapped_column(String(16))


class Replacement(Base):
    """An application for a new card, from the counter to the balance transfer (R-REP)."""

    __tablename__ = "replacements"
    # The outlet's queue is read oldest first (GET /v1/replacements).
    __table_args__ = (Index("ix_replacements_applied_at_id", "applied_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    old_card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    new_card_no: Mapped[str] = mapped_column(String(16), unique=True)
    new_bank: Mapped[str] = mapped_column(String(16))
    fee: Mapped[int] = mapped_column(BigInteger)
    fee_paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    applicant: Mapped[dict[str, Any]] = mapped_column(JSON)
    documents: Mapped[list[str]] = mapped_column(JSON, default=list)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)
    applied_by: Mapped[str] = mapped_column(String(64))
    ready_on: Mapped[date] = mapped_column(Date)
    collection_certificate_no: Mapped[str] = mapped_column(String(20), unique=True)
    certificate_valid_until: Mapped[date] = mapped_column(Date)
    # When the holder was told the new card is ready (R-NOTE-1): once, by event.
    ready_announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    collected_by: Mapped[str | None] = mapped_column(String(64))
    clearing_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bank_cancellation_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    held_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    transferred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
