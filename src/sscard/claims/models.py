"""Claims, their expenses and their scanned documents."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sscard.db import Base, UTCDateTime


class Claim(Base):
    """A reimbursement claim and its review (R-CLM-1, R-CLM-2)."""

    __tablename__ = "claims"
    __table_args__ = (Index("ix_claims_region_code_id", "region_code", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(6))
    replacement_id: Mapped[int] = mapped_column(ForeignKey("replacements.id"))
    kind: Mapped[str] = mapped_column(String(12))
    documents: Mapped[list[str]] = mapped_column(JSON, default=list)
    claimed_amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(24))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_by: Mapped[str] = mapped_column(String(64))
    approved_amount: Mapped[int | None] = mapped_column(BigInteger)
    supplementary_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    supplementary_insurer: Mapped[str | None] = mapped_column(String(100))
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    # R-SEC-4: who approved first a payout that needs a second approver, and when.
    first_approved_by: Mapped[str | None] = mapped_column(String(64))
    first_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ClaimExpense(Base):
    """One invoice of a claim; an invoice is claimed once, by anyone (409 duplicate_invoice)."""

    __tablename__ = "claim_expenses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    institution: Mapped[str] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(BigInteger)
    invoice_no: Mapped[str] = mapped_column(String(64), unique=True)


class ClaimScan(Base):
    """A scanned document, stored by the SHA-256 of its bytes outside the web root."""

    __tablename__ = "claim_scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(String(32))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_by: Mapped[str] = mapped_column(String(64))
